"""Conditional triggers (Glue workflow style): run a pipeline when others finish.

``on = {pipelines = ["a", "b"], status = "success"|"failure", mode = "any"|"all"}`` fires the
pipeline for logical date D once any (or all) of ``a``, ``b`` have a finished run for D with
that outcome — judged on each upstream's latest run for D. ``failure`` means the run
``failed`` or was ``interrupted``. A pipeline fires at most once per logical date: a date that
already has a run of it is never triggered again (re-run it with backfill).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from infra.pipelines.errors import RunActiveError
from infra.pipelines.history import PipelineRun, RunHistory, RunStatus
from infra.pipelines.runner import PipelineRunner, RunResult
from infra.pipelines.spec import Pipeline, TriggerMode, TriggerStatus

__all__ = ["TriggerFire", "condition_met", "dependents", "due_triggered_runs", "run_triggered"]

_FAILURE = frozenset({RunStatus.FAILED, RunStatus.INTERRUPTED})


@dataclass(frozen=True)
class TriggerFire:
    """A conditional trigger that is due: run ``pipeline`` for ``logical_date``."""

    pipeline: str
    logical_date: datetime
    trigger: str


def dependents(pipelines: Mapping[str, Pipeline], upstream: str) -> list[Pipeline]:
    """Pipelines whose ``on`` names ``upstream``."""
    return [p for p in pipelines.values() if p.on is not None and upstream in p.on.pipelines]


def _matches(run: PipelineRun | None, status: TriggerStatus) -> bool:
    if run is None or not run.finished:
        return False
    return run.status == RunStatus.SUCCESS if status == TriggerStatus.SUCCESS else run.status in _FAILURE


def condition_met(pipeline: Pipeline, latest: Mapping[str, PipelineRun | None]) -> bool:
    """Whether ``pipeline.on`` holds, given each upstream's latest run for one logical date."""
    if pipeline.on is None:
        return False
    hits = [_matches(latest.get(name), pipeline.on.status) for name in pipeline.on.pipelines]
    return any(hits) if pipeline.on.mode == TriggerMode.ANY else all(hits)


def _latest_for(runs: Iterable[PipelineRun], logical_date: datetime) -> dict[str, PipelineRun]:
    out: dict[str, PipelineRun] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.seq)):
        if run.logical_date == logical_date:
            out[run.pipeline] = run
    return out


def due_triggered_runs(
    pipelines: Mapping[str, Pipeline],
    history: RunHistory,
    *,
    since: datetime | None,
    until: datetime,
) -> list[TriggerFire]:
    """Triggered runs made due by upstream runs that finished in ``(since, until]``."""
    runs = history.runs()
    events = [r for r in runs if r.finished and r.ended_at is not None and r.ended_at <= until
              and (since is None or r.ended_at > since)]
    fires: dict[tuple[str, datetime], TriggerFire] = {}
    for event in sorted(events, key=lambda r: r.ended_at or r.started_at):
        for pipeline in dependents(pipelines, event.pipeline):
            key = (pipeline.name, event.logical_date)
            upstream = set(pipeline.on.pipelines) if pipeline.on else set()
            if key in fires or any(r.pipeline == pipeline.name and r.logical_date == event.logical_date for r in runs):
                continue
            latest = _latest_for((r for r in runs if r.pipeline in upstream), event.logical_date)
            if condition_met(pipeline, latest):
                label = ",".join(sorted(n for n in upstream if n in latest))
                fires[key] = TriggerFire(pipeline.name, event.logical_date, f"on:{label}")
    return list(fires.values())


def run_triggered(
    runner: PipelineRunner,
    pipelines: Mapping[str, Pipeline],
    finished: PipelineRun,
) -> list[RunResult]:
    """Run (in this process, one after another) what ``finished`` triggers, and what those trigger."""
    results = []
    queue = [finished]
    while queue:
        event = queue.pop(0)
        until = event.ended_at or event.started_at
        triggered = {p.name for p in dependents(pipelines, event.pipeline)}
        for fire in due_triggered_runs(pipelines, runner.history, since=None, until=until):
            if fire.logical_date != event.logical_date or fire.pipeline not in triggered:
                continue
            try:
                result = runner.run(pipelines[fire.pipeline], fire.logical_date, trigger=fire.trigger)
            except RunActiveError:
                continue
            results.append(result)
            if not result.skipped:
                queue.append(result.run)
    return results
