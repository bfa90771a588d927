"""Backfill over a date range with each reprocess mode."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pipelines_testkit import make_pipeline, read_records

from infra.pipelines.backfill import Reprocess, backfill, plan_backfill
from infra.pipelines.cron import logical_dates
from infra.pipelines.history import InMemoryRunHistory, PipelineRun, RunStatus
from infra.pipelines.runner import PipelineRunner


def _at(day: int, hour: int = 3) -> datetime:
    return datetime(2024, 3, day, hour, tzinfo=UTC)


def test_dates_follow_the_cron_or_are_daily() -> None:
    assert logical_dates("0 3 * * *", date(2024, 3, 1), date(2024, 3, 3)) == [_at(1), _at(2), _at(3)]
    assert logical_dates("0 */12 * * *", date(2024, 3, 1), date(2024, 3, 1)) == [_at(1, 0), _at(1, 12)]
    assert logical_dates(None, date(2024, 3, 1), date(2024, 3, 2)) == [_at(1, 0), _at(2, 0)]
    assert logical_dates("0 3 * * 1", date(2024, 3, 1), date(2024, 3, 7)) == [_at(4)]  # Mondays only
    with pytest.raises(ValueError, match="before"):
        logical_dates(None, date(2024, 3, 2), date(2024, 3, 1))


@pytest.fixture
def seeded(tmp_path: Path, runner: PipelineRunner, history: InMemoryRunHistory):  # type: ignore[no-untyped-def]
    """Days 1..4 of a daily-03:00 pipeline: 1 succeeded, 2 failed, 3 interrupted, 4 never run."""
    rec = tmp_path / "rec.jsonl"
    p = make_pipeline([{"name": "a", "args": ["--record", str(rec)]}], schedule="0 3 * * *")
    assert runner.run(p, _at(1)).ok
    for day, status in ((2, RunStatus.FAILED), (3, RunStatus.INTERRUPTED)):
        history.record_run(PipelineRun(f"old-{day}", "p", _at(day), status, "schedule", _at(day), _at(day)))
    rec.unlink()
    return p, rec


def _ran(rec: Path) -> list[str]:
    return sorted(r["ds"] for r in read_records(rec))


def test_reprocess_none_runs_only_dates_never_run(seeded, runner: PipelineRunner) -> None:  # type: ignore[no-untyped-def]
    p, rec = seeded
    items = backfill(runner, p, "2024-03-01", "2024-03-04")
    assert [i.run for i in items] == [False, False, False, True]
    assert "re-run with --reprocess failed" in items[1].reason
    assert _ran(rec) == ["2024-03-04"]


def test_reprocess_failed_also_reruns_failed_and_interrupted(seeded, runner: PipelineRunner) -> None:  # type: ignore[no-untyped-def]
    p, rec = seeded
    items = backfill(runner, p, date(2024, 3, 1), date(2024, 3, 4), reprocess="failed")
    assert [i.run for i in items] == [False, True, True, True]
    assert all(i.result is not None and i.result.ok for i in items[1:])
    assert _ran(rec) == ["2024-03-02", "2024-03-03", "2024-03-04"]


def test_reprocess_completed_reruns_everything(seeded, runner: PipelineRunner,  # type: ignore[no-untyped-def]
                                               history: InMemoryRunHistory) -> None:
    p, rec = seeded
    items = backfill(runner, p, "2024-03-01", "2024-03-04", reprocess=Reprocess.COMPLETED)
    assert all(i.run and i.result is not None and not i.result.skipped for i in items)
    assert _ran(rec) == ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    assert len([r for r in history.runs("p") if r.logical_date == _at(1)]) == 2


def test_backfill_twice_runs_nothing_the_second_time(seeded, runner: PipelineRunner) -> None:  # type: ignore[no-untyped-def]
    p, rec = seeded
    backfill(runner, p, "2024-03-01", "2024-03-04", reprocess="failed")
    rec.unlink()
    items = backfill(runner, p, "2024-03-01", "2024-03-04", reprocess="failed")
    assert not any(i.run for i in items) and not rec.exists()


def test_running_dates_are_never_started(seeded, history: InMemoryRunHistory) -> None:  # type: ignore[no-untyped-def]
    p, _ = seeded
    history.record_run(PipelineRun("live", "p", _at(4), RunStatus.RUNNING, "schedule", _at(4)))
    plan = plan_backfill(p, history, "2024-03-04", "2024-03-04", reprocess="completed")
    assert [(i.run, i.reason) for i in plan] == [(False, "running now (run live)")]
