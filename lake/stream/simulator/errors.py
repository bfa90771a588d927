"""Errors raised by the simulator and its Kinesis producer."""

from __future__ import annotations

from lake.errors import InvalidOptionError, Transient
from lake.stream.errors import KinesisUnavailableError, StreamError

__all__ = [
    "KinesisRequestError",
    "KinesisUnavailableError",
    "RecordTooLargeError",
    "SimulatorConfigError",
    "SimulatorError",
    "StreamNotActiveError",
    "UnknownGeneratorError",
]


class SimulatorError(StreamError):
    """Base of the simulator's errors."""


class SimulatorConfigError(InvalidOptionError, SimulatorError):
    """A simulator option has an invalid value."""

    template = "simulator option {option}={value!r}: expected {expected}"


class UnknownGeneratorError(SimulatorError):
    """No generator is registered under the requested name."""

    template = "unknown generator {name!r}; valid generators: {known_list}"
    name: str
    known: list[str]

    @property
    def known_list(self) -> str:
        return ", ".join(self.known)


class RecordTooLargeError(SimulatorError):
    """A record exceeds the Kinesis per-record limit (data + partition key ≤ 1 MiB)."""

    template = (
        "record with partition key {partition_key!r} is {size} bytes; "
        "Kinesis accepts at most {limit} bytes (data + partition key)"
    )
    partition_key: str
    size: int
    limit: int


class KinesisRequestError(SimulatorError):
    """Kinesis rejected a request for a reason retrying cannot fix."""

    template = "kinesis {operation} on stream {stream!r} failed: {code}: {detail}"
    operation: str
    stream: str
    code: str
    detail: str


class StreamNotActiveError(Transient, SimulatorError):
    """The stream did not become ACTIVE within the wait timeout."""

    template = "kinesis stream {stream!r} still {status} after waiting {timeout:.0f}s for ACTIVE"
    stream: str
    status: str
    timeout: float
