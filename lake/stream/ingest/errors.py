"""Errors of the streaming ingest job."""

from __future__ import annotations

from typing import Any

from lake.stream.errors import StreamError

__all__ = ["CheckpointResetError", "IngestError", "IngestQueryError"]


class IngestError(StreamError):
    """Base of the ingest job's errors."""


class IngestQueryError(IngestError):
    """The streaming query stopped with an error (``totals``: what it did before)."""

    template = "ingest job {job} failed: {reason}"
    job: str
    reason: str
    totals: Any = None


class CheckpointResetError(IngestError):
    """``--reset-checkpoint`` could not move the old checkpoint aside."""

    template = "could not move checkpoint {checkpoint} aside to {target}: {reason}"
    checkpoint: str
    target: str
    reason: str
