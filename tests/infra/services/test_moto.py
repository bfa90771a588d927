"""The moto server service: start, idempotence, stale entries, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from infra.errors import InvalidOptionError, PortInUseError
from infra.services.moto import moto_markers, moto_status, running_moto, start_moto, stop_moto
from infra.services.process import free_port, wait_for
from lake.state import ServiceState, pid_alive

Sleeper = Callable[..., subprocess.Popen[bytes]]


def _client(service: str, endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_start_records_a_live_server_that_serves_s3_and_kinesis(lake_home: Path) -> None:
    result = start_moto(lake_home)
    entry = result.entry
    assert result.started
    assert entry["endpoint"] == f"http://127.0.0.1:{entry['port']}"
    assert ServiceState(lake_home).moto_endpoint() == entry["endpoint"]
    assert Path(entry["log"]).is_file() and entry["started_at"]

    s3 = _client("s3", entry["endpoint"])
    s3.create_bucket(Bucket="bucket-a")
    s3.put_object(Bucket="bucket-a", Key="k", Body=b"hello")
    assert s3.get_object(Bucket="bucket-a", Key="k")["Body"].read() == b"hello"
    kinesis = _client("kinesis", entry["endpoint"])
    kinesis.create_stream(StreamName="s", ShardCount=1)
    assert kinesis.list_streams()["StreamNames"] == ["s"]


def test_start_is_idempotent(lake_home: Path) -> None:
    first = start_moto(lake_home)
    second = start_moto(lake_home)
    assert not second.started
    assert second.entry["pid"] == first.entry["pid"]
    assert second.entry["endpoint"] == first.entry["endpoint"]


def test_start_on_a_requested_port(lake_home: Path) -> None:
    port = free_port()
    entry = start_moto(lake_home, port=port).entry
    assert entry["endpoint"] == f"http://127.0.0.1:{port}"


def test_start_on_a_busy_port_fails_before_spawning(lake_home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port}"):
            start_moto(lake_home, port=port)
    assert ServiceState(lake_home).read() == {}


def test_start_rejects_an_invalid_port(lake_home: Path) -> None:
    with pytest.raises(InvalidOptionError, match="--port"):
        start_moto(lake_home, port=70000)


def test_a_stale_entry_with_a_dead_pid_is_replaced(lake_home: Path, dead_pid: int) -> None:
    ServiceState(lake_home).put("moto", {"pid": dead_pid, "endpoint": "http://127.0.0.1:1"})
    assert moto_status(lake_home)["status"] == "stale"  # type: ignore[index]
    result = start_moto(lake_home)
    assert result.started and result.replaced_stale
    assert result.entry["pid"] != dead_pid
    assert running_moto(lake_home) == result.entry


def test_an_entry_whose_pid_was_reused_is_replaced_without_killing_it(lake_home: Path, sleeper: Sleeper) -> None:
    other = sleeper("unrelated-program")
    ServiceState(lake_home).put("moto", {"pid": other.pid, "endpoint": "http://127.0.0.1:1"})
    result = start_moto(lake_home)
    assert result.started and result.entry["pid"] != other.pid
    assert other.poll() is None


def test_stop_stops_exactly_the_recorded_process(lake_home: Path) -> None:
    entry = start_moto(lake_home).entry
    outcome, stopped = stop_moto(lake_home)
    assert outcome == "stopped" and stopped == entry
    assert wait_for(lambda: not pid_alive(entry["pid"]), 5)
    assert ServiceState(lake_home).read() == {}


def test_stop_when_nothing_runs(lake_home: Path) -> None:
    assert stop_moto(lake_home) == ("not running", None)


def test_stop_with_a_reused_pid_only_removes_the_entry(lake_home: Path, sleeper: Sleeper) -> None:
    other = sleeper("unrelated-program")
    ServiceState(lake_home).put("moto", {"pid": other.pid, "endpoint": "http://127.0.0.1:1"})
    outcome, _ = stop_moto(lake_home)
    assert outcome == "stale"
    assert other.poll() is None
    assert ServiceState(lake_home).read() == {}


def test_a_killed_server_shows_as_stale_and_is_restarted(lake_home: Path) -> None:
    entry = start_moto(lake_home).entry
    os.kill(entry["pid"], signal.SIGKILL)
    assert wait_for(lambda: moto_status(lake_home)["status"] == "stale", 10)  # type: ignore[index]
    again = start_moto(lake_home)
    assert again.started and again.entry["pid"] != entry["pid"]


def test_the_process_is_identified_by_module_and_home(lake_home: Path) -> None:
    entry = start_moto(lake_home).entry
    argv = Path(f"/proc/{entry['pid']}/cmdline").read_bytes().decode().split("\0")
    assert all(marker in argv for marker in moto_markers(lake_home)[1:])
    assert "infra.services.moto_server" in argv
    assert "127.0.0.1" in argv
