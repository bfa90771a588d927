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

import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.sql.errors import EndpointNotRunningError, EndpointRefreshError
from infra.errors import InvalidOptionError, ServiceStartError
from infra.services.lifecycle import (
    ManagedService,
    RecordedProcess,
    ServiceStart,
    ServiceStop,
    Spawner,
    StopOutcome,
    check_port,
    pick_port,
)
from infra.services.process import LOOPBACK, port_free, service_lock, utc_now, wait_for
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
    "SqlEndpoint",
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
        check_port("--port", self.port)
        if self.refresh_interval < 0:
            raise InvalidOptionError("--refresh-interval", self.refresh_interval, "seconds ≥ 0 (0 = off)")


EndpointStart = ServiceStart
"""The outcome of :func:`start_endpoint` (the shared :class:`~infra.services.lifecycle.ServiceStart`)."""


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


class SqlEndpoint(ManagedService):
    """The endpoint of one home: a Python driver that marks itself ``running`` once the Thrift port listens.

    Stopping sends SIGTERM to the driver only (it stops the Thrift server and Spark in order),
    then kills what is left of its process group, then the recorded JVM if it still runs.
    """

    name = ENDPOINT_SERVICE
    label = "sql-server"
    child_updates_entry = True
    unhealthy = "not listening"
    stop_timeout = 30.0

    def __init__(self, home: Path, settings: Settings | None = None, options: EndpointOptions | None = None,
                 *, timeout: float = 300.0) -> None:
        super().__init__(home, ready_timeout=timeout)
        self.settings = settings
        self.options = options or EndpointOptions()

    def markers(self) -> list[str]:
        return server_markers(self.home)

    def validate(self) -> None:
        self.options.validate()

    def health(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        return None if port_free(int(entry.get("port", 0) or 0)) else {}

    def processes(self, entry: Mapping[str, Any]) -> list[RecordedProcess]:
        return [
            RecordedProcess(entry.get("pid"), self.markers(), self.label, self.stop_timeout, reap_group=True),
            RecordedProcess(entry.get("jvm_pid"), _jvm_markers(self.home), "sql-server JVM", 10.0),
        ]

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        if self.settings is None:
            raise ValueError("starting the SQL endpoint needs settings")
        port = pick_port(self.options.port, DEFAULT_PORT, service="sql-server")
        workdir = endpoint_dir(self.home)
        workdir.mkdir(parents=True, exist_ok=True)
        log = self.home / "logs" / "sql-server.log"
        proc = spawner.spawn("sql-server", server_command(self.home, port, self.options), log_path=log,
                             env=_server_env(self.settings), cwd=workdir)
        return {
            "pid": proc.pid, "port": port, "host": LOOPBACK, "jdbc_url": jdbc_url(port),
            "read_only": self.options.read_only, "refresh_interval": self.options.refresh_interval,
            "log": str(log), "started_at": utc_now(), "status": "starting",
        }


def running_endpoint(home: Path) -> dict[str, Any] | None:
    """The recorded entry if its pid is really this home's endpoint server."""
    return SqlEndpoint(home).running()


def update_entry(home: Path, pid: int, **fields: Any) -> None:
    """Merge ``fields`` into the ``thrift`` entry if it belongs to ``pid`` (or create it); ``None`` removes a key."""
    SqlEndpoint(home).update_entry(pid, **fields)


def start_endpoint(settings: Settings, options: EndpointOptions, *, timeout: float = 300.0) -> ServiceStart:
    """Start the endpoint in the background unless this home's endpoint already runs.

    Returns once the Thrift port accepts connections and the catalog is exposed.
    """
    return SqlEndpoint(settings.home, settings, options, timeout=timeout).start()


def exec_foreground(settings: Settings, options: EndpointOptions) -> None:
    """Replace this process with the endpoint server (logs on the terminal; Ctrl-C stops it)."""
    options.validate()
    home = settings.home
    service = SqlEndpoint(home, settings, options)
    with service_lock(home):
        live = service.running()
        if live is not None:
            raise InvalidOptionError(
                "--foreground", True, f"no running endpoint (one runs at {live.get('jdbc_url')}, pid {live.get('pid')})"
            )
        service.drop_stale()
        port = pick_port(options.port, DEFAULT_PORT, service="sql-server")
    workdir = endpoint_dir(home)
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    cmd = server_command(home, port, options)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, _server_env(settings))


def stop_endpoint(home: Path) -> tuple[StopOutcome, dict[str, Any] | None]:
    """Stop exactly the recorded endpoint; returns (``stopped``|``stale``|``not running``, entry)."""
    result: ServiceStop = SqlEndpoint(home).stop()
    return result.outcome, result.entry


def endpoint_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` (running | starting | not listening | stale), or ``None``."""
    return SqlEndpoint(home).status()


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
