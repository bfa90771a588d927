"""The shard lineage of a stream: which shards are closed and which may be read now.

A child shard (after a split or merge) may be read only once each of its parents has been
read to its end, so that per-key order is preserved. ``ListShards`` gives the lineage
(``ParentShardId``/``AdjacentParentShardId``) and, for closed shards, the
``EndingSequenceNumber``; moto's closed parents do not report ``ChildShards`` in
``GetRecords``, so the lineage never depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lake.stream.kinesis.positions import is_sequence, seq_ge

__all__ = ["ShardInfo", "finished_by_position", "parents_finished", "parse_shards"]


@dataclass(frozen=True)
class ShardInfo:
    """One shard as listed by ``ListShards``."""

    shard_id: str
    parents: tuple[str, ...]
    ending_sequence: str | None  # set once the shard is closed

    @property
    def closed(self) -> bool:
        return self.ending_sequence is not None


def parse_shards(listed: list[dict[str, Any]]) -> dict[str, ShardInfo]:
    """``ListShards`` output keyed by shard id (sorted, so iteration order is stable)."""
    shards: dict[str, ShardInfo] = {}
    for item in sorted(listed, key=lambda s: str(s["ShardId"])):
        parents = tuple(
            p for p in (item.get("ParentShardId"), item.get("AdjacentParentShardId")) if p
        )
        ending = item.get("SequenceNumberRange", {}).get("EndingSequenceNumber")
        shards[item["ShardId"]] = ShardInfo(str(item["ShardId"]), parents, ending)
    return shards


def finished_by_position(shard: ShardInfo, position: str | None) -> bool:
    """True when ``position`` already covers the closed ``shard`` up to its last record."""
    if not shard.closed or position is None:
        return False
    assert shard.ending_sequence is not None
    if is_sequence(position):
        return seq_ge(position, shard.ending_sequence)
    return False


def parents_finished(shard: ShardInfo, shards: Mapping[str, ShardInfo], finished: set[str]) -> bool:
    """True when every listed parent of ``shard`` is in ``finished`` (unlisted ones expired)."""
    return all(p in finished or p not in shards for p in shard.parents)
