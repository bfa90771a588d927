"""A real scheduler process killed with SIGKILL mid-run and restarted never runs a logical date twice."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipelines_testkit import STEP_SCRIPT, read_records

from infra.pipelines.delta_history import DeltaRunHistory
from infra.pipelines.history import RunStatus, StepStatus
from lake.state import pid_alive

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PROC = str(Path(__file__).resolve().parent / "scheduler_proc.py")
T0 = datetime(2024, 3, 1, 0, 0, 30, tzinfo=UTC)
SPEED = 30  # a one-minute cron ticks every 2 s of real time


def _started(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait(predicate: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"scheduler exited with {proc.returncode}")
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the scheduler")


def _kill_lake_processes(lake_dir: Path) -> None:
    """Anything still running for this lake (scheduler, its JVM, step processes)."""
    marker = f"LAKEFORGE_LAKE={lake_dir}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                continue


def test_kill_9_and_restart_never_runs_a_logical_date_twice(tmp_path: Path, local_lake) -> None:  # type: ignore[no-untyped-def]
    pipelines, started, records = tmp_path / "pipelines", tmp_path / "started.jsonl", tmp_path / "records.jsonl"
    pipelines.mkdir()
    (pipelines / "minutely.toml").write_text(
        'name = "minutely"\nschedule = "* * * * *"\ncatchup = "all"\n[[steps]]\nname = "work"\n'
        f'submit = "{STEP_SCRIPT}"\nargs = ["--started", "{started}", "--record", "{records}", "--sleep", "6"]\n')
    lake_dir = local_lake.root
    env = {**os.environ, "LAKEFORGE_LAKE": str(lake_dir), "LAKEFORGE_PROFILE": "local"}
    real0 = time.time()
    argv = [sys.executable, PROC, str(lake_dir), str(pipelines), T0.isoformat(), str(real0), str(SPEED)]
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with logs[0].open("wb") as log:
            first = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(first)
        _wait(lambda: len(_started(started)) >= 1, first)
        in_flight = _started(started)[0]
        os.killpg(first.pid, signal.SIGKILL)  # the scheduler and its Spark JVM, mid-run
        first.wait(timeout=30)
        assert pid_alive(int(in_flight["pid"])), "the step should outlive the killed scheduler"

        with logs[1].open("wb") as log:
            second = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(second)
        _wait(lambda: len({r["run_id"] for r in read_records(records)} - {in_flight["run_id"]}) >= 2, second)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=120) == 0
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        _kill_lake_processes(lake_dir)

    runs = DeltaRunHistory(local_lake).runs("minutely")
    logical_started = [s["run_id"].split("-")[1] for s in _started(started)]  # minutely-<logical>-<hex>
    assert len(logical_started) == len(set(logical_started)), f"a logical date ran twice: {logical_started}"
    assert len(runs) == len({r.logical_date for r in runs}), "a logical date has two runs"
    by_id = {r.run_id: r for r in runs}
    killed = by_id[in_flight["run_id"]]
    assert killed.status == RunStatus.INTERRUPTED and "runner process is gone" in (killed.error or "")
    assert in_flight["run_id"] not in {r["run_id"] for r in read_records(records)}, "the orphan step was not stopped"
    (step,) = DeltaRunHistory(local_lake).step_runs(killed.run_id)
    assert step.status == StepStatus.INTERRUPTED and step.log_location.startswith(str(lake_dir))
    assert "starting" in DeltaRunHistory(local_lake).read_log(step.log_location)
    assert not pid_alive(int(in_flight["pid"]))
    after = [r for r in runs if r.started_at > killed.started_at]
    assert sum(r.status == RunStatus.SUCCESS for r in after) >= 2
    assert all(r.logical_date > killed.logical_date for r in after)
    assert "marked interrupted" in logs[1].read_text()
