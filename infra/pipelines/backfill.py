"""Backfill: run a pipeline for every logical date of a date range, oldest first.

The dates follow the pipeline's cron (daily at midnight without one). ``reprocess`` decides
what happens to dates that already have runs: ``none`` runs only dates never run, ``failed``
also re-runs dates whose last run failed or was interrupted, ``completed`` re-runs every date,
successful ones included. A date running elsewhere is never started twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from infra.pipelines.cron import logical_dates, parse_when
from infra.pipelines.errors import RunActiveError
from infra.pipelines.history import PipelineRun, RunHistory, RunStatus
from infra.pipelines.runner import PipelineRunner, RunResult
from infra.pipelines.spec import Pipeline

__all__ = ["BackfillItem", "Reprocess", "backfill", "plan_backfill"]


class Reprocess(StrEnum):
    """Which already-run logical dates a backfill runs again."""

    NONE = "none"
    FAILED = "failed"
    COMPLETED = "completed"


@dataclass(frozen=True)
class BackfillItem:
    """One logical date of a backfill: run or skipped (with why), and the result when run."""

    logical_date: datetime
    run: bool
    reason: str
    previous: PipelineRun | None = None
    result: RunResult | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "logical_date": self.logical_date.isoformat(), "run": self.run, "reason": self.reason,
            "previous_status": self.previous.status.value if self.previous else None,
            "run_id": self.result.run.run_id if self.result else None,
            "status": self.result.run.status.value if self.result else None,
        }


def _as_date(value: date | str) -> date:
    parsed = parse_when(value) if isinstance(value, str) else value
    return parsed.date() if isinstance(parsed, datetime) else parsed


def plan_backfill(
    pipeline: Pipeline,
    history: RunHistory,
    start: date | str,
    end: date | str,
    reprocess: Reprocess | str = Reprocess.NONE,
) -> list[BackfillItem]:
    """What a backfill would do for each logical date (nothing is run)."""
    mode = Reprocess(reprocess)
    by_date: dict[datetime, PipelineRun] = {}
    for previous in sorted(history.runs(pipeline.name), key=lambda r: (r.started_at, r.seq)):
        by_date[previous.logical_date] = previous  # the latest run per date wins
    items = []
    for when in logical_dates(pipeline.schedule, _as_date(start), _as_date(end)):
        last = by_date.get(when)
        if last is None:
            items.append(BackfillItem(when, True, "never run"))
        elif last.status == RunStatus.RUNNING:
            items.append(BackfillItem(when, False, f"running now (run {last.run_id})", last))
        elif last.status == RunStatus.SUCCESS:
            again = mode == Reprocess.COMPLETED
            items.append(BackfillItem(when, again, "re-run: --reprocess completed" if again else "succeeded before",
                                      last))
        else:
            again = mode in (Reprocess.FAILED, Reprocess.COMPLETED)
            state = last.status.value
            reason = f"re-run: last run {state}" if again else f"last run {state} (re-run with --reprocess failed)"
            items.append(BackfillItem(when, again, reason, last))
    return items


def backfill(
    runner: PipelineRunner,
    pipeline: Pipeline,
    start: date | str,
    end: date | str,
    *,
    reprocess: Reprocess | str = Reprocess.NONE,
    cancel: threading.Event | None = None,
    on_item: Callable[[BackfillItem], None] | None = None,
) -> list[BackfillItem]:
    """Run the planned dates one after another; returns every date with what happened."""
    mode = Reprocess(reprocess)
    done = []
    for item in plan_backfill(pipeline, runner.history, start, end, mode):
        if item.run and not (cancel is not None and cancel.is_set()):
            try:
                result = runner.run(pipeline, item.logical_date, trigger="backfill",
                                    force=mode == Reprocess.COMPLETED, cancel=cancel)
                item = BackfillItem(item.logical_date, True, item.reason, item.previous, result)
            except RunActiveError as exc:
                item = BackfillItem(item.logical_date, False, f"running elsewhere: {exc}", item.previous)
        elif item.run:
            item = BackfillItem(item.logical_date, False, "backfill stopped", item.previous)
        done.append(item)
        if on_item is not None:
            on_item(item)
    return done
