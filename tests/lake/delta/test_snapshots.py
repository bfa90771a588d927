"""The snapshot cache: reused while the log is unchanged, never stale after a commit, an
overwrite, a drop and re-create at the same location, or a VACUUM of a time-travelled version."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from lake.delta import TableNotFoundError, VersionNotFoundError, VersionVacuumedError
from lake.delta.snapshots import SnapshotCache, latest_version


def _rows(dt: Any) -> int:
    """Rows in the snapshot, from the log's per-file record counts."""
    return sum(pa.table(dt.get_add_actions(flatten=True)).column("num_records").to_pylist())


def _recreate(store: Any, events: Any, table: str, *batches: tuple[int, int]) -> None:
    """Drop the table (its log and data files) and write a new one at the same location."""
    store.purge(table)
    for i, (start, n) in enumerate(batches):
        store.write(events(start, n), table, mode="create" if i == 0 else "append")


def test_latest_snapshot_is_reused_until_a_commit(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    cache = SnapshotCache(lake)
    first = cache.snapshot("t")
    assert cache.snapshot("t") is first and (cache.opens, cache.hits) == (1, 1)
    store.write(events(30, 20), "t")
    after = cache.snapshot("t")
    assert after.version() == 1 and _rows(after) == 50
    assert cache.snapshot("t") is after and cache.opens == 2


def test_overwrite_is_seen(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    cache = SnapshotCache(lake)
    assert _rows(cache.snapshot("t")) == 30
    store.write(events(100, 7), "t", mode="overwrite")
    latest = cache.snapshot("t")
    assert latest.version() == 1 and _rows(latest) == 7


def test_recreated_table_at_the_same_version_is_not_served_stale(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    cache = SnapshotCache(lake)
    old = cache.snapshot("t")
    _recreate(store, events, "t", (0, 5))  # a new table id, version 0 again
    new = cache.snapshot("t")
    assert new.version() == 0 and _rows(new) == 5
    assert new.metadata().id != old.metadata().id


def test_recreated_table_at_a_lower_version_is_not_served_stale(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    store.write(events(30, 30), "t")
    cache = SnapshotCache(lake)
    assert cache.snapshot("t").version() == 1
    _recreate(store, events, "t", (0, 4))
    new = cache.snapshot("t")
    assert new.version() == 0 and _rows(new) == 4


def test_recreated_table_past_the_cached_version_is_not_mixed_with_the_old_one(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    cache = SnapshotCache(lake)
    old = cache.snapshot("t")
    _recreate(store, events, "t", (0, 3), (3, 3), (6, 3))  # versions 0..2 of a new table
    new = cache.snapshot("t")
    assert new.version() == 2 and _rows(new) == 9 and new.metadata().id != old.metadata().id


def test_time_travel_is_cached_per_table_identity(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    store.write(events(30, 30), "t")
    cache = SnapshotCache(lake)
    v0 = cache.snapshot("t", version=0)
    assert _rows(v0) == 30 and cache.snapshot("t", version=0) is v0
    _recreate(store, events, "t", (0, 2), (2, 2))
    again = cache.snapshot("t", version=0)
    assert _rows(again) == 2 and again.metadata().id != v0.metadata().id


def test_time_travel_is_keyed_by_table_id_after_the_latest_was_evicted(store, events, lake) -> None:
    store.write(events(0, 30), "a")
    store.write(events(30, 30), "a")
    store.write(events(0, 1), "b")
    cache = SnapshotCache(lake, tables=1)
    assert _rows(cache.snapshot("a", version=0)) == 30
    cache.snapshot("b")  # evicts a's latest snapshot, not its version 0
    _recreate(store, events, "a", (0, 2), (2, 2))
    assert _rows(cache.snapshot("a", version=0)) == 2


def test_time_travel_to_a_version_vacuumed_after_it_was_cached_fails(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    store.write(events(100, 10), "t", mode="overwrite")
    cache = SnapshotCache(lake)
    assert _rows(cache.snapshot("t", version=0)) == 30
    store.vacuum("t", retain_hours=0, force=True)
    with pytest.raises(VersionVacuumedError):
        cache.snapshot("t", version=0)
    assert _rows(cache.snapshot("t")) == 10


def test_missing_table_and_version_are_clear_errors(store, events, lake) -> None:
    cache = SnapshotCache(lake)
    with pytest.raises(TableNotFoundError):
        cache.snapshot("nope")
    store.write(events(0, 10), "t")
    with pytest.raises(VersionNotFoundError, match="has no version 5"):
        cache.snapshot("t", version=5)
    store.purge("t")
    with pytest.raises(TableNotFoundError):
        cache.snapshot("t")


def test_latest_version_probes_past_checkpoints(store, events, lake, delta_rs) -> None:
    for i in range(6):
        store.write(events(i * 5, 5), "t")
    delta_rs(store.uri("t")).create_checkpoint()  # version 5; later commits are found from it
    store.write(events(30, 5), "t")
    fs, log = lake.filesystem(), lake.fs_path(store.uri("t")).rstrip("/") + "/_delta_log"
    assert latest_version(fs, log) == 6
    assert latest_version(fs, log, known=2) == 6
    assert latest_version(fs, lake.fs_path(store.uri("none")) + "/_delta_log") is None
