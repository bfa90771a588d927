"""``lake cluster up|down``: a Spark standalone master and N workers on 127.0.0.1.

The pip-installed Spark has no start-master/start-worker scripts, so the daemons are started
with ``$SPARK_HOME/bin/spark-class`` (which ``exec``s java, so the recorded pid is the JVM).
Each daemon carries ``-Dlakeforge.home=<home>`` on its command line; only processes with that
marker and the expected main class are ever signalled.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.errors import InvalidOptionError
from infra.java import require_java
from infra.services.lifecycle import (
    ManagedService,
    RecordedProcess,
    ServiceStart,
    Spawner,
    check_port,
    pick_port,
)
from infra.services.process import LOOPBACK, http_get_json, utc_now

__all__ = [
    "CLUSTER_SERVICE",
    "DEFAULT_MASTER_PORT",
    "DEFAULT_WEBUI_PORT",
    "MASTER_CLASS",
    "WORKER_CLASS",
    "ClusterSpec",
    "ClusterStart",
    "SparkCluster",
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
        check_port("--port", self.port)
        check_port("--webui-port", self.webui_port)


ClusterStart = ServiceStart
"""The outcome of :func:`start_cluster` (the shared :class:`~infra.services.lifecycle.ServiceStart`)."""


def _home_marker(home: Path) -> str:
    return f"-Dlakeforge.home={home}"


def _master_markers(home: Path) -> list[str]:
    return [MASTER_CLASS, _home_marker(home)]


def _worker_markers(home: Path) -> list[str]:
    return [WORKER_CLASS, _home_marker(home)]


def master_json(entry: Mapping[str, Any], timeout: float = 2.0) -> dict[str, Any] | None:
    """The master's ``/json/`` status page for a cluster entry (``None`` if it does not answer)."""
    data = http_get_json(f"{entry.get('webui', '')}/json/", timeout=timeout)
    return data if isinstance(data, dict) else None


def _pick_port(requested: int | None, default: int, option: str) -> int:
    return pick_port(requested, default, service=f"spark cluster ({option})")


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


class SparkCluster(ManagedService):
    """A Spark standalone master and ``spec.workers`` workers; the entry's ``pid`` is the master JVM.

    ``spark-class`` ``exec``s java, so each recorded pid is a JVM that leads its own process
    group (its executors included): stopping signals the group.
    """

    name = CLUSTER_SERVICE
    label = "spark cluster"
    stop_timeout = 20.0

    def __init__(self, home: Path, spec: ClusterSpec | None = None, *, timeout: float = 180.0) -> None:
        super().__init__(home, ready_timeout=timeout)
        self.spec = spec or ClusterSpec()

    def markers(self) -> list[str]:
        return _master_markers(self.home)

    def validate(self) -> None:
        self.spec.validate()

    def health(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        info = master_json(entry)
        if info is None:
            return None
        return {"alive_workers": info.get("aliveworkers"),
                "active_apps": [app.get("name") for app in info.get("activeapps", [])]}

    def processes(self, entry: Mapping[str, Any]) -> list[RecordedProcess]:
        workers = [RecordedProcess(pid, _worker_markers(self.home), "spark worker", self.stop_timeout, group=True)
                   for pid in entry.get("worker_pids", [])]
        master = RecordedProcess(entry.get("pid"), _master_markers(self.home), "spark master", self.stop_timeout,
                                 group=True)
        return [*workers, master]

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        """Start the master, then the workers; returns once every worker has registered."""
        from lake.spark.session import spark_home

        require_java()
        spec, home, timeout = self.spec, self.home, self.ready_timeout
        port = _pick_port(spec.port, DEFAULT_MASTER_PORT, "--port")
        webui_port = _pick_port(spec.webui_port, DEFAULT_WEBUI_PORT, "--webui-port")
        spark_class = str(spark_home() / "bin" / "spark-class")
        env = _daemon_env(home)
        logs = home / "logs"
        master_url = f"spark://{LOOPBACK}:{port}"
        webui = f"http://{LOOPBACK}:{webui_port}"
        entry: dict[str, Any] = {"master_url": master_url, "webui": webui}

        master_log = logs / "spark-master.log"
        cmd = [spark_class, MASTER_CLASS, "--host", LOOPBACK, "--port", str(port), "--webui-port", str(webui_port)]
        spawner.spawn("master", cmd, log_path=master_log, env=env)

        def _master_alive() -> bool:
            info = master_json(entry, timeout=1.0)
            return bool(info and info.get("status") == "ALIVE")

        spawner.wait_until(_master_alive, timeout, what=f"master did not answer at {webui}", log_path=master_log,
                           interval=0.5)
        worker_logs = []
        for i in range(1, spec.workers + 1):
            work_dir = home / "cluster" / f"worker-{i}"
            work_dir.mkdir(parents=True, exist_ok=True)
            worker_logs.append(logs / f"spark-worker-{i}.log")
            cmd = [spark_class, WORKER_CLASS, master_url, "--cores", str(spec.cores_per_worker),
                   "--memory", spec.memory_per_worker, "--work-dir", str(work_dir), "--host", LOOPBACK,
                   "--webui-port", "0"]
            spawner.spawn(f"worker {i}", cmd, log_path=worker_logs[-1], env=env)

        def _registered() -> bool:
            info = master_json(entry, timeout=1.0)
            return bool(info and int(info.get("aliveworkers", 0)) >= spec.workers)

        spawner.wait_until(_registered, timeout, what=f"not all {spec.workers} workers registered",
                           log_path=worker_logs[-1], interval=0.5)
        return {
            **entry,
            "pid": spawner.main.pid,
            "worker_pids": [child.proc.pid for child in spawner.children[1:]],
            "workers": spec.workers,
            "cores_per_worker": spec.cores_per_worker,
            "memory_per_worker": spec.memory_per_worker,
            "started_at": utc_now(),
            "logs": [str(child.log_path) for child in spawner.children],
        }


def running_cluster(home: Path) -> dict[str, Any] | None:
    """The recorded cluster entry if its master process is really this home's master."""
    return SparkCluster(home).running()


def cluster_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` and live worker/app counts, or ``None``."""
    return SparkCluster(home).status()


def start_cluster(home: Path, spec: ClusterSpec, *, timeout: float = 180.0) -> ServiceStart:
    """Start a master and ``spec.workers`` workers unless this home's cluster already runs.

    Returns once every worker has registered with the master (bounded by ``timeout``).
    """
    return SparkCluster(home, spec, timeout=timeout).start()


def stop_cluster(home: Path) -> tuple[str, dict[str, Any] | None, list[int]]:
    """Stop exactly the recorded master and workers; returns (outcome, entry, stopped pids).

    Outcome is ``stopped``, ``stale`` (entry removed, no matching process) or ``not running``.
    """
    result = SparkCluster(home).stop()
    return result.outcome, result.entry, list(result.stopped)
