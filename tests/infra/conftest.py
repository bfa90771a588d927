"""Fixtures for the local-services tests: an isolated lakeforge home and helper processes.

Every test gets its own ``LAKEFORGE_HOME`` (so its state file is private); whatever a test
started there is stopped in the finalizer, even when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def pids_with(text: str) -> list[int]:
    """Pids of processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append(int(entry.name))
    return found


def cleanup_home(home: Path) -> None:
    """Stop this home's services, then SIGKILL anything still carrying its path."""
    from infra.services.moto import stop_moto
    from infra.services.spark_cluster import stop_cluster

    with contextlib.suppress(Exception):
        stop_moto(home, timeout=5)
    with contextlib.suppress(Exception):
        stop_cluster(home)
    for pid in pids_with(str(home)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def lake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private lakeforge home (``LAKEFORGE_HOME``) and project dir for one test."""
    home = tmp_path / ".lakeforge"
    monkeypatch.setenv("LAKEFORGE_HOME", str(home))
    monkeypatch.setenv("LAKEFORGE_PROJECT_DIR", str(tmp_path))
    yield home
    cleanup_home(home)


@pytest.fixture
def sleeper() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start harmless ``sleep`` processes whose command line carries the given words."""
    procs: list[subprocess.Popen[bytes]] = []

    def _start(*words: str, new_group: bool = False) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)", *words],
            start_new_session=new_group,
        )
        procs.append(proc)
        return proc

    yield _start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has already exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
