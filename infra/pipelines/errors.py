"""Errors of pipelines, runs and the scheduler."""

from __future__ import annotations

from infra.errors import InfraError
from lake.errors import Transient

__all__ = [
    "CycleError",
    "DuplicatePipelineError",
    "HistoryUnavailableError",
    "PipelineError",
    "PipelineSpecError",
    "RunActiveError",
    "RunFailedError",
    "RunNotFoundError",
    "TemplateError",
    "UnknownParamError",
    "UnknownPipelineError",
]


class PipelineError(InfraError):
    """A pipeline cannot be loaded, run or scheduled."""


class PipelineSpecError(PipelineError):
    """A pipeline file is invalid; names the file, and the step and key when there is one."""

    template = "{file}{where}: {message}"
    file: str
    message: str
    step: str | None = None
    key: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.step:
            parts.append(f"step {self.step!r}")
        if self.key:
            parts.append(f"key {self.key!r}")
        return (": " + ", ".join(parts)) if parts else ""


class CycleError(PipelineSpecError):
    """``depends_on`` forms a cycle; ``cycle`` lists its steps in order."""

    cycle: tuple[str, ...] = ()


class TemplateError(PipelineSpecError):
    """A templated value uses an unknown variable or unsupported syntax."""

    variable: str | None = None


class DuplicatePipelineError(PipelineError):
    """Two pipeline files declare the same name."""

    template = "pipeline {name!r} is declared twice: {first} and {second}; rename one of them"
    name: str
    first: str
    second: str


class UnknownPipelineError(PipelineError):
    """No pipeline of that name in the pipeline folders."""

    template = "no pipeline named {name!r}{known_list}; see `lake pipeline list`"
    name: str
    known: tuple[str, ...] = ()

    @property
    def known_list(self) -> str:
        return f" (known: {', '.join(self.known)})" if self.known else " (no pipelines found)"


class UnknownParamError(PipelineError):
    """A run sets a parameter its pipeline does not declare under ``[params]``."""

    template = ("pipeline {pipeline!r} has no parameter {name!r} (declared: {declared_list}); "
                "see `lake pipeline show {pipeline}`")
    pipeline: str
    name: str
    declared: tuple[str, ...] = ()

    @property
    def declared_list(self) -> str:
        return ", ".join(self.declared) or "none"


class RunActiveError(PipelineError):
    """The run of (pipeline, logical date) is already in progress elsewhere."""

    template = (
        "pipeline {pipeline!r} for {ds} is already running (run {run_id}, owner {owner}); "
        "wait for it to finish or check `lake pipeline runs {pipeline}`"
    )
    pipeline: str
    ds: str
    run_id: str
    owner: str


class RunFailedError(PipelineError):
    """A run (or, with ``others``, several runs of a backfill) ended failed or interrupted."""

    template = (
        "pipeline {pipeline!r} {status} for {ds} (run {run_id}): {error}{and_others}; "
        "see `lake pipeline logs {run_id}`"
    )
    pipeline: str
    ds: str
    run_id: str
    status: str
    error: str
    others: int = 0

    @property
    def and_others(self) -> str:
        return f" (and {self.others} more failed runs)" if self.others else ""


class RunNotFoundError(PipelineError):
    """No recorded run with that id."""

    template = "no pipeline run {run_id!r} in the run history; see `lake pipeline runs NAME`"
    run_id: str


class HistoryUnavailableError(Transient, PipelineError):
    """The run history could not be read or written (storage unreachable or busy)."""

    template = "run history at {location} unavailable: {reason}"
    location: str
    reason: str
