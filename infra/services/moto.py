"""``lake up`` / ``lake down``: the moto server as a detached background process.

The state file entry ``moto`` records pid, endpoint, start time and log path. An entry is
live only while its pid runs ``infra.services.moto_server`` for this lakeforge home; anything else
(dead pid, pid reused by another program) is stale and gets replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.services.lifecycle import (
    ManagedService,
    ServiceStart,
    Spawner,
    StopOutcome,
    check_port,
    kill_child,
    pick_port,
)
from infra.services.process import LOOPBACK, http_answers, utc_now

__all__ = [
    "MOTO_SERVICE",
    "MotoChild",
    "MotoService",
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

MotoStart = ServiceStart
"""The outcome of :func:`start_moto` (the shared :class:`~infra.services.lifecycle.ServiceStart`)."""


def moto_markers(home: Path) -> list[str]:
    """Command-line markers that identify this home's moto server process."""
    return [_MODULE, f"--home={home}"]


class MotoService(ManagedService):
    """The moto server of one lakeforge home: the child binds a port and reports it in a ready file."""

    name = MOTO_SERVICE
    label = "moto"

    def __init__(self, home: Path, *, port: int | None = None, timeout: float = 60.0) -> None:
        super().__init__(home, ready_timeout=timeout)
        self.port = port

    @property
    def ready_file(self) -> Path:
        return self.home / "run" / "moto.port"

    def markers(self) -> list[str]:
        return moto_markers(self.home)

    def validate(self) -> None:
        check_port("--port", self.port)

    def health(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        return {} if http_answers(str(entry.get("endpoint", ""))) else None

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        port = pick_port(self.port, None, service=MOTO_SERVICE)
        log_path = self.home / "logs" / "moto.log"
        self.ready_file.parent.mkdir(parents=True, exist_ok=True)
        self.ready_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", _MODULE, "--host", LOOPBACK, "--port", str(port),
               "--ready-file", str(self.ready_file), f"--home={self.home}"]
        spawner.spawn("process", cmd, log_path=log_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        return _await_ready(spawner, self.ready_file, self.ready_timeout)

    def after_stop(self, entry: Mapping[str, Any]) -> None:
        self.ready_file.unlink(missing_ok=True)


def _await_ready(spawner: Spawner, ready: Path, timeout: float) -> dict[str, Any]:
    """Wait for the port in ``ready``, then for HTTP answers on it; the entry of the server."""
    spawner.wait_until(ready.exists, timeout, what="no port reported")
    bound = int(ready.read_text().strip())
    endpoint = f"http://{LOOPBACK}:{bound}"
    spawner.wait_until(lambda: http_answers(endpoint), timeout, what=f"{endpoint} did not answer")
    return {
        "pid": spawner.main.pid,
        "endpoint": endpoint,
        "port": bound,
        "started_at": utc_now(),
        "log": str(spawner.main_log),
    }


def running_moto(home: Path) -> dict[str, Any] | None:
    """The recorded moto entry if its process is really this home's moto server."""
    return MotoService(home).running()


def moto_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` (running | not answering | stale), or ``None``."""
    return MotoService(home).status()


def start_moto(home: Path, *, port: int | None = None, timeout: float = 60.0) -> ServiceStart:
    """Start the moto server on 127.0.0.1 (a free port unless ``port``) unless one runs."""
    return MotoService(home, port=port, timeout=timeout).start()


def stop_moto(home: Path, *, timeout: float = 15.0) -> tuple[StopOutcome, dict[str, Any] | None]:
    """Stop exactly the recorded moto process and drop its entry.

    ``stale`` means an entry existed but its pid was no longer this home's moto server:
    the entry is removed and nothing is signalled.
    """
    service = MotoService(home)
    service.stop_timeout = timeout
    result = service.stop()
    return result.outcome, result.entry


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
                kill_child(self.process)
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
    spawner = Spawner("moto")
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    spawner.adopt("process", proc, log_path)
    try:
        entry = _await_ready(spawner, ready, timeout)
    except BaseException:
        spawner.kill_all()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return MotoChild(proc, str(entry["endpoint"]), scratch)
