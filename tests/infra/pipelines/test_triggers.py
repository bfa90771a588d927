"""Conditional triggers: ANY/ALL of several pipelines, on success or failure, same logical date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pipelines_testkit import DAY, make_pipeline

from infra.pipelines.history import InMemoryRunHistory, PipelineRun, RunStatus
from infra.pipelines.runner import PipelineRunner
from infra.pipelines.spec import Pipeline
from infra.pipelines.triggers import due_triggered_runs, run_triggered

T0 = datetime(2024, 3, 1, 4, tzinfo=UTC)


def _pipelines(mode: str, status: str) -> dict[str, Pipeline]:
    return {
        "a": make_pipeline([{"name": "s"}], name="a"),
        "b": make_pipeline([{"name": "s"}], name="b"),
        "c": make_pipeline([{"name": "s"}], name="c", on={"pipelines": ["a", "b"], "mode": mode, "status": status}),
    }


def _finish(history: InMemoryRunHistory, pipeline: str, status: RunStatus, minute: int,
            day: datetime = DAY) -> PipelineRun:
    end = T0 + timedelta(minutes=minute)
    return history.record_run(PipelineRun(f"{pipeline}-{day:%d}-{minute}", pipeline, day, status, "schedule",
                                          end - timedelta(minutes=1), end))


def _due(history: InMemoryRunHistory, pipelines: dict[str, Pipeline], until_minute: int = 60) -> list[str]:
    fires = due_triggered_runs(pipelines, history, since=None, until=T0 + timedelta(minutes=until_minute))
    return [f"{f.pipeline}@{f.logical_date:%d}" for f in fires]


@pytest.mark.parametrize(("mode", "a", "b", "fires"), [
    ("all", RunStatus.SUCCESS, None, False),
    ("all", RunStatus.SUCCESS, RunStatus.SUCCESS, True),
    ("all", RunStatus.SUCCESS, RunStatus.FAILED, False),
    ("any", RunStatus.SUCCESS, None, True),
    ("any", RunStatus.FAILED, None, False),
    ("any", RunStatus.FAILED, RunStatus.SUCCESS, True),
])
def test_success_triggers(history: InMemoryRunHistory, mode: str, a: RunStatus, b: RunStatus | None,
                          fires: bool) -> None:
    pipelines = _pipelines(mode, "success")
    _finish(history, "a", a, 1)
    if b is not None:
        _finish(history, "b", b, 2)
    assert _due(history, pipelines) == (["c@01"] if fires else [])


@pytest.mark.parametrize(("mode", "a", "b", "fires"), [
    ("any", RunStatus.FAILED, None, True),
    ("any", RunStatus.INTERRUPTED, None, True),
    ("any", RunStatus.SUCCESS, RunStatus.SUCCESS, False),
    ("all", RunStatus.FAILED, RunStatus.SUCCESS, False),
    ("all", RunStatus.FAILED, RunStatus.FAILED, True),
])
def test_failure_triggers(history: InMemoryRunHistory, mode: str, a: RunStatus, b: RunStatus | None,
                          fires: bool) -> None:
    pipelines = _pipelines(mode, "failure")
    _finish(history, "a", a, 1)
    if b is not None:
        _finish(history, "b", b, 2)
    assert _due(history, pipelines) == (["c@01"] if fires else [])


def test_all_needs_the_same_logical_date(history: InMemoryRunHistory) -> None:
    pipelines = _pipelines("all", "success")
    _finish(history, "a", RunStatus.SUCCESS, 1)
    _finish(history, "b", RunStatus.SUCCESS, 2, day=DAY + timedelta(days=1))
    assert _due(history, pipelines) == []


def test_the_latest_upstream_run_counts(history: InMemoryRunHistory) -> None:
    pipelines = _pipelines("all", "success")
    _finish(history, "a", RunStatus.FAILED, 1)
    _finish(history, "b", RunStatus.SUCCESS, 2)
    assert _due(history, pipelines) == []
    _finish(history, "a", RunStatus.SUCCESS, 3)  # a re-run of a succeeded
    assert _due(history, pipelines) == ["c@01"]


def test_fires_once_per_logical_date_and_only_for_new_events(history: InMemoryRunHistory) -> None:
    pipelines = _pipelines("any", "success")
    _finish(history, "a", RunStatus.SUCCESS, 1)
    assert due_triggered_runs(pipelines, history, since=T0 + timedelta(minutes=1), until=T0 + timedelta(hours=1)) == []
    history.record_run(PipelineRun("c-1", "c", DAY, RunStatus.SUCCESS, "on:a", T0, T0))
    assert _due(history, pipelines) == []


def test_run_triggered_runs_dependents_in_chain(runner: PipelineRunner, history: InMemoryRunHistory) -> None:
    pipelines = {
        "a": make_pipeline([{"name": "s"}], name="a"),
        "b": make_pipeline([{"name": "s"}], name="b", on={"pipelines": ["a"]}),
        "c": make_pipeline([{"name": "s"}], name="c", on={"pipelines": ["b"]}),
        "alert": make_pipeline([{"name": "s"}], name="alert", on={"pipelines": ["a"], "status": "failure"}),
    }
    first = runner.run(pipelines["a"], DAY)
    results = run_triggered(runner, pipelines, first.run)
    assert [(r.run.pipeline, r.run.trigger, r.ok) for r in results] == [("b", "on:a", True), ("c", "on:b", True)]
    assert all(r.run.logical_date == DAY for r in results)
    assert run_triggered(runner, pipelines, first.run) == []  # already ran for that date
