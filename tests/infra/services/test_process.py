"""Process identity, stopping and port helpers: only recorded processes are ever signalled."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from infra.services.process import (
    free_port,
    is_service_process,
    log_tail,
    port_free,
    stop_process,
    wait_for,
)
from lake.state import pid_alive

Sleeper = Callable[..., subprocess.Popen[bytes]]


def test_a_process_is_identified_by_its_command_line_markers(sleeper: Sleeper) -> None:
    proc = sleeper("marker-a", "--home=/x")
    assert is_service_process(proc.pid, ["marker-a", "--home=/x"])
    assert not is_service_process(proc.pid, ["marker-a", "--home=/y"])


def test_dead_or_invalid_pids_are_not_service_processes(dead_pid: int) -> None:
    assert not is_service_process(dead_pid, [])
    assert not is_service_process(None, [])
    assert not is_service_process("123", [])


def test_stop_process_leaves_a_process_with_other_markers_alone(sleeper: Sleeper) -> None:
    proc = sleeper("someone-else")
    assert stop_process(proc.pid, ["lakeforge-marker"], service="test") is False
    assert proc.poll() is None


def test_stop_process_terminates_the_matching_process(sleeper: Sleeper) -> None:
    proc = sleeper("lakeforge-marker")
    assert stop_process(proc.pid, ["lakeforge-marker"], service="test", timeout=5) is True
    assert not pid_alive(proc.pid)


def test_stop_process_with_group_also_stops_its_children(tmp_path: Path, sleeper: Sleeper) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, "group-marker"], start_new_session=True)
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text() != "", 20)
        child = int(pid_file.read_text())
        assert stop_process(parent.pid, ["group-marker"], service="test", group=True, timeout=5)
        parent.wait(timeout=5)
        assert wait_for(lambda: not pid_alive(child), 5)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_port_helpers_see_a_bound_port() -> None:
    port = free_port()
    assert port_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not port_free(port)


def test_log_tail_returns_the_last_non_empty_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("one\n\ntwo\nthree\n\n")
    assert log_tail(log, 2) == "two | three"
    assert log_tail(tmp_path / "missing.log") == ""
