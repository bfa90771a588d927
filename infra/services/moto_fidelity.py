"""Make moto's Kinesis behave like Kinesis where our tests and benchmarks depend on it.

Resharding — moto 5.2.5 *moves* a split parent's records into its children (re-putting
them with new sequence numbers and leaving the parent empty), *copies* both merged
parents' records into the merged child, and keeps routing new records to closed parents
(the first shard whose hash range matches wins). Kinesis does none of this: a closed
parent keeps its records until they expire, takes no new ones, and its children start
empty. Under moto a consumer that already read part of a parent would get those records
again with no way to tell. :func:`patch_moto_resharding` fixes that.

Speed — moto lists every key of a shard on each put and scans a shard from its first
record on each ``GetRecords``, so a shard slows down as it grows (≈ 2,500 puts/s at 12k
records per shard). :func:`patch_moto_performance` makes both constant-time.

The patches change the moto classes of *this* process: apply them in the process that
runs the moto server (``infra.services.moto_server``, started by ``lake up`` or :func:`infra.services.moto.spawn_moto`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "moto_resharding_like_kinesis",
    "patch_moto_performance",
    "patch_moto_resharding",
    "unpatch_moto",
]

_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}


def _replace(cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    if (cls, name) in _ORIGINALS:
        return
    original = getattr(cls, name)
    _ORIGINALS[(cls, name)] = original
    setattr(cls, name, make(original))


def _keeping_records(*shard_args: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def patched(stream: Any, *args: Any) -> Any:
            shards = [stream.shards.get(args[i]) for i in shard_args]
            saved = [(s, s.records) for s in shards if s is not None]
            for shard, _ in saved:
                shard.records = OrderedDict()  # nothing for moto to move or copy
            try:
                return original(stream, *args)
            finally:
                for shard, records in saved:
                    shard.records = records

        return patched

    return make


def _open_shards_only(original: Callable[..., Any]) -> Callable[..., Any]:
    def patched(stream: Any, partition_key: str, explicit_hash_key: str | None) -> Any:
        shard = original(stream, partition_key, explicit_hash_key)  # validates the key
        if shard is None or shard.is_open:
            return shard
        if explicit_hash_key:
            key = int(explicit_hash_key)
        else:
            key = int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)
        for candidate in stream.shards.values():
            if candidate.is_open and candidate.starting_hash <= key <= candidate.ending_hash:
                return candidate
        return shard

    return patched


def patch_moto_resharding() -> None:
    """Split/merge keep records where Kinesis keeps them; closed shards take no puts."""
    from moto.kinesis.models import Stream

    _replace(Stream, "split_shard", _keeping_records(0))
    _replace(Stream, "merge_shards", _keeping_records(0, 1))
    _replace(Stream, "get_shard_for_key", _open_shards_only)


def _fast_get_records(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_records(shard: Any, last_sequence_id: str, limit: int | None) -> Any:
        records = shard.records
        if not records:
            return [], int(last_sequence_id), 0
        first, last = next(iter(records)), next(reversed(records))
        if last - first + 1 != len(records):  # not consecutive: moto's own scan
            return original(shard, last_sequence_id, limit)
        start = max(int(last_sequence_id) + 1, first)
        stop = last if limit is None else min(last, start + limit - 1)
        results = [records[seq] for seq in range(start, stop + 1)]
        if not results:
            return [], int(last_sequence_id), 0
        behind = records[last].created_at - results[-1].created_at
        return results, results[-1].sequence_number, int(behind * 1000)

    return get_records


def patch_moto_performance() -> None:
    """Constant-time puts and ``GetRecords`` per shard (moto's shard keys are 1, 2, 3, …)."""
    from moto.kinesis.models import Shard

    _replace(Shard, "get_records", _fast_get_records)
    _replace(Shard, "get_max_sequence_number",
             lambda _: lambda s: next(reversed(s.records)) if s.records else 0)
    _replace(Shard, "get_min_sequence_number",
             lambda _: lambda s: next(iter(s.records)) if s.records else 0)


def unpatch_moto() -> None:
    """Undo every patch of this module."""
    for (cls, name), original in _ORIGINALS.items():
        setattr(cls, name, original)
    _ORIGINALS.clear()


@contextmanager
def moto_resharding_like_kinesis() -> Iterator[None]:
    """Within the block, moto reshards like Kinesis (for in-process moto servers)."""
    already = bool(_ORIGINALS)
    patch_moto_resharding()
    try:
        yield
    finally:
        if not already:
            unpatch_moto()
