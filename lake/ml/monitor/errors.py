"""Errors of the model monitor: one base under :class:`~lake.ml.errors.MLError`, narrow subclasses."""

from __future__ import annotations

from lake.ml.errors import MLError

__all__ = [
    "BaselineError",
    "BaselineFileError",
    "MonitorError",
    "MonitorInputError",
    "ThresholdValueError",
]


class MonitorError(MLError):
    """Base of every error raised by ``lake.ml.monitor``."""


class BaselineError(MonitorError):
    """A baseline cannot be built from the data as given (missing column, unsupported type, no rows)."""

    template = "cannot build the monitoring baseline: {where}{reason}"
    reason: str
    column: str | None = None

    @property
    def where(self) -> str:
        return f"column {self.column!r}: " if self.column else ""


class BaselineFileError(MonitorError):
    """Baseline files are missing, unreadable or not in the expected shape."""

    template = "baseline {path}: {reason}; rebuild it with build_baseline(...).to_files(dir)"
    path: str
    reason: str


class MonitorInputError(MonitorError):
    """A monitoring run's inputs do not fit the baseline (unknown feature, missing label column, …)."""

    template = "cannot run the monitor: {problem}"
    problem: str


class ThresholdValueError(MonitorError):
    """A monitoring threshold is out of range or of the wrong kind."""

    template = "monitor threshold {option}: expected {expected}, got {value!r}"
    option: str
    value: object
    expected: str
