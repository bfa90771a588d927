"""Errors of the Kinesis source: terminal ones fail the query, transient ones were retried."""

from __future__ import annotations

from lake.errors import InvalidOptionError
from lake.stream.errors import KinesisUnavailableError, StreamError

__all__ = [
    "CheckpointMismatchError",
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
    """Records expired from the stream (retention) before they were read.

    Raised unless the source runs with ``failOnDataLoss=false`` (``lake ingest
    --allow-data-loss``), in which case the loss is counted instead (a loss row in the batch).
    """

    template = (
        "kinesis stream {stream!r} shard {shard}: {shown_lost} after {after} expired from the "
        "stream before they were read ({shown_first}); rerun with --allow-data-loss (source "
        "option failOnDataLoss=false) to skip them, counted as lost"
    )
    stream: str
    shard: str
    after: str
    first: str | None
    lost: int | None

    @property
    def shown_lost(self) -> str:
        if self.lost is None:
            return "an unknown number of records (Kinesis sequence numbers are not contiguous)"
        return f"{self.lost:,} record{'s' if self.lost != 1 else ''}"

    @property
    def shown_first(self) -> str:
        if self.first is None:
            return "no record is left in the shard"
        return f"the shard now starts at {self.first}"


class CheckpointMismatchError(KinesisSourceError):
    """The query's checkpoint belongs to another stream, or to shard ranges that do not exist."""

    template = (
        "checkpoint {checkpoint} does not match kinesis stream {stream!r}: {what}; to start over "
        "rerun lake ingest with --reset-checkpoint trim_horizon|latest (the old checkpoint is "
        "moved aside, not deleted)"
    )
    checkpoint: str
    stream: str
    what: str
