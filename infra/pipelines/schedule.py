"""The scheduler: cron ticks and conditional triggers become runs, at most once per logical date.

Each pass (:meth:`Scheduler.tick`) computes, per scheduled pipeline, the cron ticks since its
last recorded tick — all of them (``catchup = "all"``) or only the latest (``"latest"``,
the default) — then the conditional triggers made due by runs that finished since the last
pass, and starts them within a global limit of active runs. A run is recorded ``running``
in the history *before* it starts and a tick is recorded only after that, so after a crash
(kill -9) a restart finds every started logical date in the history and never runs it again;
runs the dead scheduler left ``running`` are marked ``interrupted`` (their leftover step
processes killed), not re-run — re-run them on purpose with ``backfill --reprocess failed``.
A pipeline the scheduler sees for the first time starts with its next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.pipelines.cron import next_tick, ticks
from infra.pipelines.errors import PipelineError, RunActiveError
from infra.pipelines.history import PipelineRun, RunHistory, utc
from infra.pipelines.runner import PipelineRunner, RunHandle, RunnerOptions, RunResult
from infra.pipelines.spec import CatchUp, Pipeline, load_pipelines
from infra.pipelines.steps import StepLauncher
from infra.pipelines.triggers import due_triggered_runs

if TYPE_CHECKING:
    from lake.config import Settings

__all__ = [
    "PipelineStatus",
    "Scheduler",
    "due_ticks",
    "next_fire_times",
    "run_scheduler_loop",
    "schedule_status",
]

_log = logging.getLogger(__name__)
_STATE_VERSION = 1
TRIGGER_OVERLAP = timedelta(minutes=10)
"""Finished runs are re-examined for triggers this long (a run may be recorded late)."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: Any) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def due_ticks(schedule: str, last_tick: datetime, now: datetime, catchup: CatchUp) -> list[datetime]:
    """Ticks in ``(last_tick, now]`` to run: all of them, or only the latest."""
    missed = ticks(schedule, last_tick, now, include_start=False)
    return missed if catchup == CatchUp.ALL else missed[-1:]


def next_fire_times(pipelines: Mapping[str, Pipeline], now: datetime) -> dict[str, datetime | None]:
    """The next cron tick after ``now`` per pipeline (``None``: no cron — triggered or on demand)."""
    return {name: next_tick(p.schedule, now) if p.schedule else None for name, p in pipelines.items()}


@dataclass(frozen=True)
class PipelineStatus:
    """One line of ``lake schedule status``."""

    name: str
    schedule: str | None
    trigger: str | None
    catchup: str
    next_fire: datetime | None
    last_run: PipelineRun | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.name, "schedule": self.schedule, "trigger": self.trigger, "catchup": self.catchup,
            "next_fire": _iso(self.next_fire), "last_run": self.last_run.to_dict() if self.last_run else None,
        }


def _describe_on(pipeline: Pipeline) -> str | None:
    if pipeline.on is None:
        return None
    return f"on {pipeline.on.mode.value} of {', '.join(pipeline.on.pipelines)} {pipeline.on.status.value}"


def schedule_status(pipelines: Mapping[str, Pipeline], history: RunHistory, now: datetime) -> list[PipelineStatus]:
    """Next fire time and last run (by start time) of every pipeline."""
    fires = next_fire_times(pipelines, now)
    last: dict[str, PipelineRun] = {}
    for run in sorted(history.runs(), key=lambda r: (r.started_at, r.seq)):
        last[run.pipeline] = run
    return [
        PipelineStatus(name, p.schedule, _describe_on(p), p.catchup.value, fires[name], last.get(name))
        for name, p in pipelines.items()
    ]


class Scheduler:
    """Starts due runs of ``pipelines`` (a mapping, or a callable returning the current one)."""

    def __init__(
        self,
        pipelines: Mapping[str, Pipeline] | Callable[[], Mapping[str, Pipeline]],
        runner: PipelineRunner,
        *,
        max_active_runs: int = 2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if max_active_runs < 1:
            raise ValueError("max_active_runs must be ≥ 1")
        self._pipelines = pipelines
        self.runner = runner
        self.history = runner.history
        self.max_active_runs = max_active_runs
        self.clock = clock or runner.options.clock
        self.cancel = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=max_active_runs, thread_name_prefix="pipeline-run")
        self._active: dict[Future[RunResult], str] = {}
        self._state: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.started: list[str] = []

    def pipelines(self) -> Mapping[str, Pipeline]:
        return self._pipelines() if callable(self._pipelines) else self._pipelines

    # ------------------------------------------------------------ lifecycle
    def start(self) -> list[PipelineRun]:
        """Load the recorded ticks and recover runs a dead scheduler left ``running``."""
        recovered = self.runner.recover_dead_runs()
        for run in recovered:
            _log.warning("run %s (%s %s) was left running by a dead runner: marked interrupted",
                         run.run_id, run.pipeline, run.ds)
        state = self.history.scheduler_state()
        self._state = state if state.get("version") == _STATE_VERSION else {"version": _STATE_VERSION}
        self._state.setdefault("pipelines", {})
        return recovered

    def stop(self, *, drain_timeout: float = 0.0) -> None:
        """Wait up to ``drain_timeout`` s for active runs, then stop them (they become ``interrupted``)."""
        futures = list(self._active)
        if futures and drain_timeout > 0:
            wait_futures(futures, timeout=drain_timeout)
        self.cancel.set()
        self._pool.shutdown(wait=True)

    def active_runs(self) -> int:
        with self._lock:
            for future in [f for f in self._active if f.done()]:
                run_id = self._active.pop(future)
                if future.exception() is not None:
                    _log.error("run %s: %s", run_id, future.exception())
            return len(self._active)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no run is active (tests); ``False`` on timeout."""
        _done, pending = wait_futures(list(self._active), timeout=timeout)
        self.active_runs()
        return not pending

    # ----------------------------------------------------------------- pass
    def tick(self, now: datetime | None = None) -> list[str]:
        """One pass: start every due run the limit allows; returns the started run ids."""
        now = utc(now or self.clock())
        pipelines = self.pipelines()
        started: list[str] = []
        changed = self._schedule_pass(pipelines, now, started)
        changed |= self._trigger_pass(pipelines, now, started)
        if changed:
            self._state["updated_at"] = now.isoformat()
            self.history.save_scheduler_state(self._state)
        self.started.extend(started)
        return started

    def _capacity(self) -> int:
        return self.max_active_runs - self.active_runs()

    def _schedule_pass(self, pipelines: Mapping[str, Pipeline], now: datetime, started: list[str]) -> bool:
        ticks_state: dict[str, Any] = self._state["pipelines"]
        changed = False
        due: list[tuple[datetime, Pipeline]] = []
        for name, pipeline in pipelines.items():
            if not pipeline.schedule:
                continue
            last = _parse(ticks_state.get(name, {}).get("last_tick"))
            if last is None:  # first seen: start with the next tick
                ticks_state[name] = {"last_tick": now.isoformat()}
                changed = True
                continue
            missed = ticks(pipeline.schedule, last, now, include_start=False)
            if pipeline.catchup == CatchUp.LATEST and len(missed) > 1:
                _log.info("%s: skipping %d missed ticks (catchup = latest)", name, len(missed) - 1)
            due.extend((t, pipeline) for t in due_ticks(pipeline.schedule, last, now, pipeline.catchup))
        recorded = {(r.pipeline, r.logical_date) for r in self.history.runs()} if due else set()
        for when, pipeline in sorted(due, key=lambda d: (d[0], d[1].name)):
            if (pipeline.name, when) not in recorded:
                if self._capacity() <= 0:
                    break
                run_id = self._launch(pipeline, when, "schedule")
                if run_id:
                    started.append(run_id)
            ticks_state[pipeline.name] = {"last_tick": when.isoformat()}
            changed = True
        return changed

    def _trigger_pass(self, pipelines: Mapping[str, Pipeline], now: datetime, started: list[str]) -> bool:
        if not any(p.on for p in pipelines.values()):
            return False
        checked = _parse(self._state.get("triggers_checked_until"))
        if checked is None:  # first start: earlier runs are history, not events
            self._state["triggers_checked_until"] = now.isoformat()
            return True
        complete = True
        for fire in due_triggered_runs(pipelines, self.history, since=checked - TRIGGER_OVERLAP, until=now):
            if self._capacity() <= 0:
                complete = False
                break
            run_id = self._launch(pipelines[fire.pipeline], fire.logical_date, fire.trigger)
            if run_id:
                started.append(run_id)
        if complete:
            self._state["triggers_checked_until"] = now.isoformat()
        return complete

    def _launch(self, pipeline: Pipeline, logical_date: datetime, trigger: str) -> str | None:
        """Record the run as started, then execute it in the pool; ``None`` if it is not ours to run."""
        try:
            handle = self.runner.begin(pipeline, logical_date, trigger=trigger)
        except RunActiveError as exc:
            _log.info("%s", exc)
            return None
        except PipelineError as exc:
            _log.error("%s %s: cannot start: %s", pipeline.name, logical_date.isoformat(), exc)
            return None
        if not isinstance(handle, RunHandle):
            return None
        _log.info("started %s for %s (%s)", handle.run.run_id, handle.run.logical_date.isoformat(), trigger)
        future = self._pool.submit(handle.execute, self.cancel)
        with self._lock:
            self._active[future] = handle.run.run_id
        return handle.run.run_id


def _loader(dirs: Iterable[Path], base_dir: Path | None) -> Callable[[], Mapping[str, Pipeline]]:
    """Reload pipeline files on each pass; on an error keep the last good set (and log it)."""
    folders = list(dirs)
    last: dict[str, Pipeline] = load_pipelines(folders, base_dir=base_dir)

    def load() -> Mapping[str, Pipeline]:
        nonlocal last
        try:
            last = load_pipelines(folders, base_dir=base_dir)
        except PipelineError as exc:
            _log.error("pipeline files not reloaded, keeping the previous ones: %s", exc)
        return last

    return load


def run_scheduler_loop(
    settings: Settings,
    pipelines_dirs: Iterable[Path],
    stop_event: threading.Event,
    *,
    clock: Callable[[], datetime] | None = None,
    history: RunHistory | None = None,
    launcher: StepLauncher | None = None,
    poll_interval: float = 15.0,
    max_active_runs: int = 2,
    drain_timeout: float = 0.0,
) -> None:
    """The scheduler service's main loop: pass, wait ``poll_interval`` s, until ``stop_event``.

    History defaults to the lake of ``settings`` (:class:`DeltaRunHistory`). On stop, active
    runs get ``drain_timeout`` seconds to finish before their steps are killed.
    """
    if history is None:
        from infra.pipelines.delta_history import DeltaRunHistory
        from lake.storage import get_profile

        history = DeltaRunHistory(get_profile(settings), settings=settings)
    overrides: dict[str, Any] = {}
    if clock is not None:
        overrides["clock"] = clock
    if launcher is not None:
        overrides["launcher"] = launcher
    runner = PipelineRunner(history, RunnerOptions.from_settings(settings, **overrides))
    scheduler = Scheduler(_loader(pipelines_dirs, settings.project_dir), runner,
                          max_active_runs=max_active_runs, clock=clock or (lambda: datetime.now(UTC)))
    scheduler.start()
    _log.info("scheduler started: %s", ", ".join(scheduler.pipelines()) or "no pipelines")
    try:
        while not stop_event.is_set():
            try:
                scheduler.tick()
            except Exception:  # e.g. the lake briefly unreachable: the service keeps going, next pass retries
                _log.exception("scheduler pass failed; retrying in %.0fs", poll_interval)
            stop_event.wait(poll_interval)
    finally:
        scheduler.stop(drain_timeout=drain_timeout)
        _log.info("scheduler stopped")
