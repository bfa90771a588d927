"""The SQL endpoint (``lake sql-server``): Spark's Thrift server over the catalog, on 127.0.0.1.

BI tools and JDBC/ODBC clients (beeline, PyHive, DBeaver …) connect to
``jdbc:hive2://127.0.0.1:<port>/default`` and query every catalog table and view under its
``db.table`` name. The server is a detached PySpark driver process
(:mod:`infra.services.sql_endpoint_server`); this module starts, stops, refreshes and reports on it.

The state file entry ``thrift`` records ``pid`` (the Python driver, leader of its own process
group), ``jvm_pid``, ``port``, ``jdbc_url``, ``read_only``, ``log`` and the last refresh. A
recorded pid is only ever signalled while its command line still shows this home's endpoint
server, so a stale entry (crashed server, reused pid) is safe to stop or replace.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.sql.errors import EndpointNotRunningError, EndpointRefreshError
from infra.errors import InvalidOptionError, PortInUseError, ServiceStartError
from infra.services.process import (
    LOOPBACK,
    free_port,
    is_service_process,
    log_tail,
    port_free,
    service_lock,
    spawn_detached,
    stop_process,
    utc_now,
    wait_for,
)
from lake.config import Settings
from lake.state import ServiceState, pid_alive

__all__ = [
    "DEFAULT_PORT",
    "ENDPOINT_SERVICE",
    "SERVER_MODULE",
    "EndpointNotRunningError",
    "EndpointOptions",
    "EndpointRefreshError",
    "EndpointStart",
    "endpoint_dir",
    "endpoint_status",
    "exec_foreground",
    "jdbc_url",
    "refresh_endpoint",
    "refresh_report",
    "running_endpoint",
    "server_command",
    "server_markers",
    "start_endpoint",
    "stop_endpoint",
    "update_entry",
]

ENDPOINT_SERVICE = "thrift"
SERVER_MODULE = "infra.services.sql_endpoint_server"
DEFAULT_PORT = 10000
REFRESH_FILE = "refresh.json"


@dataclass(frozen=True)
class EndpointOptions:
    """How to run the endpoint. ``port=None``: 10000 if free, else a free port."""

    port: int | None = None
    read_only: bool = False
    refresh_interval: float = 60.0
    overrides: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        if self.port is not None and not 1 <= self.port <= 65535:
            raise InvalidOptionError("--port", self.port, "a TCP port between 1 and 65535")
        if self.refresh_interval < 0:
            raise InvalidOptionError("--refresh-interval", self.refresh_interval, "seconds ≥ 0 (0 = off)")


@dataclass(frozen=True)
class EndpointStart:
    """The outcome of :func:`start_endpoint`: the live entry, and whether this call started it."""

    entry: dict[str, Any]
    started: bool
    replaced_stale: bool = False


def endpoint_dir(home: Path) -> Path:
    """Where the endpoint keeps its metastore, warehouse, scratch space and refresh report."""
    return home / "sql-server"


def jdbc_url(port: int, database: str = "default", host: str = LOOPBACK) -> str:
    return f"jdbc:hive2://{host}:{port}/{database}"


def server_markers(home: Path) -> list[str]:
    """Command-line markers of this home's endpoint server (``--home`` is followed by ``--port``)."""
    return [SERVER_MODULE, f"--home={home} --port"]


def server_command(home: Path, port: int, options: EndpointOptions) -> list[str]:
    cmd = [sys.executable, "-m", SERVER_MODULE, f"--home={home}", "--port", str(port),
           "--refresh-interval", str(options.refresh_interval)]
    if options.read_only:
        cmd.append("--read-only")
    for key, value in options.overrides:
        cmd += ["--set", f"{key}={value}"]
    return cmd


def _jvm_markers(home: Path) -> list[str]:
    return [f"-Dlakeforge.home={home}", "-Dlakeforge.service=sql-server"]


def running_endpoint(home: Path) -> dict[str, Any] | None:
    """The recorded entry if its pid is really this home's endpoint server."""
    entry = ServiceState(home).read().get(ENDPOINT_SERVICE)
    if isinstance(entry, dict) and is_service_process(entry.get("pid"), server_markers(home)):
        return entry
    return None


def update_entry(home: Path, pid: int, **fields: Any) -> None:
    """Merge ``fields`` into the ``thrift`` entry if it belongs to ``pid`` (or create it); ``None`` removes a key."""
    state = ServiceState(home)
    with service_lock(home):
        entry = state.read().get(ENDPOINT_SERVICE)
        if isinstance(entry, dict) and entry.get("pid") not in (None, pid):
            return
        merged = dict(entry) if isinstance(entry, dict) else {"pid": pid}
        for key, value in fields.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        state.put(ENDPOINT_SERVICE, merged)


def _pick_port(requested: int | None) -> int:
    if requested is not None:
        if not port_free(requested):
            raise PortInUseError(requested, service="sql-server")
        return requested
    return DEFAULT_PORT if port_free(DEFAULT_PORT) else free_port()


def _server_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LAKEFORGE_HOME": str(settings.home),
        "LAKEFORGE_PROJECT_DIR": str(settings.project_dir),
        "PYTHONUNBUFFERED": "1",
        "SPARK_LOCAL_IP": LOOPBACK,
    })
    env.pop("PYSPARK_GATEWAY_PORT", None)
    env.pop("PYSPARK_GATEWAY_SECRET", None)
    return env


def start_endpoint(settings: Settings, options: EndpointOptions, *, timeout: float = 300.0) -> EndpointStart:
    """Start the endpoint in the background unless this home's endpoint already runs.

    Returns once the Thrift port accepts connections and the catalog is exposed.
    """
    options.validate()
    home = settings.home
    state = ServiceState(home)
    with service_lock(home):
        live = running_endpoint(home)
        if live is not None:
            return EndpointStart(live, started=False)
        stale = state.read().get(ENDPOINT_SERVICE)
        if stale is not None:
            _stop_recorded(home, stale if isinstance(stale, dict) else {})
            state.put(ENDPOINT_SERVICE, None)
        port = _pick_port(options.port)
        workdir = endpoint_dir(home)
        workdir.mkdir(parents=True, exist_ok=True)
        log = home / "logs" / "sql-server.log"
        proc = spawn_detached(server_command(home, port, options), log_path=log,
                              env=_server_env(settings), cwd=workdir)
        state.put(ENDPOINT_SERVICE, {
            "pid": proc.pid, "port": port, "host": LOOPBACK, "jdbc_url": jdbc_url(port),
            "read_only": options.read_only, "refresh_interval": options.refresh_interval,
            "log": str(log), "started_at": utc_now(), "status": "starting",
        })

    def _ready() -> bool:
        entry = state.read().get(ENDPOINT_SERVICE)
        return isinstance(entry, dict) and entry.get("pid") == proc.pid and entry.get("status") == "running"

    if not wait_for(lambda: _ready() or proc.poll() is not None, timeout, interval=0.5) or not _ready():
        reason = (f"exited with code {proc.returncode}" if proc.poll() is not None
                  else f"not ready within {timeout:.0f} s")
        if proc.poll() is None:
            _stop_recorded(home, {"pid": proc.pid})
        with service_lock(home):
            entry = state.read().get(ENDPOINT_SERVICE)
            if isinstance(entry, dict) and entry.get("pid") == proc.pid:
                state.put(ENDPOINT_SERVICE, None)
        tail = log_tail(log, 3)
        raise ServiceStartError("sql-server", f"{reason}{': ' + tail if tail else ''}", log_path=log)
    entry = state.read()[ENDPOINT_SERVICE]
    return EndpointStart(entry, started=True, replaced_stale=stale is not None)


def exec_foreground(settings: Settings, options: EndpointOptions) -> None:
    """Replace this process with the endpoint server (logs on the terminal; Ctrl-C stops it)."""
    options.validate()
    home = settings.home
    with service_lock(home):
        live = running_endpoint(home)
        if live is not None:
            raise InvalidOptionError(
                "--foreground", True, f"no running endpoint (one runs at {live.get('jdbc_url')}, pid {live.get('pid')})"
            )
        stale = ServiceState(home).read().get(ENDPOINT_SERVICE)
        if stale is not None:
            _stop_recorded(home, stale if isinstance(stale, dict) else {})
            ServiceState(home).put(ENDPOINT_SERVICE, None)
        port = _pick_port(options.port)
    workdir = endpoint_dir(home)
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    cmd = server_command(home, port, options)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, _server_env(settings))


def _group_members(pgid: int) -> list[int]:
    """Pids whose process group is ``pgid`` (the server and the JVM it launched)."""
    members = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(proc.name))
    return members


def _stop_recorded(home: Path, entry: dict[str, Any], timeout: float = 30.0) -> list[int]:
    """Stop the recorded server (SIGTERM: it shuts Spark down), then whatever of its tree is left."""
    stopped: list[int] = []
    pid = entry.get("pid")
    if isinstance(pid, int) and is_service_process(pid, server_markers(home)):
        group = os.getpgid(pid) == pid
        if stop_process(pid, server_markers(home), service="sql-server", timeout=timeout):
            stopped.append(pid)
        if group:
            for member in _group_members(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(member, signal.SIGKILL)
    jvm = entry.get("jvm_pid")
    if isinstance(jvm, int) and stop_process(jvm, _jvm_markers(home), service="sql-server JVM", timeout=10.0):
        stopped.append(jvm)
    return stopped


def stop_endpoint(home: Path) -> tuple[str, dict[str, Any] | None]:
    """Stop exactly the recorded endpoint; returns (``stopped``|``stale``|``not running``, entry)."""
    state = ServiceState(home)
    with service_lock(home):
        entry = state.read().get(ENDPOINT_SERVICE)
    if not isinstance(entry, dict):
        if entry is not None:
            with service_lock(home):
                state.put(ENDPOINT_SERVICE, None)
        return "not running", None
    stopped = _stop_recorded(home, entry)
    with service_lock(home):
        current = state.read().get(ENDPOINT_SERVICE)
        if current is None or (isinstance(current, dict) and current.get("pid") == entry.get("pid")):
            state.put(ENDPOINT_SERVICE, None)
    return ("stopped" if stopped else "stale"), entry


def endpoint_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` (running | starting | not listening | stale), or ``None``."""
    entry = ServiceState(home).read().get(ENDPOINT_SERVICE)
    if not isinstance(entry, dict):
        return None
    out = dict(entry)
    if not is_service_process(entry.get("pid"), server_markers(home)):
        out["status"] = "stale"
    elif entry.get("status") == "running" and port_free(int(entry.get("port", 0) or 0)):
        out["status"] = "not listening"
    return out


def refresh_report(home: Path) -> dict[str, Any] | None:
    """The last refresh report the server wrote (``None`` if there is none)."""
    try:
        data = json.loads((endpoint_dir(home) / REFRESH_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def refresh_endpoint(home: Path, *, timeout: float = 300.0) -> dict[str, Any]:
    """Ask the running endpoint to re-expose the catalog (SIGHUP) and wait for its report."""
    entry = running_endpoint(home)
    if entry is None or entry.get("status") != "running":
        raise EndpointNotRunningError(home)
    before = int(entry.get("refresh_seq", 0) or 0)
    os.kill(int(entry["pid"]), signal.SIGHUP)

    def _done() -> bool:
        current = ServiceState(home).read().get(ENDPOINT_SERVICE)
        return isinstance(current, dict) and int(current.get("refresh_seq", 0) or 0) > before

    if not wait_for(lambda: _done() or not pid_alive(int(entry["pid"])), timeout, interval=0.3) or not _done():
        raise ServiceStartError("sql-server refresh", f"no refresh report within {timeout:.0f} s",
                                log_path=Path(str(entry.get("log"))) if entry.get("log") else None)
    report = refresh_report(home)
    if report is None:
        raise EndpointRefreshError("the refresh report is missing")
    if report.get("failed"):
        raise EndpointRefreshError(str(report["failed"]))
    return report
