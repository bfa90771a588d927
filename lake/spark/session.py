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
from lake.spark.errors import SparkStartError
from lake.spark.jars import ensure_s3a_jars
from lake.spark.master import check_master
from lake.storage import StorageProfile, get_profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "LOG4J_CONFIG", "build_spark", "masked_conf", "spark_conf", "spark_home", "spark_log_path", "submit_args",
]

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
    conf = spark_conf(settings, profile, app_name=app_name)
    builder = SparkSession.builder
    if not _inside_spark_submit():
        chosen = master or settings.spark.master
        check_master(chosen)
        _start_jvm({**conf, "spark.master": chosen}, spark_log_path(settings))
        builder = builder.master(chosen)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings.spark.log_level)
    return spark


def spark_log_path(settings: Settings) -> Path:
    """Where the in-process Spark JVM writes its log and everything else it prints on stderr."""
    return settings.home / "logs" / "spark.log"


def _start_jvm(conf: dict[str, str], log: Path) -> None:
    """Start the driver JVM with its stderr in ``log``, unless this process already has one.

    Spark's own output — log4j, executor errors, Python worker tracebacks and the JVM's
    ``WARNING: Using incubator modules`` — then goes to the log, not the user's terminal.
    A JVM that exits at start-up (e.g. ``driver_memory = "lots"``) is a :class:`SparkStartError`.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.errors import PySparkRuntimeError
    from pyspark.java_gateway import launch_gateway

    # pyspark's own getOrCreate() decides with these class attributes too: one JVM per process.
    if SparkContext._gateway is not None or SparkContext._active_spark_context is not None:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    spark_conf = SparkConf(loadDefaults=False).setAll(list(conf.items()))
    with log.open("ab") as sink:  # the child keeps its own copy of the descriptor
        start = sink.tell()
        try:
            gateway = launch_gateway(spark_conf, popen_kwargs={"stderr": sink})
        except PySparkRuntimeError as exc:
            if exc.getCondition() != "JAVA_GATEWAY_EXITED":
                raise
            raise SparkStartError(_first_line_after(log, start) or "the JVM exited", str(log)) from None
    SparkContext(conf=spark_conf, gateway=gateway)


def _first_line_after(path: Path, offset: int) -> str:
    """The first non-empty line written to ``path`` after ``offset`` (what a failed JVM said first)."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            text = fh.read(64 * 1024).decode(errors="replace")
    except OSError:
        return ""
    return next((line.strip()[:300] for line in text.splitlines() if line.strip()), "")


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
