"""Cluster bookkeeping without starting Spark: options, ports, stale and reused-pid entries."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.errors import InvalidOptionError, PortInUseError
from infra.services.process import wait_for
from infra.services.spark_cluster import (
    MASTER_CLASS,
    WORKER_CLASS,
    ClusterSpec,
    _pick_port,
    cluster_status,
    memory_mb,
    running_cluster,
    stop_cluster,
)
from lake.state import ServiceState, pid_alive

Sleeper = Callable[..., subprocess.Popen[bytes]]


@pytest.mark.parametrize(("text", "mb"), [("512m", 512), ("2g", 2048), ("1024", 1024), ("1G", 1024)])
def test_memory_sizes_in_spark_notation(text: str, mb: float) -> None:
    assert memory_mb(text) == mb


@pytest.mark.parametrize(
    ("spec", "option"),
    [
        (ClusterSpec(workers=0), "--workers"),
        (ClusterSpec(cores_per_worker=0), "--cores-per-worker"),
        (ClusterSpec(memory_per_worker="lots"), "memory"),
        (ClusterSpec(memory_per_worker="100m"), "--memory-per-worker"),
        (ClusterSpec(port=0), "--port"),
        (ClusterSpec(webui_port=70000), "--webui-port"),
    ],
)
def test_invalid_cluster_options_name_the_option(spec: ClusterSpec, option: str) -> None:
    with pytest.raises(InvalidOptionError, match=option):
        spec.validate()


def test_a_taken_default_port_falls_back_to_a_free_one() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        other = _pick_port(None, taken, "--port")
        assert other != taken
        with pytest.raises(PortInUseError, match=str(taken)):
            _pick_port(taken, 7077, "--port")


def test_stop_with_nothing_recorded(lake_home: Path) -> None:
    assert stop_cluster(lake_home) == ("not running", None, [])


def test_stale_entry_with_dead_pids_is_removed(lake_home: Path, dead_pid: int) -> None:
    ServiceState(lake_home).put("cluster", {"pid": dead_pid, "worker_pids": [dead_pid]})
    assert cluster_status(lake_home)["status"] == "stale"  # type: ignore[index]
    assert running_cluster(lake_home) is None
    outcome, _, stopped = stop_cluster(lake_home)
    assert (outcome, stopped) == ("stale", [])
    assert ServiceState(lake_home).read() == {}


def test_pids_reused_by_other_programs_are_never_signalled(lake_home: Path, sleeper: Sleeper) -> None:
    master = sleeper(MASTER_CLASS, "-Dlakeforge.home=/some/other/home")
    worker = sleeper("unrelated")
    ServiceState(lake_home).put("cluster", {"pid": master.pid, "worker_pids": [worker.pid]})
    assert stop_cluster(lake_home)[0] == "stale"
    assert master.poll() is None and worker.poll() is None


def test_stop_signals_exactly_the_recorded_daemons(lake_home: Path, sleeper: Sleeper) -> None:
    marker = f"-Dlakeforge.home={lake_home}"
    master = sleeper(MASTER_CLASS, marker, new_group=True)
    worker = sleeper(WORKER_CLASS, marker, new_group=True)
    bystander = sleeper(WORKER_CLASS, "-Dlakeforge.home=/elsewhere")
    ServiceState(lake_home).put("cluster", {"pid": master.pid, "worker_pids": [worker.pid], "master_url": "spark://x"})
    assert running_cluster(lake_home) is not None
    outcome, _, stopped = stop_cluster(lake_home)
    assert outcome == "stopped" and sorted(stopped) == sorted([master.pid, worker.pid])
    assert wait_for(lambda: not pid_alive(master.pid) and not pid_alive(worker.pid), 5)
    assert bystander.poll() is None
