"""Per-shard positions as stored in the offset JSON, and the iterators they start.

A position is either the last sequence number read from the shard (decimal digits) or a
symbolic start that has read nothing yet: ``TRIM_HORIZON``, ``LATEST`` or
``AT_TIMESTAMP:<epoch ms>``. Sequence numbers are compared as integers within one shard
and never across shards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = [
    "LATEST",
    "TRIM_HORIZON",
    "at_timestamp",
    "initial_position",
    "is_sequence",
    "iterator_args",
    "seq_ge",
]

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
_AT = "AT_TIMESTAMP:"


def at_timestamp(epoch_ms: int) -> str:
    return f"{_AT}{int(epoch_ms)}"


def is_sequence(position: str | None) -> bool:
    return bool(position) and str(position).isdigit()


def seq_ge(a: str, b: str) -> bool:
    """``a >= b`` for two sequence numbers of the same shard."""
    return int(a) >= int(b)


def initial_position(starting_position: str, starting_timestamp_ms: int | None) -> str:
    """The position every shard starts from for a ``startingPosition`` option."""
    if starting_position == "latest":
        return LATEST
    if starting_position == "at_timestamp":
        assert starting_timestamp_ms is not None
        return at_timestamp(starting_timestamp_ms)
    return TRIM_HORIZON


def iterator_args(position: str) -> dict[str, Any]:
    """``GetShardIterator`` arguments that start right after ``position``."""
    if is_sequence(position):
        return {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": position}
    if position == TRIM_HORIZON:
        return {"ShardIteratorType": "TRIM_HORIZON"}
    if position == LATEST:
        return {"ShardIteratorType": "LATEST"}
    if position.startswith(_AT):
        moment = datetime.fromtimestamp(int(position[len(_AT):]) / 1000, tz=UTC)
        return {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": moment}
    raise ValueError(f"not a shard position: {position!r}")
