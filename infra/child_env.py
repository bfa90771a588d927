"""The environment a child process (``spark-submit`` driver, Spark probe) needs.

The child inherits the caller's environment (so every ``LAKEFORGE_*`` variable reaches the
driver) plus the settings that came from command-line flags, so ``load_settings()`` in the
child resolves the same profile, lake, home and Spark master as the parent.
"""

from __future__ import annotations

import os
import sys

from infra.services.process import LOOPBACK
from lake.config import Settings
from lake.spark.session import spark_home

__all__ = ["child_env"]


def child_env(settings: Settings, *, master: str | None = None) -> dict[str, str]:
    """``os.environ`` plus the resolved settings a lakeforge child process must agree on."""
    env = dict(os.environ)
    env.update(
        {
            "LAKEFORGE_PROJECT_DIR": str(settings.project_dir),
            "LAKEFORGE_HOME": str(settings.home),
            "LAKEFORGE_JARS_DIR": str(settings.jars_dir),
            "LAKEFORGE_PROFILE": settings.profile,
            "LAKEFORGE_SPARK__MASTER": master or settings.spark.master,
            "SPARK_HOME": str(spark_home()),
            "SPARK_LOCAL_IP": env.get("SPARK_LOCAL_IP", LOOPBACK),
            "PYSPARK_PYTHON": env.get("PYSPARK_PYTHON", sys.executable),
            "PYSPARK_DRIVER_PYTHON": env.get("PYSPARK_DRIVER_PYTHON", sys.executable),
        }
    )
    if settings.lake:
        env["LAKEFORGE_LAKE"] = settings.lake
    return env
