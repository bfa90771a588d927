"""One factory for SparkSessions, and the same conf as ``spark-submit`` arguments.

The conf carries the S3A options of the storage profile, the S3A JARs on the driver and
executor class paths (not ``--jars``: that copies the 184 MB SDK bundle per app), the
project's interpreter for Python workers, UTC session time and quiet logging.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lake.config import Settings, is_secret_key
from lake.spark.jars import ensure_s3a_jars
from lake.storage import StorageProfile, get_profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["LOG4J_CONFIG", "build_spark", "masked_conf", "spark_conf", "spark_home", "submit_args"]

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_home() -> Path:
    """The pip-installed Spark distribution (the ``pyspark`` package directory)."""
    import pyspark

    return Path(pyspark.__file__).parent


def spark_conf(
    settings: Settings,
    profile: StorageProfile | None = None,
    *,
    app_name: str = "lakeforge",
) -> dict[str, str]:
    """The full Spark conf for ``settings`` and ``profile`` (excluding the master URL)."""
    profile = profile or get_profile(settings)
    jars = os.pathsep.join(str(p) for p in ensure_s3a_jars(settings.jars_dir))
    python = sys.executable
    java_opts = f"-Dlog4j.configurationFile=file:{LOG4J_CONFIG}"
    conf: dict[str, str] = {
        "spark.app.name": app_name,
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.executor.memory": settings.spark.executor_memory,
        "spark.driver.extraClassPath": jars,
        "spark.executor.extraClassPath": jars,
        "spark.driver.extraJavaOptions": java_opts,
        "spark.executor.extraJavaOptions": java_opts,
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": python,
        "spark.executorEnv.PYSPARK_PYTHON": python,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        "spark.ui.enabled": str(settings.spark.ui).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.hadoop.fs.s3a.fast.upload": "true",
    }
    conf.update(profile.spark_conf())
    conf.update(settings.spark.conf)
    return conf


def masked_conf(conf: dict[str, str]) -> dict[str, str]:
    """``conf`` with every credential value replaced by ``****``."""
    return {k: ("****" if is_secret_key(k.replace(".", "_")) else v) for k, v in conf.items()}


def build_spark(
    settings: Settings,
    profile: StorageProfile | None = None,
    *,
    app_name: str = "lakeforge",
    master: str | None = None,
) -> SparkSession:
    """Build (or reuse) the SparkSession for ``settings``; works under ``spark-submit`` too."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    if not _inside_spark_submit():
        builder = builder.master(master or settings.spark.master)
    for key, value in spark_conf(settings, profile, app_name=app_name).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings.spark.log_level)
    return spark


def _inside_spark_submit() -> bool:
    return "SPARK_SUBMIT" in os.environ or os.environ.get("PYSPARK_GATEWAY_PORT") is not None


def submit_args(
    settings: Settings,
    profile: StorageProfile | None = None,
    *,
    app_name: str = "lakeforge",
    master: str | None = None,
    properties_file: Path | None = None,
) -> list[str]:
    """``spark-submit`` arguments equivalent to :func:`build_spark`.

    With ``properties_file`` the conf is written there (mode 0600) and passed with
    ``--properties-file`` so no credential appears on a command line.
    """
    conf = spark_conf(settings, profile, app_name=app_name)
    args = ["--master", master or settings.spark.master, "--name", app_name]
    if properties_file is not None:
        properties_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(properties_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            for key, value in sorted(conf.items()):
                fh.write(f"{key} {value}\n")
        return [*args, "--properties-file", str(properties_file)]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    return args
