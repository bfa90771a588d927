"""``lake cluster up|down``: a Spark standalone master and N workers on 127.0.0.1.

The pip-installed Spark has no start-master/start-worker scripts, so the daemons are started
with ``$SPARK_HOME/bin/spark-class`` (which ``exec``s java, so the recorded pid is the JVM).
Each daemon carries ``-Dlakeforge.home=<home>`` on its command line; only processes with that
marker and the expected main class are ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.errors import InvalidOptionError, PortInUseError, ServiceStartError
from infra.java import require_java
from infra.services.process import (
    LOOPBACK,
    free_port,
    http_get_json,
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
    "CLUSTER_SERVICE",
    "DEFAULT_MASTER_PORT",
    "DEFAULT_WEBUI_PORT",
    "MASTER_CLASS",
    "WORKER_CLASS",
    "ClusterSpec",
    "ClusterStart",
    "cluster_status",
    "master_json",
    "memory_mb",
    "running_cluster",
    "start_cluster",
    "stop_cluster",
]

CLUSTER_SERVICE = "cluster"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DEFAULT_MASTER_PORT = 7077
DEFAULT_WEBUI_PORT = 18080
_MEMORY = re.compile(r"^(\d+)([kmgt])?b?$", re.IGNORECASE)
_MB_PER_UNIT = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}


def memory_mb(value: str) -> float:
    """Spark's memory notation (``512m``, ``2g``; bare numbers are MiB) in MiB."""
    match = _MEMORY.match(value.strip())
    if not match:
        raise InvalidOptionError("memory", value, "a size like 512m or 2g")
    return int(match.group(1)) * _MB_PER_UNIT[(match.group(2) or "m").lower()]


@dataclass(frozen=True)
class ClusterSpec:
    """What ``lake cluster up`` asks for. ``None`` ports mean: the default, or a free one."""

    workers: int = 2
    cores_per_worker: int = 1
    memory_per_worker: str = "2g"
    port: int | None = None
    webui_port: int | None = None

    def validate(self) -> None:
        if self.workers < 1:
            raise InvalidOptionError("--workers", self.workers, "at least 1")
        if self.cores_per_worker < 1:
            raise InvalidOptionError("--cores-per-worker", self.cores_per_worker, "at least 1")
        if memory_mb(self.memory_per_worker) < 512:
            raise InvalidOptionError("--memory-per-worker", self.memory_per_worker, "at least 512m")
        for option, port in (("--port", self.port), ("--webui-port", self.webui_port)):
            if port is not None and not 1 <= port <= 65535:
                raise InvalidOptionError(option, port, "a TCP port between 1 and 65535")


@dataclass(frozen=True)
class ClusterStart:
    """The outcome of :func:`start_cluster`: the live entry, and whether this call started it."""

    entry: dict[str, Any]
    started: bool
    replaced_stale: bool = False


def _home_marker(home: Path) -> str:
    return f"-Dlakeforge.home={home}"


def _master_markers(home: Path) -> list[str]:
    return [MASTER_CLASS, _home_marker(home)]


def _worker_markers(home: Path) -> list[str]:
    return [WORKER_CLASS, _home_marker(home)]


def running_cluster(home: Path) -> dict[str, Any] | None:
    """The recorded cluster entry if its master process is really this home's master."""
    entry = ServiceState(home).read().get(CLUSTER_SERVICE)
    if isinstance(entry, dict) and is_service_process(entry.get("pid"), _master_markers(home)):
        return entry
    return None


def master_json(entry: dict[str, Any], timeout: float = 2.0) -> dict[str, Any] | None:
    """The master's ``/json/`` status page for a cluster entry (``None`` if it does not answer)."""
    data = http_get_json(f"{entry.get('webui', '')}/json/", timeout=timeout)
    return data if isinstance(data, dict) else None


def cluster_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` and live worker/app counts, or ``None``."""
    entry = ServiceState(home).read().get(CLUSTER_SERVICE)
    if not isinstance(entry, dict):
        return None
    out = dict(entry)
    if not is_service_process(entry.get("pid"), _master_markers(home)):
        out["status"] = "stale"
        return out
    info = master_json(entry)
    if info is None:
        out["status"] = "not answering"
        return out
    out["status"] = "running"
    out["alive_workers"] = info.get("aliveworkers")
    out["active_apps"] = [app.get("name") for app in info.get("activeapps", [])]
    return out


def _pick_port(requested: int | None, default: int, option: str) -> int:
    if requested is not None:
        if not port_free(requested):
            raise PortInUseError(requested, service=f"spark cluster ({option})")
        return requested
    return default if port_free(default) else free_port()


def _daemon_env(home: Path) -> dict[str, str]:
    from lake.spark.session import spark_home

    opts = " ".join([f'"{_home_marker(home)}"', "-Dlakeforge.service=cluster", "-Dspark.port.maxRetries=0"])
    extra = os.environ.get("SPARK_DAEMON_JAVA_OPTS", "")
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_DAEMON_JAVA_OPTS": f"{extra} {opts}".strip(),
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
    }


def start_cluster(home: Path, spec: ClusterSpec, *, timeout: float = 180.0) -> ClusterStart:
    """Start a master and ``spec.workers`` workers unless this home's cluster already runs.

    Returns once every worker has registered with the master (bounded by ``timeout``).
    """
    spec.validate()
    state = ServiceState(home)
    with service_lock(home):
        live = running_cluster(home)
        if live is not None:
            return ClusterStart(entry=live, started=False)
        stale = state.read().get(CLUSTER_SERVICE)
        if stale is not None:
            _stop_recorded(home, stale if isinstance(stale, dict) else {})
            state.put(CLUSTER_SERVICE, None)
        require_java()
        port = _pick_port(spec.port, DEFAULT_MASTER_PORT, "--port")
        webui_port = _pick_port(spec.webui_port, DEFAULT_WEBUI_PORT, "--webui-port")
        entry = _launch(home, spec, port, webui_port, timeout)
        state.put(CLUSTER_SERVICE, entry)
        return ClusterStart(entry=entry, started=True, replaced_stale=stale is not None)


def _kill_all(procs: list[tuple[str, Path, subprocess.Popen[bytes]]]) -> None:
    for _, _, proc in reversed(procs):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _launch(home: Path, spec: ClusterSpec, port: int, webui_port: int, timeout: float) -> dict[str, Any]:
    """Start the daemons; on any failure (Ctrl-C included) kill every one already started."""
    procs: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    try:
        return _start_daemons(home, spec, port, webui_port, timeout, procs)
    except BaseException:
        _kill_all(procs)
        raise


def _start_daemons(
    home: Path,
    spec: ClusterSpec,
    port: int,
    webui_port: int,
    timeout: float,
    procs: list[tuple[str, Path, subprocess.Popen[bytes]]],
) -> dict[str, Any]:
    from lake.spark.session import spark_home

    spark_class = str(spark_home() / "bin" / "spark-class")
    env = _daemon_env(home)
    logs = home / "logs"
    master_url = f"spark://{LOOPBACK}:{port}"
    webui = f"http://{LOOPBACK}:{webui_port}"
    entry = {"master_url": master_url, "webui": webui}

    def _fail(reason: str, log_path: Path) -> ServiceStartError:
        _kill_all(procs)  # so the log tail below includes the daemons' last words
        tail = log_tail(log_path)
        return ServiceStartError("spark cluster", f"{reason}{': ' + tail if tail else ''}", log_path=log_path)

    def _dead() -> tuple[str, Path, subprocess.Popen[bytes]] | None:
        return next((p for p in procs if p[2].poll() is not None), None)

    master_log = logs / "spark-master.log"
    master_cmd = [spark_class, MASTER_CLASS, "--host", LOOPBACK, "--port", str(port), "--webui-port", str(webui_port)]
    procs.append(("master", master_log, spawn_detached(master_cmd, log_path=master_log, env=env)))

    def _master_alive() -> bool:
        info = master_json(entry, timeout=1.0)
        return bool(info and info.get("status") == "ALIVE")

    if not wait_for(lambda: _master_alive() or _dead() is not None, timeout, interval=0.5):
        raise _fail(f"master did not answer at {webui} within {timeout:.0f} s", master_log)
    if (dead := _dead()) is not None:
        raise _fail(f"{dead[0]} exited with code {dead[2].returncode}", dead[1])

    for i in range(1, spec.workers + 1):
        work_dir = home / "cluster" / f"worker-{i}"
        work_dir.mkdir(parents=True, exist_ok=True)
        worker_log = logs / f"spark-worker-{i}.log"
        cmd = [spark_class, WORKER_CLASS, master_url]
        cmd += ["--cores", str(spec.cores_per_worker), "--memory", spec.memory_per_worker]
        cmd += ["--work-dir", str(work_dir), "--host", LOOPBACK, "--webui-port", "0"]
        procs.append((f"worker {i}", worker_log, spawn_detached(cmd, log_path=worker_log, env=env)))

    def _registered() -> bool:
        info = master_json(entry, timeout=1.0)
        return bool(info and int(info.get("aliveworkers", 0)) >= spec.workers)

    if not wait_for(lambda: _registered() or _dead() is not None, timeout, interval=0.5):
        raise _fail(f"not all {spec.workers} workers registered within {timeout:.0f} s", procs[-1][1])
    if (dead := _dead()) is not None:
        raise _fail(f"{dead[0]} exited with code {dead[2].returncode}", dead[1])
    return {
        **entry,
        "pid": procs[0][2].pid,
        "worker_pids": [proc.pid for _, _, proc in procs[1:]],
        "workers": spec.workers,
        "cores_per_worker": spec.cores_per_worker,
        "memory_per_worker": spec.memory_per_worker,
        "started_at": utc_now(),
        "logs": [str(log) for _, log, _ in procs],
    }


def _stop_recorded(home: Path, entry: dict[str, Any], timeout: float = 20.0) -> list[int]:
    stopped: list[int] = []
    for pid in entry.get("worker_pids", []):
        if isinstance(pid, int) and stop_process(
            pid, _worker_markers(home), service="spark worker", timeout=timeout, group=True
        ):
            stopped.append(pid)
    pid = entry.get("pid")
    if isinstance(pid, int) and stop_process(
        pid, _master_markers(home), service="spark master", timeout=timeout, group=True
    ):
        stopped.append(pid)
    return stopped


def stop_cluster(home: Path) -> tuple[str, dict[str, Any] | None, list[int]]:
    """Stop exactly the recorded master and workers; returns (outcome, entry, stopped pids).

    Outcome is ``stopped``, ``stale`` (entry removed, no matching process) or ``not running``.
    """
    state = ServiceState(home)
    with service_lock(home):
        entry = state.read().get(CLUSTER_SERVICE)
        if not isinstance(entry, dict):
            if entry is not None:
                state.put(CLUSTER_SERVICE, None)
            return "not running", None, []
        stopped = _stop_recorded(home, entry)
        state.put(CLUSTER_SERVICE, None)
        return ("stopped" if stopped else "stale"), entry, stopped
