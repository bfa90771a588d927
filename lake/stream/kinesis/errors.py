"""Errors of the Kinesis source: terminal ones fail the query, transient ones were retried."""

from __future__ import annotations

from lake.errors import InvalidOptionError
from lake.stream.errors import KinesisUnavailableError, StreamError

__all__ = [
    "KinesisDataLossError",
    "KinesisOptionError",
    "KinesisServiceError",
    "KinesisSourceError",
    "KinesisStreamNotFoundError",
    "KinesisUnavailableError",
]


class KinesisSourceError(StreamError):
    """Base of the Kinesis source's errors."""


class KinesisOptionError(InvalidOptionError, KinesisSourceError):
    """A ``readStream.format("kinesis")`` option is missing or invalid."""

    template = "kinesis source option {option}: {shown}; expected {expected}"

    @property
    def shown(self) -> str:
        return "missing" if self.value is None else repr(self.value)


class KinesisStreamNotFoundError(KinesisSourceError):
    """The stream (or one of its shards) does not exist."""

    template = "kinesis stream {stream!r} not found ({operation}: {detail})"
    stream: str
    operation: str
    detail: str


class KinesisServiceError(KinesisSourceError):
    """Kinesis rejected a request for a reason retrying cannot fix (access, arguments)."""

    template = "kinesis {operation} on stream {stream!r}{where} failed: {code}: {detail}"
    stream: str
    operation: str
    code: str
    detail: str
    shard: str | None = None

    @property
    def where(self) -> str:
        return f" shard {self.shard}" if self.shard else ""


class KinesisDataLossError(KinesisSourceError):
    """Records a checkpointed batch covers are no longer in the stream (retention, deletion)."""

    template = (
        "kinesis stream {stream!r} shard {shard}: records after {start} up to {end} cannot be "
        "replayed (stream ends at {shown_reached}); they were trimmed or the stream was recreated"
    )
    stream: str
    shard: str
    start: str
    end: str
    reached: str | None

    @property
    def shown_reached(self) -> str:
        return self.reached or "no record"
