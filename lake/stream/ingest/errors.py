"""Errors of the streaming ingest job."""

from __future__ import annotations

from lake.stream.errors import StreamError

__all__ = ["IngestError", "IngestQueryError"]


class IngestError(StreamError):
    """Base of the ingest job's errors."""


class IngestQueryError(IngestError):
    """The streaming query stopped with an error."""

    template = "ingest job {job} failed: {reason}"
    job: str
    reason: str
