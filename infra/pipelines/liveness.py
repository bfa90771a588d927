"""Who owns a run, whether that process still lives, and cleaning up after one that died.

A run record carries its owner as ``host:pid:start-ticks`` (the start time from
``/proc/<pid>/stat`` guards against a reused pid). Every step process carries the run id in
its environment (``LAKEFORGE_RUN_ID``), so the steps of a runner killed with SIGKILL can be
found and stopped when the run is recovered.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

from lake.state import pid_alive

__all__ = ["RUN_ID_ENV", "current_owner", "kill_run_processes", "owner_alive", "owner_is_local", "process_owner"]

RUN_ID_ENV = "LAKEFORGE_RUN_ID"


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[-1].split()[19]


def process_owner(pid: int) -> str:
    """``host:pid:start`` of a local process."""
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def current_owner() -> str:
    """``host:pid:start`` of this process."""
    return process_owner(os.getpid())


def owner_is_local(owner: str | None) -> bool:
    return bool(owner) and str(owner).split(":", 1)[0] == socket.gethostname()


def owner_alive(owner: str | None) -> bool:
    """True when ``owner`` is a live process; an owner on another host is assumed alive."""
    if not owner:
        return False
    if not owner_is_local(owner):
        return True
    try:
        _, pid_text, ticks = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    return pid_alive(pid) and (ticks == "?" or _start_ticks(pid) == ticks)


def _scan(marker: bytes) -> tuple[set[int], set[int]]:
    """Pids whose environment holds ``marker``, and pids whose environment read empty.

    A process in the middle of ``execve`` briefly shows an empty environment (so do kernel
    threads, always): those are looked at again.
    """
    found, empty = set(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if not environ:
            empty.add(int(entry.name))
        elif marker in environ.split(b"\0"):
            found.add(int(entry.name))
    return found, empty


def kill_run_processes(run_id: str) -> list[int]:
    """SIGKILL the process groups of every local process started for ``run_id``; returns the pids.

    Scans again until a pass finds nothing new to kill and no process newly in ``execve``
    (a process may fork or exec while it is being killed).
    """
    marker = f"{RUN_ID_ENV}={run_id}".encode()
    killed: list[int] = []
    previous_empty: set[int] | None = None
    for _ in range(10):
        found, empty = _scan(marker)
        found = {pid for pid in found if pid_alive(pid)}
        for pid in sorted(found):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                pgid = os.getpgid(pid)
                if pgid != os.getpgid(0):
                    os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed.extend(p for p in sorted(found) if p not in killed)
        if not found and previous_empty is not None and empty <= previous_empty:
            break
        previous_empty = empty
        time.sleep(0.05)
    return killed
