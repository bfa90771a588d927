"""The scheduler service: options, identity, stale entries, start/stop, and kill -9 with restart.

The end-to-end test drives ``lake schedule start|status|stop`` as a user would, on an
accelerated clock (``LAKEFORGE_SCHEDULER_CLOCK``: a minutely cron ticks every 2 s) with a
step that runs through ``lake submit`` — the same approach as the library's kill -9 test.
"""

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
from typing import Any

import pytest

from infra.errors import InvalidOptionError, ServiceStartError
from infra.services.process import wait_for
from infra.services.scheduler import (
    CLOCK_ENV,
    SCHEDULER_SERVICE,
    SchedulerOptions,
    scheduler_clock,
    scheduler_markers,
    scheduler_status,
    server_command,
    start_scheduler,
    stop_scheduler,
)
from lake.config import load_settings
from lake.state import ServiceState, pid_alive

REPO = Path(__file__).resolve().parents[3]
STEP_SCRIPT = REPO / "tests" / "infra" / "pipelines" / "step_script.py"
LAKE = str(Path(sys.executable).with_name("lake"))
Sleeper = Callable[..., subprocess.Popen[bytes]]


def _pipelines(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "p.toml").write_text(text)
    return folder


def _daily(folder: Path) -> Path:
    step = f'[[steps]]\nname = "a"\nsubmit = "{STEP_SCRIPT}"\n'
    return _pipelines(folder, 'name = "daily"\nschedule = "0 3 * * *"\n' + step)


@pytest.fixture
def local_settings(lake_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LAKEFORGE_PROFILE", "local")
    monkeypatch.setenv("LAKEFORGE_LAKE", str(tmp_path / "lake"))
    (tmp_path / "lake").mkdir()
    yield load_settings()
    with contextlib.suppress(Exception):
        stop_scheduler(lake_home)


@pytest.mark.parametrize(
    ("options", "option"),
    [
        (SchedulerOptions(()), "--pipelines"),
        (SchedulerOptions((Path("x"),), poll_interval=0), "--poll-interval"),
        (SchedulerOptions((Path("x"),), max_active_runs=0), "--max-active-runs"),
        (SchedulerOptions((Path("x"),), drain_timeout=-1), "--drain-timeout"),
    ],
)
def test_invalid_options_name_the_option(options: SchedulerOptions, option: str) -> None:
    with pytest.raises(InvalidOptionError, match=option):
        options.validate()


def test_the_accelerated_clock_runs_from_its_start_at_its_speed() -> None:
    now = time.time()
    clock = scheduler_clock(f"2024-03-01T00:00:00Z,{now - 10},30")
    assert 300 <= (clock() - datetime(2024, 3, 1, tzinfo=UTC)).total_seconds() < 400
    assert abs((scheduler_clock(None)() - datetime.now(UTC)).total_seconds()) < 5
    with pytest.raises(InvalidOptionError, match=CLOCK_ENV):
        scheduler_clock("tomorrow")


def test_markers_tell_homes_apart(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "home2"
    cmd = " ".join(server_command(other, SchedulerOptions((tmp_path / "p",), overrides=(("profile", "local"),))))
    assert all(marker in cmd for marker in scheduler_markers(other))
    assert not all(marker in cmd for marker in scheduler_markers(home))
    assert "--set profile=local" in cmd


def test_a_stale_entry_is_reported_and_removed_without_signalling(lake_home: Path, sleeper: Sleeper) -> None:
    assert scheduler_status(lake_home) is None
    assert stop_scheduler(lake_home).outcome == "not running"
    other = sleeper("infra.services.scheduler_server", "--home=/another/home --poll-interval")
    ServiceState(lake_home).put(SCHEDULER_SERVICE, {"pid": other.pid, "status": "running"})

    assert scheduler_status(lake_home)["status"] == "stale"  # type: ignore[index]
    result = stop_scheduler(lake_home)

    assert result.outcome == "stale" and result.stopped == ()
    assert other.poll() is None
    assert SCHEDULER_SERVICE not in ServiceState(lake_home).read()


def test_start_records_a_running_scheduler_and_stop_ends_exactly_it(
    lake_home: Path, tmp_path: Path, local_settings: Any, sleeper: Sleeper
) -> None:
    options = SchedulerOptions((_daily(tmp_path / "pipes"),), poll_interval=0.5)
    bystander = sleeper("infra.services.scheduler_server", f"--home={lake_home}2 --poll-interval")

    result = start_scheduler(local_settings, options)

    entry = result.entry
    assert result.started and entry["status"] == "running" and entry["pipelines"] == ["daily"]
    assert entry["pipelines_dirs"] == [str(tmp_path / "pipes")] and Path(entry["log"]).is_file()
    assert scheduler_status(lake_home)["status"] == "running"  # type: ignore[index]
    again = start_scheduler(local_settings, options)
    assert not again.started and again.entry["pid"] == entry["pid"]

    stopped = stop_scheduler(lake_home)

    assert stopped.outcome == "stopped" and stopped.stopped == (entry["pid"],)
    assert wait_for(lambda: not pid_alive(entry["pid"]), 10)
    assert bystander.poll() is None
    assert SCHEDULER_SERVICE not in ServiceState(lake_home).read()
    assert "scheduler stopped" in Path(entry["log"]).read_text()


def test_a_scheduler_that_cannot_start_fails_with_its_log_line(
    lake_home: Path, tmp_path: Path, local_settings: Any
) -> None:
    pipes = _pipelines(tmp_path / "pipes", 'name = "broken"\nschedule = "0 3 * * *"\n')  # no steps
    with pytest.raises(ServiceStartError, match=r"scheduler did not start: exited with code 2: .*at least one"):
        start_scheduler(local_settings, SchedulerOptions((pipes,)))
    assert SCHEDULER_SERVICE not in ServiceState(lake_home).read()


# ------------------------------------------------------------------------ end to end
_WORK = """
import json, os, pathlib, sys, time
started, records, first = map(pathlib.Path, sys.argv[1:4])
entry = {"run_id": os.environ["LAKEFORGE_RUN_ID"], "ds": os.environ["LAKEFORGE_DS"], "pid": os.getpid()}
with started.open("a") as fh:
    fh.write(json.dumps(entry) + "\\n")
slow = not first.exists()  # the first run hangs until the restarted scheduler stops it
first.touch()
time.sleep(300 if slow else 1)
with records.open("a") as fh:
    fh.write(json.dumps(entry) + "\\n")
"""


def _started(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


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


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_service_fires_due_runs_survives_kill_9_and_never_runs_a_date_twice(tmp_path: Path) -> None:
    from infra.pipelines.delta_history import DeltaRunHistory
    from infra.pipelines.history import RunStatus, StepStatus
    from lake.storage import LocalProfile

    home, lake_dir, pipes = tmp_path / ".lakeforge", tmp_path / "lake", tmp_path / "pipes"
    started, records = tmp_path / "started.jsonl", tmp_path / "records.jsonl"
    lake_dir.mkdir()
    script = tmp_path / "work.py"
    script.write_text(_WORK)
    _pipelines(pipes, f'name = "minutely"\nschedule = "* * * * *"\ncatchup = "all"\n[[steps]]\nname = "work"\n'
               f'submit = "{script}"\nargs = ["{started}", "{records}", "{tmp_path / "first-done"}"]\n')
    env = {**os.environ, "LAKEFORGE_PROJECT_DIR": str(tmp_path), "LAKEFORGE_HOME": str(home),
           "LAKEFORGE_PROFILE": "local", "LAKEFORGE_LAKE": str(lake_dir),
           CLOCK_ENV: f"2024-03-01T00:00:30Z,{time.time()},30"}  # a minutely tick every 2 s

    def lake(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LAKE, *args], env=env, capture_output=True, text=True, timeout=300, check=False)

    def status() -> dict[str, Any]:
        proc = lake("schedule", "status", "--json")
        assert proc.returncode == 0, proc.stderr
        data: dict[str, Any] = json.loads(proc.stdout)
        return data

    def wait(predicate: Callable[[], bool], timeout: float = 300) -> None:
        assert wait_for(predicate, timeout, interval=0.2), "timed out waiting for the scheduler"

    try:
        up = lake("schedule", "start", "--pipelines", str(pipes), "--poll-interval", "0.2", "--max-active-runs", "1")
        assert up.returncode == 0, up.stderr
        first = ServiceState(home).read()[SCHEDULER_SERVICE]
        assert f"pid {first['pid']}" in up.stdout and first["status"] == "running"
        shown = status()
        assert shown["scheduler"]["status"] == "running" and shown["scheduler"]["clock"] == env[CLOCK_ENV]
        assert [p["pipeline"] for p in shown["pipelines"]] == ["minutely"]
        assert shown["pipelines"][0]["next_fire"].startswith("2024-03-01T")

        wait(lambda: len(_started(started)) >= 1)  # the scheduler fired a due run
        in_flight = _started(started)[0]
        os.kill(first["pid"], signal.SIGKILL)  # exactly the scheduler, mid-run
        wait(lambda: not pid_alive(first["pid"]), 30)
        assert pid_alive(int(in_flight["pid"])), "the step should outlive the killed scheduler"
        assert status()["scheduler"]["status"] == "stale"

        again = lake("schedule", "start", "--pipelines", str(pipes), "--poll-interval", "0.2", "--max-active-runs", "1")
        assert again.returncode == 0, again.stderr
        assert "replaced a stale scheduler entry" in again.stderr
        second = ServiceState(home).read()[SCHEDULER_SERVICE]
        assert second["pid"] != first["pid"]
        wait(lambda: len({r["run_id"] for r in _started(records)} - {in_flight["run_id"]}) >= 2)

        down = lake("schedule", "stop")
        assert down.returncode == 0 and f"scheduler stopped (pid {second['pid']})" in down.stdout, down.stderr
        wait(lambda: not pid_alive(second["pid"]), 30)
        assert SCHEDULER_SERVICE not in ServiceState(home).read()
        assert "not running" in lake("schedule", "stop").stdout
    finally:
        lake("schedule", "stop")
        _kill_lake_processes(lake_dir)

    history = DeltaRunHistory(LocalProfile(lake_dir))
    runs = history.runs("minutely")
    logical_started = [s["run_id"].split("-")[1] for s in _started(started)]  # minutely-<logical>-<hex>
    assert len(logical_started) == len(set(logical_started)), f"a logical date ran twice: {logical_started}"
    assert len(runs) == len({r.logical_date for r in runs}), "a logical date has two runs"
    killed = next(r for r in runs if r.run_id == in_flight["run_id"])
    assert killed.status == RunStatus.INTERRUPTED and "runner process is gone" in (killed.error or "")
    (step,) = history.step_runs(killed.run_id)
    assert step.status == StepStatus.INTERRUPTED
    assert in_flight["run_id"] not in {r["run_id"] for r in _started(records)}, "the orphan step was not stopped"
    assert not pid_alive(int(in_flight["pid"]))
    after = [r for r in runs if r.started_at > killed.started_at]
    assert sum(r.status == RunStatus.SUCCESS for r in after) >= 2
    assert all(r.logical_date > killed.logical_date for r in after)
