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

__all__ = [
    "ShardInfo",
    "checkpoint_shard_problem",
    "finished_by_position",
    "parents_finished",
    "parse_shards",
]


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


def checkpoint_shard_problem(
    positions: Mapping[str, str],
    finished: frozenset[str],
    shards: Mapping[str, ShardInfo],
    *,
    legacy: bool = False,
) -> str | None:
    """Why checkpointed ``positions`` cannot belong to the listed ``shards`` (``None``: they can).

    A checkpointed shard may be missing only when it is a closed shard the checkpoint read
    to its end (it expired since); for a ``legacy`` checkpoint, which did not record that, a
    missing shard must at least be a parent of a listed one. A closed shard cannot hold a
    position past its ``EndingSequenceNumber``.
    """
    for sid, position in sorted(positions.items()):
        info = shards.get(sid)
        if info is None:
            if sid in finished:
                continue
            if legacy and any(sid in other.parents for other in shards.values()):
                continue
            return (
                f"shard {sid} (checkpoint position {position}) is not in the stream and was not "
                "read to its end"
            )
        ending = info.ending_sequence
        if ending is not None and is_sequence(position) and int(position) > int(ending):
            return (
                f"shard {sid} ends at sequence {ending}, before the checkpoint's position "
                f"{position}"
            )
    return None
