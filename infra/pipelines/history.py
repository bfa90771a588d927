"""Run records and where they are kept: the :class:`RunHistory` protocol and an in-memory one.

History is an append-only event log: every change of a run or a step appends a record with
a sequence number that grows within the run; the current state of a run (or step) is its
record with the highest ``seq``. The runner and the scheduler read it back to decide
idempotence (a logical date that succeeded is not run again) and to recover runs whose owner
died. :class:`~infra.pipelines.delta_history.DeltaRunHistory` keeps it in the lake.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from infra.pipelines.errors import RunNotFoundError

__all__ = [
    "InMemoryRunHistory",
    "PipelineRun",
    "RunHistory",
    "RunStatus",
    "StepRun",
    "StepStatus",
    "latest_by_key",
]


class RunStatus(StrEnum):
    """State of a pipeline run."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its runner died or was stopped; never resumed on its own


class StepStatus(StrEnum):
    """State of one step of a run."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UPSTREAM_FAILED = "upstream_failed"  # not run: a step it depends on failed
    INTERRUPTED = "interrupted"  # killed or never started because the run was stopped


@dataclass(frozen=True)
class PipelineRun:
    """One run of a pipeline for one logical date (``run_id`` is unique per attempt at it)."""

    run_id: str
    pipeline: str
    logical_date: datetime
    status: RunStatus
    trigger: str
    started_at: datetime
    ended_at: datetime | None = None
    error: str | None = None
    owner: str | None = None
    seq: int = 0

    @property
    def ds(self) -> str:
        return self.logical_date.astimezone(UTC).strftime("%Y-%m-%d")

    @property
    def finished(self) -> bool:
        return self.status != RunStatus.RUNNING

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        out["ds"] = self.ds
        for key in ("logical_date", "started_at", "ended_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass(frozen=True)
class StepRun:
    """The state of one step of a run: attempts, times, error line and log location."""

    run_id: str
    pipeline: str
    logical_date: datetime
    step: str
    status: StepStatus
    attempts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    exit_code: int | None = None
    error: str | None = None
    error_type: str | None = None
    transient: bool | None = None
    log_location: str | None = None
    command: str | None = None
    seq: int = 0

    @property
    def ds(self) -> str:
        return self.logical_date.astimezone(UTC).strftime("%Y-%m-%d")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        for key in ("logical_date", "started_at", "ended_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@runtime_checkable
class RunHistory(Protocol):
    """Where runs, step runs, step logs and the scheduler's ticks are recorded."""

    def record_run(self, run: PipelineRun) -> PipelineRun:
        """Append a state of ``run``; returns it with the ``seq`` it was recorded under."""
        ...

    def record_step(self, step: StepRun) -> StepRun:
        """Append a state of ``step``; returns it with its ``seq``."""
        ...

    def runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """Current state of every run (of ``pipeline``), oldest logical date first."""
        ...

    def get_run(self, run_id: str) -> PipelineRun:
        """Current state of ``run_id``; :class:`RunNotFoundError` if unknown."""
        ...

    def step_runs(self, run_id: str) -> list[StepRun]:
        """Current state of each step of ``run_id``, in the order they started."""
        ...

    def store_log(self, run: PipelineRun, step: str, local_path: Path) -> str:
        """Keep the step's log; returns its location."""
        ...

    def read_log(self, location: str) -> str: ...

    def run_finished(self, run: PipelineRun) -> None:
        """Called once a run reached a final state (e.g. to refresh the catalog)."""
        ...

    def scheduler_state(self) -> dict[str, Any]: ...

    def save_scheduler_state(self, state: Mapping[str, Any]) -> None: ...


_R = TypeVar("_R", PipelineRun, StepRun)


def latest_by_key(records: Iterable[_R], key: Any) -> list[_R]:
    """The highest-``seq`` record per ``key(record)``, in first-seen order."""
    best: dict[Any, _R] = {}
    for record in records:
        k = key(record)
        if k not in best or record.seq >= best[k].seq:
            best[k] = record
    return list(best.values())


class HistoryBase:
    """Sequence numbers and current-state resolution over append-only records."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._seq: dict[str, int] = {}

    # storage hooks
    def _append_run(self, run: PipelineRun) -> None:
        raise NotImplementedError

    def _append_step(self, step: StepRun) -> None:
        raise NotImplementedError

    def _all_runs(self) -> list[PipelineRun]:
        raise NotImplementedError

    def _all_steps(self) -> list[StepRun]:
        raise NotImplementedError

    def _next_seq(self, run_id: str) -> int:
        if run_id not in self._seq:
            seqs = [r.seq for r in self._all_runs() if r.run_id == run_id]
            seqs += [s.seq for s in self._all_steps() if s.run_id == run_id]
            self._seq[run_id] = max(seqs, default=0)
        self._seq[run_id] += 1
        return self._seq[run_id]

    def record_run(self, run: PipelineRun) -> PipelineRun:
        with self._lock:
            run = replace(run, seq=self._next_seq(run.run_id))
            self._append_run(run)
            return run

    def record_step(self, step: StepRun) -> StepRun:
        with self._lock:
            step = replace(step, seq=self._next_seq(step.run_id))
            self._append_step(step)
            return step

    def runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        with self._lock:
            records = [r for r in self._all_runs() if pipeline is None or r.pipeline == pipeline]
        current = latest_by_key(records, lambda r: r.run_id)
        return sorted(current, key=lambda r: (r.logical_date, r.started_at, r.run_id))

    def get_run(self, run_id: str) -> PipelineRun:
        with self._lock:
            found = latest_by_key([r for r in self._all_runs() if r.run_id == run_id], lambda r: r.run_id)
        if not found:
            raise RunNotFoundError(run_id)
        return found[0]

    def step_runs(self, run_id: str) -> list[StepRun]:
        with self._lock:
            records = [s for s in self._all_steps() if s.run_id == run_id]
        return latest_by_key(records, lambda s: s.step)

    def run_finished(self, run: PipelineRun) -> None:
        return None


class InMemoryRunHistory(HistoryBase):
    """History in this process's memory (tests, dry runs); logs stay where they were written."""

    def __init__(self) -> None:
        super().__init__()
        self.run_records: list[PipelineRun] = []
        self.step_records: list[StepRun] = []
        self.finished: list[str] = []
        self._state: dict[str, Any] = {}

    def _append_run(self, run: PipelineRun) -> None:
        self.run_records.append(run)

    def _append_step(self, step: StepRun) -> None:
        self.step_records.append(step)

    def _all_runs(self) -> list[PipelineRun]:
        return list(self.run_records)

    def _all_steps(self) -> list[StepRun]:
        return list(self.step_records)

    def store_log(self, run: PipelineRun, step: str, local_path: Path) -> str:
        return str(local_path)

    def read_log(self, location: str) -> str:
        return Path(location).read_text(encoding="utf-8", errors="replace")

    def run_finished(self, run: PipelineRun) -> None:
        self.finished.append(run.run_id)

    def scheduler_state(self) -> dict[str, Any]:
        with self._lock:
            return _copy(self._state)

    def save_scheduler_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self._state = _copy(state)


def _copy(state: Mapping[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(dict(state))


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
