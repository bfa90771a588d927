"""The scheduler with an injected clock: fire times, misfire policies, limits, triggers, restarts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pipelines_testkit import STEP_SCRIPT, FakeClock, PythonLauncher, make_pipeline, max_overlap, read_records

from infra.pipelines.history import InMemoryRunHistory, PipelineRun, RunStatus
from infra.pipelines.runner import PipelineRunner
from infra.pipelines.schedule import (
    Scheduler,
    due_ticks,
    next_fire_times,
    run_scheduler_loop,
    schedule_status,
)
from infra.pipelines.spec import CatchUp, Pipeline

MAR1 = datetime(2024, 3, 1, 3, tzinfo=UTC)


def _day(n: int, hour: int = 3) -> datetime:
    return datetime(2024, 3, n, hour, tzinfo=UTC)


def _nightly(rec: Path, name: str = "nightly", catchup: str = "latest", **top: object) -> Pipeline:
    return make_pipeline([{"name": "s", "args": ["--record", str(rec)]}], name=name,
                         schedule="0 3 * * *", catchup=catchup, **top)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(_day(1, 2))


@pytest.fixture
def make_scheduler(history: InMemoryRunHistory, make_runner: Callable[..., PipelineRunner],
                   clock: FakeClock) -> Callable[..., Scheduler]:
    made: list[Scheduler] = []

    def _make(pipelines: dict[str, Pipeline], **kwargs: object) -> Scheduler:
        scheduler = Scheduler(pipelines, make_runner(history, clock=clock), clock=clock, **kwargs)  # type: ignore[arg-type]
        scheduler.start()
        made.append(scheduler)
        return scheduler

    yield _make  # type: ignore[misc]
    for scheduler in made:
        scheduler.stop()


def test_next_fire_times() -> None:
    pipelines = {"nightly": _nightly(Path("x")), "adhoc": make_pipeline([{"name": "s"}], name="adhoc"),
                 "hourly": make_pipeline([{"name": "s"}], name="hourly", schedule="15 * * * *")}
    fires = next_fire_times(pipelines, _day(1, 5))
    assert fires == {"nightly": _day(2), "adhoc": None, "hourly": datetime(2024, 3, 1, 5, 15, tzinfo=UTC)}
    assert next_fire_times(pipelines, _day(1, 3))["nightly"] == _day(2)  # strictly after now


def test_misfire_policies() -> None:
    assert due_ticks("0 3 * * *", _day(1), _day(4, 10), CatchUp.ALL) == [_day(2), _day(3), _day(4)]
    assert due_ticks("0 3 * * *", _day(1), _day(4, 10), CatchUp.LATEST) == [_day(4)]
    assert due_ticks("0 3 * * *", _day(1), _day(2, 2), CatchUp.LATEST) == []


def test_first_sight_starts_with_the_next_tick(tmp_path: Path, make_scheduler: Callable[..., Scheduler],
                                              clock: FakeClock, history: InMemoryRunHistory) -> None:
    rec = tmp_path / "rec.jsonl"
    scheduler = make_scheduler({"nightly": _nightly(rec)})
    assert scheduler.tick() == []
    assert history.scheduler_state()["pipelines"]["nightly"]["last_tick"] == _day(1, 2).isoformat()
    clock.advance(minutes=59)
    assert scheduler.tick() == []
    clock.advance(minutes=2)  # 03:01
    started = scheduler.tick()
    assert len(started) == 1 and scheduler.wait_idle(30)
    run = history.get_run(started[0])
    assert (run.logical_date, run.status, run.trigger) == (MAR1, RunStatus.SUCCESS, "schedule")
    assert scheduler.tick() == []  # same tick never fires twice
    assert [r["ds"] for r in read_records(rec)] == ["2024-03-01"]


@pytest.mark.parametrize(("catchup", "expected"), [
    ("latest", ["2024-03-04"]),
    ("all", ["2024-03-02", "2024-03-03", "2024-03-04"]),
])
def test_missed_ticks_after_downtime(tmp_path: Path, make_scheduler: Callable[..., Scheduler], clock: FakeClock,
                                     catchup: str, expected: list[str]) -> None:
    rec = tmp_path / "rec.jsonl"
    scheduler = make_scheduler({"nightly": _nightly(rec, catchup=catchup)}, max_active_runs=3)
    scheduler.tick()
    clock.now = _day(1, 4)
    scheduler.tick()
    assert scheduler.wait_idle(30)
    clock.now = _day(4, 10)  # down for three days
    scheduler.tick()
    assert scheduler.wait_idle(30)
    assert sorted(r["ds"] for r in read_records(rec)) == ["2024-03-01", *expected]


def test_global_limit_on_active_runs(tmp_path: Path, make_scheduler: Callable[..., Scheduler], clock: FakeClock,
                                     history: InMemoryRunHistory) -> None:
    rec = tmp_path / "rec.jsonl"
    pipelines = {name: make_pipeline([{"name": "s", "args": ["--record", str(rec), "--sleep", "0.4"]}], name=name,
                                     schedule="0 3 * * *", catchup="all") for name in ("a", "b")}
    scheduler = make_scheduler(pipelines, max_active_runs=2)
    scheduler.tick()
    clock.now = _day(3, 4)  # three ticks each: six runs due
    first = scheduler.tick()
    assert len(first) == 2
    for _ in range(20):
        scheduler.wait_idle(30)
        if not scheduler.tick() and scheduler.active_runs() == 0:
            break
    records = read_records(rec)
    assert sorted((r["run_id"].split("-")[0], r["ds"]) for r in records) == [
        (name, f"2024-03-0{day}") for name in "ab" for day in (1, 2, 3)]
    assert max_overlap(records) <= 2
    assert len(history.runs()) == 6


def test_restart_never_runs_a_started_logical_date_again(tmp_path: Path, make_scheduler: Callable[..., Scheduler],
                                                         clock: FakeClock, history: InMemoryRunHistory,
                                                         dead_pid: int) -> None:
    rec = tmp_path / "rec.jsonl"
    pipelines = {"nightly": _nightly(rec, catchup="all")}
    # A scheduler died (kill -9) right after recording the run for Mar 2 and before saving its tick.
    history.save_scheduler_state({"version": 1, "pipelines": {"nightly": {"last_tick": _day(1).isoformat()}}})
    history.record_run(PipelineRun("nightly-dead", "nightly", _day(2), RunStatus.RUNNING, "schedule", _day(2),
                                   owner=f"{socket.gethostname()}:{dead_pid}:1"))
    clock.now = _day(3, 5)
    scheduler = make_scheduler(pipelines)
    assert history.get_run("nightly-dead").status == RunStatus.INTERRUPTED
    started = scheduler.tick()
    assert scheduler.wait_idle(30)
    assert [history.get_run(r).logical_date for r in started] == [_day(3)]
    assert [r["ds"] for r in read_records(rec)] == ["2024-03-03"]
    assert history.scheduler_state()["pipelines"]["nightly"]["last_tick"] == _day(3).isoformat()


def test_conditional_trigger_fires_after_the_upstream_run(tmp_path: Path, make_scheduler: Callable[..., Scheduler],
                                                          clock: FakeClock, history: InMemoryRunHistory) -> None:
    rec = tmp_path / "rec.jsonl"
    pipelines = {"nightly": _nightly(rec),
                 "report": make_pipeline([{"name": "s", "args": ["--record", str(rec)]}], name="report",
                                         on={"pipelines": ["nightly"]})}
    # an old success is history, not an event: the first pass only sets the watermark
    history.record_run(PipelineRun("old", "nightly", _day(1) - timedelta(days=5), RunStatus.SUCCESS, "schedule",
                                   _day(1, 1), _day(1, 1)))
    scheduler = make_scheduler(pipelines)
    assert scheduler.tick() == []
    clock.now = _day(1, 3) + timedelta(minutes=1)
    scheduler.tick()
    assert scheduler.wait_idle(30)
    clock.advance(minutes=1)
    started = scheduler.tick()
    assert scheduler.wait_idle(30)
    assert [(history.get_run(r).pipeline, history.get_run(r).trigger, history.get_run(r).logical_date)
            for r in started] == [("report", "on:nightly", _day(1))]
    clock.advance(minutes=1)
    assert scheduler.tick() == []


def test_status_shows_next_fire_and_last_run(tmp_path: Path, runner: PipelineRunner,
                                             history: InMemoryRunHistory) -> None:
    pipelines = {"nightly": _nightly(tmp_path / "r"), "adhoc": make_pipeline([{"name": "s"}], name="adhoc",
                                                                              on={"pipelines": ["nightly"]})}
    runner.run(pipelines["nightly"], MAR1)
    status = {s.name: s for s in schedule_status(pipelines, history, _day(1, 12))}
    assert status["nightly"].next_fire == _day(2) and status["nightly"].last_run is not None
    assert status["nightly"].last_run.status == RunStatus.SUCCESS
    assert status["adhoc"].next_fire is None and status["adhoc"].last_run is None
    assert status["adhoc"].trigger == "on all of nightly success"
    assert status["nightly"].to_dict()["last_run"]["ds"] == "2024-03-01"


def test_scheduler_loop_runs_until_stopped(tmp_path: Path, clock: FakeClock, history: InMemoryRunHistory) -> None:
    from lake.config import load_settings

    folder = tmp_path / "pipelines"
    folder.mkdir()
    rec = tmp_path / "rec.jsonl"
    (folder / "nightly.toml").write_text(
        f'name = "nightly"\nschedule = "0 3 * * *"\n[[steps]]\nname = "s"\nsubmit = "{STEP_SCRIPT}"\n'
        f'args = ["--record", "{rec}"]\n')
    stop = threading.Event()
    loop = threading.Thread(target=run_scheduler_loop, args=(load_settings(), [folder], stop),
                            kwargs={"clock": clock, "history": history, "launcher": PythonLauncher(),
                                    "poll_interval": 0.05})
    loop.start()
    try:
        assert _wait(lambda: "nightly" in history.scheduler_state().get("pipelines", {}))
        clock.now = _day(1, 4)
        assert _wait(lambda: any(r.status == RunStatus.SUCCESS for r in history.runs("nightly")))
    finally:
        stop.set()
        loop.join(30)
    assert not loop.is_alive()
    assert [r["ds"] for r in read_records(rec)] == ["2024-03-01"]


def _wait(predicate: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
