"""A cached virtualenv with apache-airflow, separate from the project's (it is large).

Created once under ``~/.cache/lakeforge-airflow-venv`` (``LAKEFORGE_AIRFLOW_VENV`` overrides)
and reused; a file lock keeps two test processes from building it at the same time.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

AIRFLOW_VERSION = "3.3.2"


def venv_dir() -> Path:
    default = Path.home() / ".cache" / "lakeforge-airflow-venv"
    return Path(os.environ.get("LAKEFORGE_AIRFLOW_VENV", default))


def airflow_python() -> Path:
    """The interpreter of the Airflow venv, installing it first when missing (minutes, once)."""
    root = venv_dir()
    python = root / "bin" / "python"
    marker = root / f".installed-apache-airflow-{AIRFLOW_VERSION}"
    if marker.exists():
        return python
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return python
        started = time.monotonic()
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(root)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"apache-airflow=={AIRFLOW_VERSION}"],
                       check=True)
        marker.write_text(f"installed in {time.monotonic() - started:.0f}s\n")
    return python


if __name__ == "__main__":
    print(airflow_python(), (venv_dir() / f".installed-apache-airflow-{AIRFLOW_VERSION}").read_text().strip())
