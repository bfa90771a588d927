"""Run a pipeline for one logical date: steps in dependency order, retries, history.

A run is identified by (pipeline, logical date). :meth:`PipelineRunner.begin` claims it (a
file lock on this host, so two runners never run it at once), recovers a record left
``running`` by a dead runner (marked ``interrupted``, its leftover processes killed), returns
the earlier success without running anything unless ``force``, and records the run as
``running`` *before* any step starts. :meth:`RunHandle.execute` then runs the steps: up to
``max_concurrency`` at once, a failed step marking everything downstream
``upstream_failed``. A step is retried only for transient errors (its error file says so);
a timeout is terminal unless the step sets ``retry_on_timeout`` — a job that hung once
usually hangs again, and every retry would cost another full timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import shlex
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from infra.pipelines.cron import resolve_logical_date
from infra.pipelines.errors import RunActiveError
from infra.pipelines.history import PipelineRun, RunHistory, RunStatus, StepRun, StepStatus, utc
from infra.pipelines.liveness import RUN_ID_ENV, current_owner, kill_run_processes, owner_alive, owner_is_local
from infra.pipelines.spec import Pipeline, Step
from infra.pipelines.steps import LakeLauncher, StepLauncher, last_log_line, log_note, run_attempt
from infra.pipelines.templating import TemplateContext, render, render_all

if TYPE_CHECKING:
    from lake.config import Settings

__all__ = ["PipelineRunner", "RunHandle", "RunResult", "RunnerOptions", "backoff_delay", "new_run_id"]

_log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunnerOptions:
    """Where and how steps run.

    ``work_dir`` holds step logs while they run, error files and the per-run lock files;
    ``cwd`` is where steps start (the project, so ``submit = "jobs/x.py"`` resolves);
    ``base_env`` is the environment every step starts from (default: this process's).
    ``sleep`` waits between retries (default: waits on the run's cancel event).
    """

    work_dir: Path
    cwd: Path | None = None
    base_env: Mapping[str, str] | None = None
    launcher: StepLauncher = field(default_factory=LakeLauncher)
    clock: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] | None = None
    kill_grace: float = 10.0
    seed: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RunnerOptions:
        """Options for ``settings``: work dir ``<home>/pipelines``, cwd the project, its child env."""
        from infra.child_env import child_env

        values: dict[str, Any] = {
            "work_dir": settings.home / "pipelines",
            "cwd": settings.project_dir,
            "base_env": child_env(settings),
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class RunResult:
    """A run's final record and its steps; ``skipped``: it had already succeeded, nothing ran."""

    run: PipelineRun
    steps: list[StepRun]
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.run.status == RunStatus.SUCCESS


def new_run_id(pipeline: str, logical_date: datetime) -> str:
    """``<pipeline>-<logical date, compact UTC>-<6 hex>``: unique per attempt, safe in paths."""
    return f"{pipeline}-{utc(logical_date):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Delay before retry ``attempt`` (1, 2, …): ``base·2^(attempt-1)`` capped, half of it jittered."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


class PipelineRunner:
    """Runs pipelines and records every state change in a :class:`RunHistory`."""

    def __init__(self, history: RunHistory, options: RunnerOptions) -> None:
        self.history = history
        self.options = options
        self._rng = random.Random(options.seed)

    # --------------------------------------------------------------- claims
    def _lock_path(self, pipeline: str, logical_date: datetime) -> Path:
        return self.options.work_dir / "locks" / pipeline / f"{utc(logical_date):%Y%m%dT%H%M%S%fZ}.lock"

    def _try_lock(self, pipeline: str, logical_date: datetime) -> IO[str] | None:
        path = self._lock_path(pipeline, logical_date)
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return None
        return fh

    def recover(self, run: PipelineRun, reason: str = "its runner process is gone") -> PipelineRun:
        """Mark ``run`` (left ``running``) and its unfinished steps ``interrupted``; kill leftovers."""
        if owner_is_local(run.owner):
            killed = kill_run_processes(run.run_id)
            if killed:
                _log.warning("run %s: killed leftover step processes %s", run.run_id, killed)
        now = self.options.clock()
        for step in self.history.step_runs(run.run_id):
            if step.status == StepStatus.RUNNING:
                location = step.log_location
                if location and Path(location).is_file():  # the dead runner's working copy of the log
                    with contextlib.suppress(Exception):
                        location = self.history.store_log(run, step.step, Path(location))
                self.history.record_step(replace(step, status=StepStatus.INTERRUPTED, ended_at=now,
                                                 error=f"interrupted: {reason}", log_location=location))
        final = self.history.record_run(replace(run, status=RunStatus.INTERRUPTED, ended_at=now,
                                                error=f"interrupted: {reason}"))
        self.history.run_finished(final)
        return final

    def recover_dead_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """Recover every ``running`` run on this host whose owner died (e.g. after kill -9)."""
        out = []
        for run in self.history.runs(pipeline):
            if run.status == RunStatus.RUNNING and owner_is_local(run.owner) and not owner_alive(run.owner):
                lock = self._try_lock(run.pipeline, run.logical_date)
                if lock is None:
                    continue
                try:
                    out.append(self.recover(run))
                finally:
                    lock.close()
        return out

    def begin(
        self,
        pipeline: Pipeline,
        logical_date: datetime,
        *,
        trigger: str = "manual",
        force: bool = False,
    ) -> RunHandle | RunResult:
        """Claim and record the run of ``pipeline`` at ``logical_date``.

        Returns a :class:`RunHandle` to execute, or a skipped :class:`RunResult` when that
        logical date already succeeded (and not ``force``). Raises :class:`RunActiveError` when
        it is running elsewhere.
        """
        logical = utc(logical_date)
        lock = self._try_lock(pipeline.name, logical)
        try:
            runs = [r for r in self.history.runs(pipeline.name) if r.logical_date == logical]
            active = [r for r in runs if r.status == RunStatus.RUNNING]
            if lock is None:
                holder = active[-1] if active else None
                raise RunActiveError(pipeline.name, _ds(logical), holder.run_id if holder else "?",
                                     holder.owner if holder and holder.owner else "another runner on this host")
            for run in active:
                if run.owner == current_owner() or not owner_alive(run.owner):
                    self.recover(run)  # its runner died, or is us and no longer holds the claim
                elif not force:  # alive elsewhere (another home on this host, or another host)
                    raise RunActiveError(pipeline.name, _ds(logical), run.run_id, str(run.owner))
            done = [r for r in runs if r.status == RunStatus.SUCCESS]
            if done and not force:
                lock.close()
                return RunResult(done[-1], self.history.step_runs(done[-1].run_id), skipped=True)
            record = self.history.record_run(PipelineRun(
                run_id=new_run_id(pipeline.name, logical), pipeline=pipeline.name, logical_date=logical,
                status=RunStatus.RUNNING, trigger=trigger, started_at=self.options.clock(), owner=current_owner(),
            ))
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return RunHandle(self, pipeline, record, lock)

    def run(
        self,
        pipeline: Pipeline,
        logical_date: datetime | date | str | None = None,
        *,
        trigger: str = "manual",
        force: bool = False,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        """Run ``pipeline`` for ``logical_date`` (a date means that day's tick; default today)."""
        logical = resolve_logical_date(pipeline.schedule, logical_date, now=self.options.clock())
        handle = self.begin(pipeline, logical, trigger=trigger, force=force)
        if isinstance(handle, RunResult):
            return handle
        return handle.execute(cancel)


def _ds(logical_date: datetime) -> str:
    return utc(logical_date).strftime("%Y-%m-%d")


class RunHandle:
    """A claimed, recorded run, ready to execute once."""

    def __init__(self, runner: PipelineRunner, pipeline: Pipeline, run: PipelineRun, lock: IO[str]) -> None:
        self.runner = runner
        self.pipeline = pipeline
        self.run = run
        self._lock: IO[str] | None = lock

    @property
    def _history(self) -> RunHistory:
        return self.runner.history

    @property
    def _opts(self) -> RunnerOptions:
        return self.runner.options

    def execute(self, cancel: threading.Event | None = None) -> RunResult:
        """Run every step; record the final state; release the claim."""
        cancel = cancel or threading.Event()
        try:
            steps = self._run_steps(cancel)
            failed = [s for s in steps if s.status == StepStatus.FAILED]
            if cancel.is_set() and any(s.status == StepStatus.INTERRUPTED for s in steps):
                status, error = RunStatus.INTERRUPTED, "interrupted: the run was stopped"
            elif failed:
                status, error = RunStatus.FAILED, f"step {failed[0].step!r} failed: {failed[0].error}"
            elif any(s.status != StepStatus.SUCCESS for s in steps):
                status, error = RunStatus.INTERRUPTED, "interrupted: not every step ran"
            else:
                status, error = RunStatus.SUCCESS, None
        except Exception as exc:
            _log.exception("run %s: runner error", self.run.run_id)
            steps, status, error = [], RunStatus.FAILED, f"runner error: {type(exc).__name__}: {exc}"
        try:
            final = self._history.record_run(replace(self.run, status=status, ended_at=self._opts.clock(),
                                                     error=error))
            self._history.run_finished(final)
        finally:
            self.release()
        return RunResult(final, steps or self._history.step_runs(final.run_id))

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # ---------------------------------------------------------------- steps
    def _run_steps(self, cancel: threading.Event) -> list[StepRun]:
        pipeline = self.pipeline
        deps = pipeline.deps()
        order = pipeline.order()
        results: dict[str, StepRun] = {}
        pending = list(order)
        running: dict[Future[StepRun], str] = {}
        with ThreadPoolExecutor(max_workers=pipeline.max_concurrency,
                                thread_name_prefix=f"step-{pipeline.name}") as pool:
            while pending or running:
                for name in list(pending):
                    bad = [d for d in deps[name] if d in results and results[d].status != StepStatus.SUCCESS]
                    if cancel.is_set():
                        pending.remove(name)
                        results[name] = self._not_run(name, StepStatus.INTERRUPTED,
                                                      "not started: the run was stopped")
                    elif bad:
                        pending.remove(name)
                        why = f"not run: upstream step {bad[0]!r} {results[bad[0]].status.value}"
                        results[name] = self._not_run(name, StepStatus.UPSTREAM_FAILED, why)
                for name in list(pending):
                    if len(running) >= pipeline.max_concurrency:
                        break
                    if all(d in results for d in deps[name]):
                        pending.remove(name)
                        running[pool.submit(self._run_step, pipeline.step(name), cancel)] = name
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    try:
                        results[name] = future.result()
                    except Exception as exc:
                        _log.exception("run %s: step %s: runner error", self.run.run_id, name)
                        results[name] = self._not_run(name, StepStatus.FAILED, f"runner error: {exc}")
        return [results[name] for name in order]

    def _step_record(self, step: str, status: StepStatus, **values: Any) -> StepRun:
        return StepRun(run_id=self.run.run_id, pipeline=self.run.pipeline, logical_date=self.run.logical_date,
                       step=step, status=status, **values)

    def _not_run(self, step: str, status: StepStatus, error: str) -> StepRun:
        return self._history.record_step(self._step_record(step, status, ended_at=self._opts.clock(), error=error))

    def _paths(self, step: str) -> tuple[Path, Path]:
        run = self.run
        log = self._opts.work_dir / "logs" / run.pipeline / run.ds / run.run_id / f"{step}.log"
        err = self._opts.work_dir / "errors" / run.run_id / f"{step}.json"
        log.parent.mkdir(parents=True, exist_ok=True)
        err.parent.mkdir(parents=True, exist_ok=True)
        return log, err

    def _env(self, step: Step, context: TemplateContext, attempt: int) -> dict[str, str]:
        env = dict(self._opts.base_env if self._opts.base_env is not None else os.environ)
        env.update({k: render(v, context) for k, v in self.pipeline.env.items()})
        env.update({k: render(v, context) for k, v in step.env.items()})
        values = context.values()
        env.update({
            RUN_ID_ENV: self.run.run_id, "LAKEFORGE_PIPELINE": self.run.pipeline, "LAKEFORGE_STEP": step.name,
            "LAKEFORGE_LOGICAL_DATE": values["logical_date"], "LAKEFORGE_DS": values["ds"],
            "LAKEFORGE_ATTEMPT": str(attempt),
        })
        return env

    def _run_step(self, step: Step, cancel: threading.Event) -> StepRun:
        opts = self._opts
        context = TemplateContext(self.run.pipeline, self.run.logical_date, self.run.run_id, self.pipeline.params)
        log_path, error_file = self._paths(step.name)
        argv = opts.launcher.argv(step, render_all(step.args, context))
        started = opts.clock()
        record = self._history.record_step(self._step_record(
            step.name, StepStatus.RUNNING, attempts=1, started_at=started, log_location=str(log_path),
            command=shlex.join(argv)))
        attempt = 0
        while True:
            attempt += 1
            result = run_attempt(argv, env=self._env(step, context, attempt), log_path=log_path,
                                 error_file=error_file, cwd=opts.cwd, timeout=step.timeout,
                                 kill_grace=opts.kill_grace, cancel=cancel, clock=opts.clock)
            if result.ok:
                status, error, error_type, transient = StepStatus.SUCCESS, None, None, None
                break
            if result.cancelled:
                status, error, error_type, transient = (StepStatus.INTERRUPTED, "interrupted: the run was stopped",
                                                        "Cancelled", None)
                break
            if result.timed_out:
                error, error_type = f"timed out after {_seconds(step.timeout)} (process group killed)", "StepTimeout"
                transient = step.retry_on_timeout
            elif result.failure is not None:
                error, error_type, transient = result.failure.message, result.failure.type, result.failure.transient
            else:
                tail = last_log_line(log_path)
                error = f"exit code {result.exit_code}" + (f": {tail}" if tail else "")
                error_type, transient = "ProcessExit", False
            status = StepStatus.FAILED
            if not transient or attempt > step.retries or cancel.is_set():
                if transient and attempt > step.retries:
                    log_note(log_path, f"transient error, no retries left ({step.retries} allowed): {error}")
                break
            delay = backoff_delay(attempt, step.retry_delay, step.max_retry_delay, self.runner._rng)
            log_note(log_path, f"transient error ({error_type}): {error}; retry {attempt}/{step.retries} "
                     f"in {delay:.1f}s")
            record = self._history.record_step(replace(record, attempts=attempt + 1, error=error,
                                                       error_type=error_type, transient=transient,
                                                       exit_code=result.exit_code))
            if opts.sleep is not None:
                opts.sleep(delay)
            else:
                cancel.wait(delay)
        location = str(log_path)
        try:
            location = self._history.store_log(self.run, step.name, log_path)
        except Exception as exc:
            _log.warning("run %s: step %s: log kept at %s, not stored in the lake: %s",
                         self.run.run_id, step.name, log_path, exc)
        if location != str(log_path):  # stored elsewhere: the working copy is no longer needed
            with contextlib.suppress(OSError):
                log_path.unlink()
        with contextlib.suppress(OSError):
            error_file.unlink(missing_ok=True)
        return self._history.record_step(replace(
            record, status=status, attempts=attempt, ended_at=result.ended_at, exit_code=result.exit_code,
            error=error, error_type=error_type, transient=transient, log_location=location))


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    for unit, size in (("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{int(value // size)}{unit}"
    return f"{value:g}s"

