"""Errors of the Kinesis source: terminal ones fail the query, transient ones were retried."""

from __future__ import annotations

from lake.errors import TerminalError, TransientError

__all__ = [
    "KinesisDataLossError",
    "KinesisOptionError",
    "KinesisServiceError",
    "KinesisSourceError",
    "KinesisStreamNotFoundError",
    "KinesisUnavailableError",
]


class KinesisSourceError(TerminalError):
    """Base of the Kinesis source's terminal errors."""


class KinesisOptionError(KinesisSourceError):
    """A ``readStream.format("kinesis")`` option is missing or invalid."""

    def __init__(self, option: str, value: object, expected: str):
        self.option = option
        self.value = value
        self.expected = expected
        shown = "missing" if value is None else f"{value!r}"
        super().__init__(f"kinesis source option {option}: {shown}; expected {expected}")


class KinesisStreamNotFoundError(KinesisSourceError):
    """The stream (or one of its shards) does not exist."""

    def __init__(self, stream: str, operation: str, detail: str):
        self.stream = stream
        self.operation = operation
        super().__init__(f"kinesis stream {stream!r} not found ({operation}: {detail})")


class KinesisServiceError(KinesisSourceError):
    """Kinesis rejected a request for a reason retrying cannot fix (access, arguments)."""

    def __init__(
        self, stream: str, operation: str, code: str, message: str, shard: str | None = None
    ):
        self.stream = stream
        self.operation = operation
        self.code = code
        self.shard = shard
        where = f" shard {shard}" if shard else ""
        super().__init__(
            f"kinesis {operation} on stream {stream!r}{where} failed: {code}: {message}"
        )


class KinesisDataLossError(KinesisSourceError):
    """Records a checkpointed batch covers are no longer in the stream (retention, deletion)."""

    def __init__(self, stream: str, shard: str, start: str, end: str, reached: str | None):
        self.stream = stream
        self.shard = shard
        self.start = start
        self.end = end
        self.reached = reached
        super().__init__(
            f"kinesis stream {stream!r} shard {shard}: records after {start} up to {end} "
            f"cannot be replayed (stream ends at {reached or 'no record'}); they were trimmed "
            "or the stream was recreated"
        )


class KinesisUnavailableError(TransientError):
    """Kinesis kept throttling or failing until the retry budget ran out."""

    def __init__(self, stream: str, operation: str, attempts: int, seconds: float, last_error: str):
        self.stream = stream
        self.operation = operation
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(
            f"kinesis {operation} on stream {stream!r} still failing after {attempts} attempts "
            f"in {seconds:.0f}s: {last_error}"
        )
