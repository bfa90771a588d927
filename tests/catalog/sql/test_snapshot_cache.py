"""The engine reuses Delta snapshots across statements and never serves one stale: after a
write, an INSERT OVERWRITE, DROP TABLE … PURGE and a new table at the same location, or a
VACUUM of a version a statement time-travelled to before."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.sql import SqlError


def test_repeated_queries_reuse_the_snapshot_and_see_every_write(sql_env: Any) -> None:
    env = sql_env
    engine = env.new_engine()
    db = env.unique_db("snap")
    engine.execute(f"CREATE DATABASE {db}; CREATE TABLE {db}.t AS SELECT id FROM range(5)")
    snapshots = engine.cache.snapshots
    count = f"SELECT count(*) AS n FROM {db}.t"
    assert engine.query(count) == [{"n": 5}]
    hits = snapshots.hits
    assert engine.query(count) == [{"n": 5}] and snapshots.hits == hits + 1
    engine.execute(f"INSERT INTO {db}.t SELECT id FROM range(100, 103)")
    assert engine.query(count) == [{"n": 8}]
    engine.execute(f"INSERT OVERWRITE TABLE {db}.t SELECT 7")
    assert engine.query(f"SELECT id FROM {db}.t") == [{"id": 7}]
    assert engine.query(f"SELECT count(*) AS n FROM {db}.t VERSION AS OF 1") == [{"n": 8}]


def test_a_dropped_and_recreated_table_is_never_served_stale(sql_env: Any) -> None:
    env = sql_env
    engine = env.new_engine()
    db = env.unique_db("snap")
    engine.execute(f"CREATE DATABASE {db}; CREATE TABLE {db}.t AS SELECT id, 'old' AS tag FROM range(4)")
    query = f"SELECT tag, count(*) AS n FROM {db}.t GROUP BY tag"
    assert engine.query(query) == [{"tag": "old", "n": 4}]
    assert engine.query(f"SELECT count(*) AS n FROM {db}.t VERSION AS OF 0") == [{"n": 4}]
    (before,) = engine.execute(f"SELECT id FROM {db}.t")
    engine.execute(f"DROP TABLE {db}.t PURGE; CREATE TABLE {db}.t AS SELECT id, 'new' AS tag FROM range(2)")
    (after,) = engine.execute(f"SELECT id FROM {db}.t")
    assert before.sources == after.sources  # same location, same version 0: only the table id differs
    assert engine.query(query) == [{"tag": "new", "n": 2}]
    assert engine.query(f"SELECT tag, count(*) AS n FROM {db}.t VERSION AS OF 0 GROUP BY tag") == [
        {"tag": "new", "n": 2}]


def test_time_travel_to_a_version_vacuumed_since_it_was_read_fails(sql_env: Any) -> None:
    env = sql_env
    engine = env.new_engine()
    db = env.unique_db("snap")
    engine.execute(f"CREATE DATABASE {db}; CREATE TABLE {db}.t AS SELECT id FROM range(6)")
    engine.execute(f"INSERT OVERWRITE TABLE {db}.t SELECT 1")
    old = f"SELECT count(*) AS n FROM {db}.t VERSION AS OF 0"
    assert engine.query(old) == [{"n": 6}]
    (location,) = [s["location"] for s in engine.execute(f"SELECT * FROM {db}.t")[0].sources]
    env.delta.vacuum(location, retain_hours=0, force=True)
    with pytest.raises(SqlError, match="removed by VACUUM"):
        engine.query(old)
    assert engine.query(f"SELECT count(*) AS n FROM {db}.t") == [{"n": 1}]
