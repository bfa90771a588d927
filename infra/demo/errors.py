"""Errors of ``lake demo``."""

from __future__ import annotations

from infra.errors import InfraError

__all__ = ["DemoError", "DemoStageFailedError"]


class DemoError(InfraError):
    """The demo could not run."""


class DemoStageFailedError(DemoError):
    """A stage of the demo pipeline failed; names the stage, its error line and where its log is."""

    template = "demo stage {stage!r} {status}: {error}; log: {log} (or `{logs_command}`)"
    stage: str
    status: str
    error: str
    log: str
    logs_command: str
