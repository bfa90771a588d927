"""Errors raised by the simulator and its Kinesis producer."""

from __future__ import annotations

from lake.errors import TerminalError, TransientError

__all__ = [
    "KinesisRequestError",
    "KinesisUnavailableError",
    "RecordTooLargeError",
    "SimulatorConfigError",
    "SimulatorError",
    "StreamNotActiveError",
    "UnknownGeneratorError",
]


class SimulatorError(TerminalError):
    """Base of the simulator's terminal errors."""


class SimulatorConfigError(SimulatorError):
    """A simulator option has an invalid value."""

    def __init__(self, option: str, value: object, expected: str):
        self.option = option
        self.value = value
        self.expected = expected
        super().__init__(f"simulator option {option}={value!r}: expected {expected}")


class UnknownGeneratorError(SimulatorError):
    """No generator is registered under the requested name."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(f"unknown generator {name!r}; valid generators: {', '.join(known)}")


class RecordTooLargeError(SimulatorError):
    """A record exceeds the Kinesis per-record limit (data + partition key ≤ 1 MiB)."""

    def __init__(self, partition_key: str, size: int, limit: int):
        self.partition_key = partition_key
        self.size = size
        self.limit = limit
        super().__init__(
            f"record with partition key {partition_key!r} is {size} bytes; "
            f"Kinesis accepts at most {limit} bytes (data + partition key)"
        )


class KinesisRequestError(SimulatorError):
    """Kinesis rejected a request for a reason retrying cannot fix."""

    def __init__(self, operation: str, stream: str, code: str, message: str):
        self.operation = operation
        self.stream = stream
        self.code = code
        super().__init__(f"kinesis {operation} on stream {stream!r} failed: {code}: {message}")


class KinesisUnavailableError(TransientError):
    """Kinesis kept throttling or failing a request until the retry budget ran out."""

    def __init__(self, operation: str, stream: str, attempts: int, last_error: str):
        self.operation = operation
        self.stream = stream
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(
            f"kinesis {operation} on stream {stream!r} still failing after {attempts} "
            f"attempts: {last_error}"
        )


class StreamNotActiveError(TransientError):
    """The stream did not become ACTIVE within the wait timeout."""

    def __init__(self, stream: str, status: str, timeout: float):
        self.stream = stream
        self.status = status
        self.timeout = timeout
        super().__init__(
            f"kinesis stream {stream!r} still {status} after waiting {timeout:.0f}s for ACTIVE"
        )
