"""Process and port helpers for the background services: spawn, identify, stop, probe.

A recorded pid is trusted only when ``/proc/<pid>/cmdline`` still carries the markers the
service was started with, so a pid reused by another program is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.errors import ServiceStopError
from lake.state import pid_alive

__all__ = [
    "LOOPBACK",
    "cmdline",
    "free_port",
    "http_answers",
    "http_get_json",
    "is_service_process",
    "log_tail",
    "port_free",
    "service_lock",
    "spawn_detached",
    "stop_process",
    "utc_now",
    "wait_for",
]

LOOPBACK = "127.0.0.1"


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string (second precision)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def cmdline(pid: int) -> list[str] | None:
    """The argument vector of ``pid``, or ``None`` if it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_service_process(pid: Any, markers: Sequence[str]) -> bool:
    """True when ``pid`` is alive and its command line contains every marker."""
    if not isinstance(pid, int) or pid <= 0 or not pid_alive(pid):
        return False
    argv = cmdline(pid)
    if argv == []:  # a process in the middle of exec() briefly shows an empty cmdline
        wait_for(lambda: bool(cmdline(pid)), 0.5, interval=0.02)
        argv = cmdline(pid)
    if argv is None:
        return False
    joined = " ".join(argv)
    return all(marker in joined for marker in markers)


def spawn_detached(
    cmd: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session, stdin closed, stdout+stderr appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _signal(pid: int, sig: signal.Signals, as_group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if as_group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _gone(pid: int) -> bool:
    _reap(pid)
    return not pid_alive(pid)


def stop_process(
    pid: int,
    markers: Sequence[str],
    *,
    service: str,
    timeout: float = 15.0,
    group: bool = False,
) -> bool:
    """SIGTERM ``pid`` (with ``group``, the process group it leads), SIGKILL after ``timeout``.

    Returns ``False`` without signalling anything when ``pid`` is not the recorded service
    (dead, or reused by another program).
    """
    if not is_service_process(pid, markers):
        return False
    try:
        as_group = group and os.getpgid(pid) == pid
    except ProcessLookupError:
        return False
    _signal(pid, signal.SIGTERM, as_group)
    if not wait_for(lambda: _gone(pid), timeout):
        _signal(pid, signal.SIGKILL, as_group)
        if not wait_for(lambda: _gone(pid), 5.0):
            raise ServiceStopError(service, pid)
    if as_group:  # children it started (e.g. executors) must not outlive it
        _signal(pid, signal.SIGKILL, True)
    return True


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_free(port: int, host: str = LOOPBACK) -> bool:
    """True when ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def http_answers(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` returns any HTTP response (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def http_get_json(url: str, timeout: float = 2.0) -> Any | None:
    """The JSON body at ``url``, or ``None`` when it does not answer with JSON."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def log_tail(path: Path, lines: int = 3) -> str:
    """The last non-empty ``lines`` of a log file, joined by `` | `` (empty if unreadable)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail)


@contextlib.contextmanager
def service_lock(home: Path) -> Iterator[None]:
    """An exclusive lock on ``<home>/services.lock`` so concurrent ``up``/``down`` serialize."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "services.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
