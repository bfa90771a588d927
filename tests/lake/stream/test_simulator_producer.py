"""The Kinesis producer against the real moto server: limits, retries, stream set-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lake.stream.simulator import (
    MAX_BYTES_PER_CALL,
    Batcher,
    Entry,
    KinesisProducer,
    KinesisRequestError,
    KinesisUnavailableError,
    RecordTooLargeError,
    RetryPolicy,
    TokenBucket,
    pack_batches,
)

pytestmark = pytest.mark.moto

FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)


class Recording:
    """Passes calls to the real client and keeps every PutRecords request."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: list[list[dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_records(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs["Records"])
        return self._client.put_records(**kwargs)


class Flaky(Recording):
    """Fails chosen entries (never sending them) and whole calls, like a throttled stream.

    ``fail_entry(data, attempt)`` decides per entry; ``throttle_calls`` first calls raise.
    """

    def __init__(
        self,
        client: Any,
        fail_entry: Callable[[bytes, int], bool],
        throttle_calls: int = 0,
        throttle_code: str = "ProvisionedThroughputExceededException",
    ) -> None:
        super().__init__(client)
        self.fail_entry = fail_entry
        self.throttle_calls = throttle_calls
        self.throttle_code = throttle_code
        self.attempts: dict[bytes, int] = {}

    def put_records(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs["Records"])
        if self.throttle_calls:
            self.throttle_calls -= 1
            status = 500 if self.throttle_code == "InternalFailure" else 400
            raise ClientError(
                {"Error": {"Code": self.throttle_code, "Message": "Rate exceeded"},
                 "ResponseMetadata": {"HTTPStatusCode": status}},
                "PutRecords",
            )
        records = kwargs["Records"]
        keep, outcome = [], []
        for record in records:
            n = self.attempts[record["Data"]] = self.attempts.get(record["Data"], 0) + 1
            if self.fail_entry(record["Data"], n):
                outcome.append({"ErrorCode": "ProvisionedThroughputExceededException",
                                "ErrorMessage": "Rate exceeded for shard"})
            else:
                keep.append(record)
                outcome.append(None)
        stream = kwargs["StreamName"]
        sent = iter(
            self._client.put_records(StreamName=stream, Records=keep)["Records"] if keep else []
        )
        merged = [o if o is not None else next(sent) for o in outcome]
        return {"FailedRecordCount": sum(1 for o in outcome if o), "Records": merged}


def _entries(n: int, size: int = 100) -> list[Entry]:
    return [Entry(f"{i:08d}".encode().ljust(size, b"x"), f"pk-{i % 37}", i) for i in range(n)]


def _stream(kinesis_client: Any, unique_name: str, shards: int = 2) -> str:
    KinesisProducer(kinesis_client, unique_name).ensure_stream(shards)
    return unique_name


# --- limits ------------------------------------------------------------------------------


def test_pack_batches_respects_count_and_byte_limits() -> None:
    small = list(pack_batches(_entries(1234)))
    assert [len(b) for b in small] == [500, 500, 234]
    big = list(pack_batches(_entries(300, size=60_000)))
    assert all(sum(e.size for e in b) <= MAX_BYTES_PER_CALL for b in big)
    assert all(len(b) <= 500 for b in big)
    assert len(big) == 4  # 87 entries of ~60 kB fill 5 MiB
    assert [e.tag for b in big for e in b] == list(range(300))  # order kept


def test_batcher_rejects_a_record_over_one_mib_with_its_partition_key() -> None:
    batcher = Batcher()
    with pytest.raises(RecordTooLargeError, match="'p1' is 1048577 bytes"):
        batcher.add(Entry(b"x" * (1024 * 1024 - 1), "p1"))


def test_requests_stay_within_limits_on_the_wire(
    kinesis_client: Any, unique_name: str, sim_read_stream: Callable[[str], list[dict]]  # type: ignore[type-arg]
) -> None:
    stream = _stream(kinesis_client, unique_name)
    client = Recording(kinesis_client)
    entries = _entries(1100) + _entries(180, size=40_000)
    result = KinesisProducer(client, stream, retry=FAST).send(entries)
    assert len(result.accepted) == 1280 and not result.rejected
    for request in client.requests:
        assert len(request) <= 500
        assert sum(len(r["Data"]) + len(r["PartitionKey"]) for r in request) <= 5 * 1024 * 1024
    assert len(client.requests) >= 4
    assert sorted(r["data"] for r in sim_read_stream(stream)) == sorted(e.data for e in entries)
    assert sum(result.per_shard.values()) == 1280 and len(result.per_shard) == 2


# --- retries -----------------------------------------------------------------------------


def test_partial_failures_resend_only_the_failed_entries(
    kinesis_client: Any, unique_name: str, sim_read_stream: Callable[[str], list[dict]]  # type: ignore[type-arg]
) -> None:
    stream = _stream(kinesis_client, unique_name)
    # every third entry fails twice before it is accepted
    client = Flaky(kinesis_client, lambda data, n: int(data[:8]) % 3 == 0 and n <= 2)
    entries = _entries(450)
    sleeps: list[float] = []
    result = KinesisProducer(client, stream, retry=FAST, sleep=sleeps.append).put(entries)
    assert len(result.accepted) == 450 and not result.rejected
    assert result.retried_records == 2 * 150
    assert [len(r) for r in client.requests] == [450, 150, 150]
    assert len(sleeps) == 2 and all(0 <= s <= 0.01 for s in sleeps)
    on_stream = sim_read_stream(stream)
    assert sorted(r["data"] for r in on_stream) == sorted(e.data for e in entries)  # each once
    by_data = {r["data"]: r for r in on_stream}
    for accepted in result.accepted:
        assert by_data[accepted.entry.data]["sequence_number"] == accepted.sequence_number
        assert by_data[accepted.entry.data]["shard_id"] == accepted.shard_id


def test_entries_failing_every_attempt_are_reported_not_lost(
    kinesis_client: Any, unique_name: str
) -> None:
    stream = _stream(kinesis_client, unique_name)
    client = Flaky(kinesis_client, lambda data, n: data.startswith(b"00000007"))
    result = KinesisProducer(client, stream, retry=FAST, sleep=lambda s: None).put(_entries(20))
    assert len(result.accepted) == 19
    assert [(r.entry.tag, r.error_code) for r in result.rejected] == [
        (7, "ProvisionedThroughputExceededException")
    ]
    assert client.attempts[_entries(20)[7].data] == FAST.max_attempts


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "LimitExceededException", "InternalFailure"]
)
def test_throttled_and_5xx_calls_are_retried_with_backoff(
    kinesis_client: Any, unique_name: str, code: str
) -> None:
    stream = _stream(kinesis_client, unique_name)
    client = Flaky(kinesis_client, lambda data, n: False, throttle_calls=3, throttle_code=code)
    sleeps: list[float] = []
    result = KinesisProducer(client, stream, retry=FAST, sleep=sleeps.append).put(_entries(10))
    assert len(result.accepted) == 10
    assert result.retried_calls == 3 and len(sleeps) == 3


def test_a_call_throttled_past_the_budget_rejects_its_entries_with_the_reason(
    kinesis_client: Any, unique_name: str
) -> None:
    stream = _stream(kinesis_client, unique_name)
    client = Flaky(kinesis_client, lambda data, n: False, throttle_calls=100)
    result = KinesisProducer(client, stream, retry=FAST, sleep=lambda s: None).put(_entries(10))
    assert not result.accepted and len(result.rejected) == 10
    assert isinstance(result.error, KinesisUnavailableError)
    assert "still failing after 5 attempts" in str(result.error)
    assert len(client.requests) == 5


def test_backoff_grows_exponentially_within_its_cap() -> None:
    import random

    policy = RetryPolicy(max_attempts=10, base_delay=0.1, max_delay=1.0)
    rng = random.Random(1)
    for retry, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert max(delays) <= cap and max(delays) > cap * 0.8


def test_a_missing_stream_is_a_terminal_error_naming_it(
    kinesis_client: Any, unique_name: str
) -> None:
    producer = KinesisProducer(kinesis_client, unique_name, retry=FAST)
    result = producer.put(_entries(3))
    assert isinstance(result.error, KinesisRequestError)
    assert result.error.code == "ResourceNotFoundException" and unique_name in str(result.error)


# --- stream set-up -----------------------------------------------------------------------


def test_ensure_stream_creates_once_with_the_shard_count(
    kinesis_client: Any, unique_name: str
) -> None:
    first = KinesisProducer(kinesis_client, unique_name).ensure_stream(3)
    assert first.created and first.shards == 3 and first.arn.endswith(unique_name)
    again = KinesisProducer(kinesis_client, unique_name).ensure_stream(5)
    assert not again.created and again.shards == 3
    summary = kinesis_client.describe_stream_summary(StreamName=unique_name)
    assert summary["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


def test_ensure_stream_waits_until_active(kinesis_client: Any, unique_name: str) -> None:
    statuses = iter([None, "CREATING", "CREATING", "ACTIVE"])

    class Creating(Recording):
        def describe_stream_summary(self, **kwargs: Any) -> Any:
            status = next(statuses)
            if status is None:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}},
                                  "DescribeStreamSummary")
            real = self._client.describe_stream_summary(**kwargs)
            real["StreamDescriptionSummary"]["StreamStatus"] = status
            return real

    sleeps: list[float] = []
    producer = KinesisProducer(Creating(kinesis_client), unique_name, sleep=sleeps.append)
    info = producer.ensure_stream(1)
    assert info.created and len(sleeps) == 2


# --- pacing ------------------------------------------------------------------------------


def test_token_bucket_paces_to_the_rate() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = TokenBucket(100.0, burst=10, clock=lambda: now[0], sleep=sleep)
    for _ in range(1000):
        bucket.acquire()
    assert now[0] == pytest.approx(999 / 100, rel=0.01)  # the first token is free
    unlimited = TokenBucket(0, clock=lambda: now[0], sleep=sleep)
    before = now[0]
    for _ in range(1000):
        unlimited.acquire()
    assert now[0] == before
