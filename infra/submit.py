"""``lake submit``: run a PySpark script with ``spark-submit`` and the lakeforge conf.

The conf (S3A options and credentials included) goes into a mode-0600 properties file that
is removed afterwards, so no credential appears on a command line or in ``ps`` output.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from infra.child_env import child_env
from infra.errors import ExecutorTooLargeError, SparkSubmitMissingError
from infra.java import require_java
from infra.services.spark_cluster import memory_mb, running_cluster
from lake.config import Settings
from lake.spark.master import check_master
from lake.spark.session import spark_home, submit_args
from lake.storage import StorageProfile

__all__ = ["check_executor_fits", "run_submit", "submit_command"]


def submit_command(
    settings: Settings,
    profile: StorageProfile,
    script: Path,
    args: Sequence[str],
    *,
    properties_file: Path,
    master: str | None = None,
    app_name: str | None = None,
) -> list[str]:
    """The ``spark-submit`` argument vector (writes the conf to ``properties_file``)."""
    spark_submit = spark_home() / "bin" / "spark-submit"
    conf_args = submit_args(
        settings,
        profile,
        app_name=app_name or script.stem,
        master=master,
        properties_file=properties_file,
    )
    return [str(spark_submit), *conf_args, str(script), *args]


def check_executor_fits(settings: Settings, master: str) -> None:
    """Fail fast when executors cannot fit on the workers of this home's running cluster.

    Spark would otherwise wait for resources forever ("Initial job has not accepted any
    resources").
    """
    entry = running_cluster(settings.home)
    if not entry or entry.get("master_url") != master:
        return
    worker_mem = str(entry.get("memory_per_worker", ""))
    if worker_mem and memory_mb(settings.spark.executor_memory) > memory_mb(worker_mem):
        raise ExecutorTooLargeError(settings.spark.executor_memory, worker_mem, master)


def run_submit(
    settings: Settings,
    profile: StorageProfile,
    script: Path,
    args: Sequence[str],
    *,
    master: str | None = None,
    app_name: str | None = None,
) -> int:
    """Run ``spark-submit`` in the foreground and return its exit code."""
    if not script.is_file():
        raise SparkSubmitMissingError(script)
    require_java()
    check_master(master or settings.spark.master)
    check_executor_fits(settings, master or settings.spark.master)
    settings.home.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="spark-submit-", suffix=".conf", dir=settings.home)
    os.close(fd)
    properties = Path(name)
    try:
        cmd = submit_command(
            settings,
            profile,
            script,
            args,
            properties_file=properties,
            master=master,
            app_name=app_name,
        )
        env = child_env(settings, master=master)
        return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        properties.unlink(missing_ok=True)
