"""``lake up`` / ``lake down``: the moto server as a detached background process.

The state file entry ``moto`` records pid, endpoint, start time and log path. An entry is
live only while its pid runs ``infra.services.moto_server`` for this lakeforge home; anything else
(dead pid, pid reused by another program) is stale and gets replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from infra.errors import InvalidOptionError, PortInUseError, ServiceStartError
from infra.services.process import (
    LOOPBACK,
    http_answers,
    is_service_process,
    log_tail,
    port_free,
    service_lock,
    spawn_detached,
    stop_process,
    utc_now,
    wait_for,
)
from lake.state import ServiceState

__all__ = [
    "MOTO_SERVICE",
    "MotoChild",
    "MotoStart",
    "moto_markers",
    "moto_status",
    "running_moto",
    "spawn_moto",
    "start_moto",
    "stop_moto",
]

MOTO_SERVICE = "moto"
_MODULE = "infra.services.moto_server"


@dataclass(frozen=True)
class MotoStart:
    """The outcome of :func:`start_moto`: the live entry, and whether this call started it."""

    entry: dict[str, Any]
    started: bool
    replaced_stale: bool = False


def moto_markers(home: Path) -> list[str]:
    """Command-line markers that identify this home's moto server process."""
    return [_MODULE, f"--home={home}"]


def running_moto(home: Path) -> dict[str, Any] | None:
    """The recorded moto entry if its process is really this home's moto server."""
    entry = ServiceState(home).read().get(MOTO_SERVICE)
    if isinstance(entry, dict) and is_service_process(entry.get("pid"), moto_markers(home)):
        return entry
    return None


def moto_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` (running | not answering | stale), or ``None``."""
    entry = ServiceState(home).read().get(MOTO_SERVICE)
    if not isinstance(entry, dict):
        return None
    out = dict(entry)
    if not is_service_process(entry.get("pid"), moto_markers(home)):
        out["status"] = "stale"
    elif http_answers(str(entry.get("endpoint", ""))):
        out["status"] = "running"
    else:
        out["status"] = "not answering"
    return out


def _check_port(port: int | None) -> None:
    if port is None:
        return
    if not 1 <= port <= 65535:
        raise InvalidOptionError("--port", port, "a TCP port between 1 and 65535")
    if not port_free(port):
        raise PortInUseError(port, service=MOTO_SERVICE)


def start_moto(home: Path, *, port: int | None = None, timeout: float = 60.0) -> MotoStart:
    """Start the moto server on 127.0.0.1 (a free port unless ``port``) unless one runs."""
    state = ServiceState(home)
    with service_lock(home):
        live = running_moto(home)
        if live is not None:
            return MotoStart(entry=live, started=False)
        stale = state.read().get(MOTO_SERVICE) is not None
        if stale:
            state.put(MOTO_SERVICE, None)
        _check_port(port)
        entry = _spawn(home, port, timeout)
        state.put(MOTO_SERVICE, entry)
        return MotoStart(entry=entry, started=True, replaced_stale=stale)


def _spawn(home: Path, port: int | None, timeout: float) -> dict[str, Any]:
    log_path = home / "logs" / "moto.log"
    ready = home / "run" / "moto.port"
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        _MODULE,
        "--host",
        LOOPBACK,
        "--port",
        str(port or 0),
        "--ready-file",
        str(ready),
        f"--home={home}",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = spawn_detached(cmd, log_path=log_path, env=env)
    try:
        return _await_ready(proc, ready, log_path, timeout)
    except BaseException:  # Ctrl-C included: never leave an unrecorded server behind
        _kill(proc)
        raise


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _await_ready(proc: subprocess.Popen[bytes], ready: Path, log_path: Path, timeout: float) -> dict[str, Any]:

    def _abort(reason: str) -> ServiceStartError:
        _kill(proc)
        tail = log_tail(log_path)
        return ServiceStartError(MOTO_SERVICE, f"{reason}{': ' + tail if tail else ''}", log_path=log_path)

    if not wait_for(lambda: ready.exists() or proc.poll() is not None, timeout):
        raise _abort(f"no port reported within {timeout:.0f} s")
    if proc.poll() is not None:
        raise _abort(f"process exited with code {proc.returncode}")
    bound = int(ready.read_text().strip())
    endpoint = f"http://{LOOPBACK}:{bound}"
    if not wait_for(lambda: http_answers(endpoint) or proc.poll() is not None, timeout):
        raise _abort(f"{endpoint} did not answer within {timeout:.0f} s")
    if proc.poll() is not None:
        raise _abort(f"process exited with code {proc.returncode}")
    return {
        "pid": proc.pid,
        "endpoint": endpoint,
        "port": bound,
        "started_at": utc_now(),
        "log": str(log_path),
    }


StopOutcome = Literal["stopped", "stale", "not running"]


def stop_moto(home: Path, *, timeout: float = 15.0) -> tuple[StopOutcome, dict[str, Any] | None]:
    """Stop exactly the recorded moto process and drop its entry.

    ``stale`` means an entry existed but its pid was no longer this home's moto server:
    the entry is removed and nothing is signalled.
    """
    state = ServiceState(home)
    with service_lock(home):
        entry = state.read().get(MOTO_SERVICE)
        if not isinstance(entry, dict):
            if entry is not None:
                state.put(MOTO_SERVICE, None)
            return "not running", None
        pid = entry.get("pid")
        stopped = isinstance(pid, int) and stop_process(pid, moto_markers(home), service=MOTO_SERVICE, timeout=timeout)
        state.put(MOTO_SERVICE, None)
        (home / "run" / "moto.port").unlink(missing_ok=True)
        return ("stopped" if stopped else "stale"), entry


@dataclass
class MotoChild:
    """A moto server child process that lives until :meth:`stop` or until its parent exits."""

    process: subprocess.Popen[bytes]
    endpoint: str
    scratch: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill(self.process)
        shutil.rmtree(self.scratch, ignore_errors=True)


def spawn_moto(*, port: int = 0, timeout: float = 60.0) -> MotoChild:
    """An unrecorded moto server for this process's lifetime (tests, benchmarks, the demo).

    The same server module as ``lake up``, with the same fidelity patches; it exits when our
    end of its stdin closes, so it never outlives its parent.
    """
    scratch = Path(tempfile.mkdtemp(prefix="lakeforge-moto-"))
    ready, log_path = scratch / "port", scratch / "moto.log"
    cmd = [sys.executable, "-m", _MODULE, "--host", LOOPBACK, "--port", str(port),
           "--ready-file", str(ready), "--exit-on-stdin-eof"]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        entry = _await_ready(proc, ready, log_path, timeout)
    except BaseException:
        _kill(proc)
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return MotoChild(proc, str(entry["endpoint"]), scratch)
