"""A Kinesis Data Streams producer: stream set-up and PutRecords with retries.

Partial failures (``FailedRecordCount`` > 0) resend only the failed entries; throttling,
limit and 5xx errors of a whole call are retried. Both back off exponentially with full
jitter and give up after a bounded number of attempts.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lake.stream.aws_errors import error_parts, is_transient
from lake.stream.simulator.batching import Entry, pack_batches
from lake.stream.simulator.errors import (
    KinesisRequestError,
    KinesisUnavailableError,
    SimulatorConfigError,
    StreamNotActiveError,
)

__all__ = [
    "Accepted",
    "KinesisProducer",
    "PutResult",
    "Rejected",
    "RetryPolicy",
    "StreamInfo",
    "make_kinesis_client",
]

# Per-entry error codes worth resending (AWS documents the first two for PutRecords).
_RETRYABLE_ENTRY_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "InternalFailure", "KMSThrottlingException"}
)


def make_kinesis_client(boto3_kwargs: dict[str, Any]) -> Any:
    """A boto3 Kinesis client whose own retries are off (the producer retries itself)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    return boto3.client("kinesis", config=config, **boto3_kwargs)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: sleep U(0, min(max_delay, base_delay·2^n))."""

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise SimulatorConfigError("max_attempts", self.max_attempts, "an integer ≥ 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise SimulatorConfigError(
                "base_delay", self.base_delay, "0 ≤ base_delay ≤ max_delay"
            )

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (retry - 1)))


@dataclass(frozen=True)
class Accepted:
    """An entry Kinesis stored."""

    entry: Entry
    shard_id: str
    sequence_number: str


@dataclass(frozen=True)
class Rejected:
    """An entry Kinesis did not store, with its last error."""

    entry: Entry
    error_code: str
    error_message: str


@dataclass
class PutResult:
    """Outcome of sending entries: what was stored, what failed and how much was retried."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    calls: int = 0
    retried_records: int = 0
    retried_calls: int = 0
    per_shard: Counter[str] = field(default_factory=Counter)
    error: KinesisRequestError | KinesisUnavailableError | None = None

    def merge(self, other: PutResult) -> None:
        self.error = self.error or other.error
        self.accepted.extend(other.accepted)
        self.rejected.extend(other.rejected)
        self.calls += other.calls
        self.retried_records += other.retried_records
        self.retried_calls += other.retried_calls
        self.per_shard.update(other.per_shard)


@dataclass(frozen=True)
class StreamInfo:
    """The stream the producer writes to."""

    name: str
    arn: str
    shards: int
    created: bool


class KinesisProducer:
    """Writes entries to one Kinesis stream through a boto3 client (moto server or AWS)."""

    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter_seed: int | None = None,
    ) -> None:
        self.client = client
        self.stream_name = stream_name
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(jitter_seed)
        self._call_retries = 0

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """Call ``operation`` retrying throttling, limits, 5xx and connection errors."""
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client, operation)
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                return method(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                code, _, message = error_parts(exc)
                if not is_transient(exc):
                    raise KinesisRequestError(operation, self.stream_name, code, message) from None
                if attempt == self.retry.max_attempts:
                    raise KinesisUnavailableError(
                        operation=operation, stream=self.stream_name, attempts=attempt,
                        last_error=f"{code}: {message}",
                    ) from None
                self._call_retries += 1
                self._sleep(self.retry.delay(attempt, self._rng))
        raise AssertionError("unreachable")  # pragma: no cover

    def describe(self) -> dict[str, Any] | None:
        """The stream's summary, or None when the stream does not exist.

        A transient failure (throttling, no connection) is retried by :meth:`_call`, which
        ends in :class:`KinesisUnavailableError`; any other is a :class:`KinesisRequestError`.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return dict(
                self.client.describe_stream_summary(StreamName=self.stream_name)[
                    "StreamDescriptionSummary"
                ]
            )
        except (ClientError, BotoCoreError) as exc:
            if error_parts(exc)[0] == "ResourceNotFoundException":
                return None
            if not is_transient(exc):
                code, _, message = error_parts(exc)
                raise KinesisRequestError(
                    "DescribeStreamSummary", self.stream_name, code, message
                ) from None
        return self._call("describe_stream_summary", StreamName=self.stream_name)[
            "StreamDescriptionSummary"
        ]

    def ensure_stream(
        self, shards: int, *, timeout: float = 180.0, poll: float = 0.25
    ) -> StreamInfo:
        """Create the stream with ``shards`` shards unless it exists; wait until ACTIVE."""
        if shards < 1:
            raise SimulatorConfigError("shards", shards, "an integer ≥ 1")
        summary = self.describe()
        created = False
        if summary is None:
            try:
                self._call("create_stream", StreamName=self.stream_name, ShardCount=shards)
                created = True
            except KinesisRequestError as exc:
                if exc.code != "ResourceInUseException":  # created concurrently
                    raise
        deadline = time.monotonic() + timeout
        while True:
            summary = self.describe()
            status = str(summary.get("StreamStatus", "")) if summary else "CREATING"
            if status == "ACTIVE" and summary is not None:
                return StreamInfo(
                    name=self.stream_name,
                    arn=str(summary.get("StreamARN", "")),
                    shards=int(summary.get("OpenShardCount", shards)),
                    created=created,
                )
            if status == "DELETING" or time.monotonic() >= deadline:
                raise StreamNotActiveError(self.stream_name, status, timeout)
            self._sleep(poll)

    def put(self, entries: Sequence[Entry]) -> PutResult:
        """Send one request's worth of entries (≤ 500, ≤ 5 MiB), resending failed ones.

        Entries still failing after the last attempt are returned in ``rejected``. When a whole
        call keeps failing (or fails terminally) the unsent entries are rejected too and
        ``error`` holds the reason, so entries stored by earlier rounds are still reported.
        """
        result = PutResult()
        pending = list(entries)
        self._call_retries = 0
        attempt = 0
        while pending:
            attempt += 1
            try:
                response = self._call(
                    "put_records",
                    StreamName=self.stream_name,
                    Records=[entry.request() for entry in pending],
                )
            except (KinesisRequestError, KinesisUnavailableError) as exc:
                result.error = exc
                code = getattr(exc, "code", None) or type(exc).__name__
                result.rejected.extend(Rejected(entry, code, str(exc)) for entry in pending)
                break
            result.calls += 1
            again: list[Entry] = []
            for entry, outcome in zip(pending, response["Records"], strict=True):
                code = outcome.get("ErrorCode")
                if not code:
                    result.accepted.append(
                        Accepted(entry, outcome["ShardId"], outcome["SequenceNumber"])
                    )
                    result.per_shard[outcome["ShardId"]] += 1
                elif code in _RETRYABLE_ENTRY_CODES and attempt < self.retry.max_attempts:
                    again.append(entry)
                else:
                    result.rejected.append(Rejected(entry, code, outcome.get("ErrorMessage", "")))
            if again:
                result.retried_records += len(again)
                self._sleep(self.retry.delay(attempt, self._rng))
            pending = again
        result.retried_calls = self._call_retries
        return result

    def send(self, entries: Iterable[Entry]) -> PutResult:
        """Pack ``entries`` into requests within the limits and :meth:`put` each one.

        After a batch fails wholesale (``error`` set) later entries are rejected as ``NotSent``.
        """
        total = PutResult()
        for batch in pack_batches(entries):
            if total.error is not None:
                total.rejected.extend(Rejected(e, "NotSent", str(total.error)) for e in batch)
                continue
            total.merge(self.put(batch))
        return total
