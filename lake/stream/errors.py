"""The streaming packages' shared base and the one "Kinesis kept failing" error."""

from __future__ import annotations

from lake.errors import LakeforgeError, Transient

__all__ = ["KinesisUnavailableError", "StreamError"]


class StreamError(LakeforgeError):
    """Base of the simulator's, the Kinesis source's and the ingest job's errors."""


class KinesisUnavailableError(Transient, StreamError):
    """Kinesis kept throttling or failing a request until the retry budget ran out."""

    template = "kinesis {operation} on stream {stream!r} still failing after {attempts} attempts{took}: {last_error}"
    operation: str
    stream: str
    attempts: int
    last_error: str
    seconds: float | None = None

    @property
    def took(self) -> str:
        return f" in {self.seconds:.0f}s" if self.seconds is not None else ""
