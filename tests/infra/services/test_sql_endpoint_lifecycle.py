"""Starting, stopping and refreshing the endpoint without Spark: options, state and stale entries."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from infra.errors import InvalidOptionError, PortInUseError
from infra.services.sql_endpoint import (
    ENDPOINT_SERVICE,
    EndpointNotRunningError,
    EndpointOptions,
    endpoint_status,
    refresh_endpoint,
    running_endpoint,
    server_command,
    server_markers,
    start_endpoint,
    stop_endpoint,
)
from lake.config import load_settings
from lake.state import ServiceState


def test_stop_with_a_stale_entry_removes_it_without_signalling(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live pid that is not an endpoint server (e.g. a reused pid)
        ServiceState(tmp_path).put(ENDPOINT_SERVICE, {"pid": sleeper.pid, "port": 1, "jvm_pid": sleeper.pid})

        outcome, entry = stop_endpoint(tmp_path)

        assert outcome == "stale" and entry is not None
        assert sleeper.poll() is None
        assert ENDPOINT_SERVICE not in ServiceState(tmp_path).read()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_status_reports_stale_and_not_running(tmp_path: Path) -> None:
    assert endpoint_status(tmp_path) is None
    assert stop_endpoint(tmp_path) == ("not running", None)

    ServiceState(tmp_path).put(ENDPOINT_SERVICE, {"pid": 2**22 + 12345, "port": 10000})

    status = endpoint_status(tmp_path)
    assert status is not None and status["status"] == "stale"
    assert running_endpoint(tmp_path) is None


def test_refresh_needs_a_running_endpoint(tmp_path: Path) -> None:
    with pytest.raises(EndpointNotRunningError, match="not running"):
        refresh_endpoint(tmp_path)


def test_a_busy_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path)})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]

        with pytest.raises(PortInUseError, match=str(port)):
            start_endpoint(settings, EndpointOptions(port=port))

    assert ENDPOINT_SERVICE not in ServiceState(tmp_path).read()


def test_bad_options_fail_naming_the_option(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path)})
    with pytest.raises(InvalidOptionError, match="--port"):
        start_endpoint(settings, EndpointOptions(port=70000))
    with pytest.raises(InvalidOptionError, match="--refresh-interval"):
        start_endpoint(settings, EndpointOptions(refresh_interval=-1))


def test_markers_tell_homes_apart(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "home2"
    cmd = " ".join(server_command(other, 10000, EndpointOptions(read_only=True, overrides=(("profile", "moto"),))))

    assert all(marker in cmd for marker in server_markers(other))
    assert not all(marker in cmd for marker in server_markers(home))
    assert "--read-only" in cmd and "--set profile=moto" in cmd
