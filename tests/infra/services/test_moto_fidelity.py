"""The moto patches: resharding and routing like Kinesis, constant-time shard access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.kinesis.models import Shard, Stream

from infra.services.moto_fidelity import patch_moto_performance, patch_moto_resharding, unpatch_moto


@pytest.fixture
def patched() -> Iterator[None]:
    patch_moto_resharding()
    patch_moto_performance()
    yield
    unpatch_moto()


def _stream(shards: int) -> Stream:
    return Stream("s", shards, None, None, "123456789012", "us-east-1")


def _put(stream: Stream, count: int, tag: str) -> list[str]:
    return [stream.put_record(f"key-{i}", "", f"{tag}{i}")[1] for i in range(count)]


def _data(shard: Any) -> list[str]:
    return [r.data for r in shard.records.values()]


def test_a_split_parent_keeps_its_records_and_children_take_new_ones(patched: None) -> None:
    stream = _stream(1)
    _put(stream, 20, "a")
    before = _data(stream.shards["shardId-000000000000"])
    stream.update_shard_count(2)
    parent = stream.shards["shardId-000000000000"]
    assert _data(parent) == before and not parent.is_open
    assert parent.to_json()["SequenceNumberRange"]["EndingSequenceNumber"] == "20"
    children = [s for s in stream.shards.values() if s.parent == parent.shard_id]
    assert len(children) == 2 and all(not s.records for s in children)
    landed = set(_put(stream, 30, "b"))
    assert landed == {c.shard_id for c in children}
    assert len(_data(parent)) == 20


def test_a_merged_child_starts_empty(patched: None) -> None:
    stream = _stream(2)
    _put(stream, 20, "a")
    stream.update_shard_count(1)
    merged = [s for s in stream.shards.values() if s.is_open]
    assert len(merged) == 1 and not merged[0].records
    assert merged[0].parent and merged[0].adjacent_parent


def test_fast_reads_match_motos_scans(patched: None) -> None:
    shard = Shard(0, 0, 2**128 - 1)
    for i in range(50):
        shard.put_record(f"k{i}", f"d{i}", "")
    from infra.services.moto_fidelity import _ORIGINALS

    scan = _ORIGINALS[(Shard, "get_records")]
    for last, limit in [("0", None), ("0", 10), ("25", 10), ("49", 5), ("50", 5), ("60", 1)]:
        fast = shard.get_records(last, limit)
        slow = scan(shard, last, limit)
        assert [r.sequence_number for r in fast[0]] == [r.sequence_number for r in slow[0]]
        assert fast[1] == slow[1]
    assert (shard.get_min_sequence_number(), shard.get_max_sequence_number()) == (1, 50)
