"""Spark's JVM output goes to ``<home>/logs/spark.log``; a JVM that cannot start is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

_START = """
import dataclasses, sys
from lake.config import load_settings
from lake.errors import LakeforgeError
from lake.spark.session import build_spark
from lake.storage import LocalProfile
settings = load_settings()
settings = dataclasses.replace(settings, spark=dataclasses.replace(settings.spark, driver_memory=sys.argv[1]))
try:
    spark = build_spark(settings, LocalProfile(settings.project_dir / "lakehouse"))
except LakeforgeError as exc:
    print(type(exc).__name__, exc)
    raise SystemExit(1)
print(spark.range(3).count())
"""


def _run(tmp_path: Path, memory: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LAKEFORGE_CONFIG": "",
           "LAKEFORGE_PROJECT_DIR": str(tmp_path), "LAKEFORGE_HOME": str(tmp_path / ".lakeforge"),
           "LAKEFORGE_JARS_DIR": str(REPO / ".lakeforge" / "jars")}
    return subprocess.run([sys.executable, "-c", _START, memory], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_a_jvm_that_cannot_start_is_a_spark_start_error(tmp_path: Path) -> None:
    """A memory size the settings check would refuse, passed around it: the JVM's own words, one line."""
    done = _run(tmp_path, "lots")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("SparkStartError Spark did not start: Invalid maximum heap size: -Xmxlots")
    assert str(tmp_path / ".lakeforge" / "logs" / "spark.log") in done.stdout
    assert done.stderr == ""


@pytest.mark.slow
def test_spark_output_goes_to_the_log_not_the_terminal(tmp_path: Path) -> None:
    done = _run(tmp_path, "1g")
    assert done.returncode == 0 and done.stdout.strip() == "3", done.stderr
    assert "WARNING" not in done.stderr and "WARN" not in done.stderr, done.stderr
    log = (tmp_path / ".lakeforge" / "logs" / "spark.log").read_text()
    assert "Using incubator modules" in log
