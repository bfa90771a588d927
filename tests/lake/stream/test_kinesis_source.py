"""The kinesis stream reader driven directly (no Spark): offsets, limits, replay, resharding.

Each test plays Spark's part: ``initialOffset`` → ``latestOffset(start, limit)`` →
``partitions`` → ``read`` → ``commit``, against a real moto server over HTTP.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pyspark.sql.streaming.datasource import ReadAllAvailable, ReadLimit, ReadMaxRows

from lake.stream.kinesis import (
    CheckpointMismatchError,
    KinesisOptions,
    KinesisPartition,
    KinesisStreamNotFoundError,
    KinesisStreamReader,
)

pytestmark = pytest.mark.moto


@dataclass
class Batch:
    start: dict[str, str]
    end: dict[str, str]
    rows: list[dict[str, Any]]
    cached: bool = False  # every partition carried the driver's read-ahead


def _reader(options: dict[str, str]) -> KinesisStreamReader:
    return KinesisStreamReader(KinesisOptions.from_options(options))


def _read(reader: KinesisStreamReader, parts: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in parts:
        for batch in reader.read(part):
            rows.extend(batch.to_pylist())
    return rows


def _drain(
    reader: KinesisStreamReader,
    limit: ReadLimit,
    start: dict[str, str] | None = None,
    max_batches: int = 100,
) -> tuple[list[Batch], dict[str, str]]:
    """Run micro-batches until the source reports no new offsets."""
    start = start if start is not None else reader.initialOffset()
    batches: list[Batch] = []
    for _ in range(max_batches):
        end = reader.latestOffset(start, limit)
        if end == start:
            return batches, start
        parts = reader.partitions(start, end)
        rows = _read(reader, parts)
        reader.commit(end)
        batches.append(Batch(start, end, rows, all(p.payload is not None for p in parts)))
        start = end
    raise AssertionError("the source never caught up")


def _payloads(count: int, prefix: str = "r", keys: int = 16) -> list[tuple[str, bytes]]:
    return [(f"k{i % keys}", f'{{"id":"{prefix}{i}","n":{i}}}'.encode()) for i in range(count)]


def _ids(batches: list[Batch]) -> list[str]:
    import json

    return [json.loads(r["data"])["id"] for b in batches for r in b.rows]


def test_every_record_is_read_once_in_bounded_batches(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(250))
    reader = _reader(kinesis_options_for(stream, max_records_per_trigger=60))
    assert reader.getDefaultReadLimit() == ReadMaxRows(60)
    batches, end = _drain(reader, ReadMaxRows(60))
    ids = _ids(batches)
    assert sorted(ids) == sorted(f"r{i}" for i in range(250))
    assert all(len(b.rows) <= 60 for b in batches)
    assert all(b.cached for b in batches)  # read once: the driver's read-ahead is reused
    assert len(batches) >= 5
    # Offsets hold {shardId: last sequence number}; per shard, reads are in sequence order.
    assert set(end["shards"]) == {"shardId-000000000000", "shardId-000000000001"}
    for shard, last in end["shards"].items():
        seqs = [int(r["sequence_number"]) for b in batches for r in b.rows if r["shard_id"] == shard]
        assert seqs == sorted(seqs) and str(seqs[-1]) == last


def test_the_initial_offset_names_every_shard(
    kinesis_stream: Callable[..., str],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(3)
    reader = _reader(kinesis_options_for(stream))
    assert reader.initialOffset()["shards"] == {f"shardId-00000000000{i}": "TRIM_HORIZON" for i in range(3)}
    assert reader.latestOffset(reader.initialOffset(), ReadAllAvailable()) == reader.initialOffset()


def test_rows_carry_kinesis_metadata(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(1)
    kinesis_put(stream, [("key-1", b'{"a":1}')])
    batches, _ = _drain(_reader(kinesis_options_for(stream)), ReadAllAvailable())
    (row,) = batches[0].rows
    assert row["data"] == b'{"a":1}'
    assert (row["stream"], row["shard_id"], row["sequence_number"], row["partition_key"]) == (
        stream,
        "shardId-000000000000",
        "1",
        "key-1",
    )
    assert abs(row["approximate_arrival_timestamp"].timestamp() - time.time()) < 60
    assert row["millis_behind_latest"] == 0


def test_a_replayed_batch_rereads_exactly_the_same_records(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(120))
    first = _reader(kinesis_options_for(stream, max_records_per_trigger=50))
    batches, _ = _drain(first, ReadMaxRows(50), max_batches=100)
    second = batches[1]
    kinesis_put(stream, _payloads(30, prefix="later"))

    fresh = _reader(kinesis_options_for(stream))  # a restarted driver: nothing cached
    parts = fresh.partitions(second.start, second.end)
    assert parts and all(isinstance(p, KinesisPartition) and p.payload is None for p in parts)
    replayed = _read(fresh, parts)
    key = lambda r: (r["shard_id"], int(r["sequence_number"]))  # noqa: E731
    assert [(key(r), r["data"]) for r in sorted(replayed, key=key)] == [
        (key(r), r["data"]) for r in sorted(second.rows, key=key)
    ]


def test_latest_reads_only_records_put_after_the_start(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(40, prefix="old"))
    reader = _reader(kinesis_options_for(stream, starting_position="latest"))
    start = reader.initialOffset()
    assert set(start["shards"].values()) == {"LATEST"}
    first_end = reader.latestOffset(start, ReadAllAvailable())
    assert all(v.startswith("AT_TIMESTAMP:") for v in first_end["shards"].values())
    assert reader.partitions(start, first_end) == []  # resolving LATEST reads nothing
    time.sleep(0.05)
    kinesis_put(stream, _payloads(25, prefix="new"))
    batches, _ = _drain(reader, ReadAllAvailable(), start=first_end)
    assert sorted(_ids(batches)) == sorted(f"new{i}" for i in range(25))


def test_at_timestamp_starts_at_the_given_time(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(30, prefix="before"))
    time.sleep(0.05)
    boundary = int(time.time() * 1000)
    time.sleep(0.05)
    kinesis_put(stream, _payloads(20, prefix="after"))
    reader = _reader(kinesis_options_for(stream, starting_position="at_timestamp", starting_timestamp=boundary))
    batches, _ = _drain(reader, ReadAllAvailable())
    assert sorted(_ids(batches)) == sorted(f"after{i}" for i in range(20))


def test_available_now_stops_at_the_records_present_when_it_began(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(70, prefix="now"))
    reader = _reader(kinesis_options_for(stream, max_records_per_trigger=20))
    start = reader.initialOffset()
    time.sleep(0.01)
    reader.prepareForTriggerAvailableNow()
    time.sleep(0.05)
    kinesis_put(stream, _payloads(30, prefix="later"))
    batches, _ = _drain(reader, ReadMaxRows(20), start=start)
    assert sorted(_ids(batches)) == sorted(f"now{i}" for i in range(70))


def test_a_range_past_the_shard_end_is_a_checkpoint_mismatch_not_silence(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    # Records expired before they were read are KinesisDataLossError: test_checkpoint_identity.py.
    stream = kinesis_stream(1)
    kinesis_put(stream, _payloads(5))
    reader = _reader(kinesis_options_for(stream))
    part = KinesisPartition("shardId-000000000000", "TRIM_HORIZON", "999")
    ends = r"shardId-000000000000 ends at 5, before the checkpoint's position 999"
    with pytest.raises(CheckpointMismatchError, match=ends):
        list(reader.read(part))


def test_a_missing_stream_fails_with_its_name(
    kinesis_options_for: Callable[..., dict[str, str]], unique_name: str
) -> None:
    reader = _reader(kinesis_options_for(f"{unique_name}-nope"))
    with pytest.raises(KinesisStreamNotFoundError, match=f"{unique_name}-nope"):
        reader.initialOffset()


def test_resharding_loses_and_duplicates_nothing_and_reads_parents_first(
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
    kinesis_aws_client: Any,
    kinesis_aws_endpoint: str,
) -> None:
    import json

    client = kinesis_aws_client
    stream = kinesis_stream(2, client=client)
    reader = _reader(kinesis_options_for(stream, endpoint=kinesis_aws_endpoint, max_records_per_trigger=40))
    records = _payloads(300, keys=24)
    kinesis_put(stream, records[:100], client=client)
    start = reader.initialOffset()
    end = reader.latestOffset(start, ReadMaxRows(40))  # read part of the parents only
    batches = [Batch(start, end, _read(reader, reader.partitions(start, end)))]
    start = end
    assert len(batches[0].rows) == 40

    client.update_shard_count(StreamName=stream, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    kinesis_put(stream, records[100:200], client=client)
    more, start = _drain(reader, ReadMaxRows(40), start=start)
    batches += more
    client.update_shard_count(StreamName=stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    kinesis_put(stream, records[200:], client=client)
    more, end = _drain(reader, ReadMaxRows(40), start=start)
    batches += more

    ids = _ids(batches)
    assert len(ids) == len(set(ids)) == 300
    shards = {s["ShardId"]: s for s in client.list_shards(StreamName=stream)["Shards"]}
    assert len(shards) == 2 + 4 + 2 and set(end["shards"]) == set(shards)
    by_shard = Counter(r["shard_id"] for b in batches for r in b.rows)
    children = [s for s, info in shards.items() if info.get("ParentShardId")]
    assert len(children) == 6 and all(by_shard[s] > 0 for s in children)

    # A child's first records come in a later batch than its parents' last ones.
    def batches_of(shard: str) -> list[int]:
        return [i for i, b in enumerate(batches) if any(r["shard_id"] == shard for r in b.rows)]

    for shard, info in shards.items():
        parents = [p for p in (info.get("ParentShardId"), info.get("AdjacentParentShardId")) if p]
        mine = batches_of(shard)
        for parent in parents:
            theirs = batches_of(parent)
            if mine and theirs:
                assert min(mine) > max(theirs), (shard, parent)

    # Per partition key, records arrive in the order they were produced.
    seen: dict[str, int] = {}
    for batch in batches:
        for row in sorted(batch.rows, key=lambda r: (r["shard_id"], int(r["sequence_number"]))):
            n = json.loads(row["data"])["n"]
            assert n > seen.get(row["partition_key"], -1)
            seen[row["partition_key"]] = n
