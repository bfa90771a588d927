"""INSERT INTO / INSERT OVERWRITE, MERGE and DELETE on Delta tables through the table store,
with the catalog entry refreshed and lineage recorded (every kind also runs on both lakes
and stores in test_matrix.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog.sql import SqlError, UnsupportedSqlError


@pytest.fixture(scope="module")
def dml(local_env: Any) -> dict[str, Any]:
    env = local_env
    db = env.unique_db("dml")
    env.run(f"""
        CREATE TABLE {db}.staging AS
          SELECT id, concat('n', CAST(id AS STRING)) AS name, CAST(id * 1.5 AS DOUBLE) AS score,
                 CASE WHEN id < 3 THEN 'a' ELSE 'b' END AS grp
          FROM range(6)
    """)
    env.put(f"raw/{db}/plain/x.csv", "1,x\n")
    env.raw_table(db, "plain", [("id", "int"), ("s", "string")], f"raw/{db}/plain", "csv")
    return {"env": env, "db": db}


def _new_target(env: Any, db: str, name: str) -> None:
    env.run(f"CREATE TABLE {db}.{name} WITH (partitioned_by = ARRAY['grp']) AS "
            f"SELECT id, name, score, grp FROM {db}.staging WHERE id < 4", dialect="athena")


def test_insert_into_by_position_and_by_column_list(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "ins")
    (result,) = env.run(f"INSERT INTO {db}.ins SELECT id, name, score, grp FROM {db}.staging WHERE id >= 4")
    assert result.rows == 1 and "inserted 2 rows" in (result.message or "")
    env.run(f"INSERT INTO {db}.ins (grp, id) VALUES ('c', 100)")
    assert env.tuples(f"SELECT id, name, score, grp FROM {db}.ins WHERE id >= 4 ORDER BY id") == [
        (4, "n4", 6.0, "b"), (5, "n5", 7.5, "b"), (100, None, None, "c")]
    lineage = json.loads(env.store.get_table(db, "ins").parameters["lakeforge.lineage"])
    assert lineage["statement"] == "INSERT" and lineage["version"] == 2


def test_insert_checks_columns(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "chk")
    with pytest.raises(SqlError, match=r"the query returns 2 columns but 4 are expected \(id, name, score, grp\)"):
        env.run(f"INSERT INTO {db}.chk SELECT id, name FROM {db}.staging")
    with pytest.raises(SqlError, match=r"unknown column\(s\) \['nope'\]"):
        env.run(f"INSERT INTO {db}.chk (nope) VALUES (1)")
    with pytest.raises(UnsupportedSqlError, match=r"it is a raw csv table; INSERT works on Delta tables"):
        env.run(f"INSERT INTO {db}.plain VALUES (2, 'y')")


def test_insert_overwrite_replaces_only_the_partitions_written(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "ovw")
    env.run(f"INSERT OVERWRITE TABLE {db}.ovw SELECT id + 10, name, score, grp FROM {db}.staging WHERE grp = 'b'")
    assert env.tuples(f"SELECT grp, collect_list(id) FROM (SELECT * FROM {db}.ovw ORDER BY id) GROUP BY grp "
                      "ORDER BY grp") == [("a", [0, 1, 2]), ("b", [13, 14, 15])]
    env.run(f"INSERT OVERWRITE TABLE {db}.ovw PARTITION (grp = 'a') SELECT 99, 'z', 0.0 FROM {db}.staging "
            "WHERE id = 0")
    assert env.tuples(f"SELECT grp, count(*), max(id) FROM {db}.ovw GROUP BY grp ORDER BY grp") == [
        ("a", 1, 99), ("b", 3, 15)]


def test_merge_upserts_with_update_star_and_insert_star(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "m1")
    (result,) = env.run(f"""
        MERGE INTO {db}.m1 AS t
        USING (SELECT id, upper(name) AS name, score * 2 AS score, grp FROM {db}.staging WHERE id >= 2) AS s
        ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *
    """)
    assert result.rows == 1 and "2 updated, 0 deleted, 2 inserted" in (result.message or "")
    assert env.tuples(f"SELECT id, name, score FROM {db}.m1 ORDER BY id") == [
        (0, "n0", 0.0), (1, "n1", 1.5), (2, "N2", 6.0), (3, "N3", 9.0), (4, "N4", 12.0), (5, "N5", 15.0)]
    sources = json.loads(env.store.get_table(db, "m1").parameters["lakeforge.lineage"])["sources"]
    assert {s["table"] for s in sources} == {f"{db}.m1", f"{db}.staging"}


def test_merge_with_explicit_set_values_and_delete(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "m2")
    env.run(f"""
        MERGE INTO {db}.m2 USING {db}.staging ON m2.id = staging.id
        WHEN MATCHED THEN UPDATE SET score = m2.score + 100
        WHEN NOT MATCHED THEN INSERT (id, grp, name) VALUES (staging.id, 'new', 'fresh')
    """)
    assert env.tuples(f"SELECT id, name, score, grp FROM {db}.m2 WHERE id IN (1, 5) ORDER BY id") == [
        (1, "n1", 101.5, "a"), (5, "fresh", None, "new")]
    env.run(f"MERGE INTO {db}.m2 t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE")
    assert env.tuples(f"SELECT count(*) FROM {db}.m2 WHERE id = 1") == [(0,)]


@pytest.mark.parametrize(("clause", "message"), [
    ("ON t.id > s.id WHEN MATCHED THEN DELETE", "ON must compare target and source columns with ="),
    ("ON t.id = s.id WHEN MATCHED AND s.score > 1 THEN DELETE", "WHEN MATCHED AND <condition>"),
    ("ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE", "WHEN NOT MATCHED BY SOURCE"),
])
def test_merge_rejects_unsupported_forms_clearly(dml: dict[str, Any], clause: str, message: str) -> None:
    env, db = dml["env"], dml["db"]
    with pytest.raises(UnsupportedSqlError, match=message):
        env.run(f"MERGE INTO {db}.staging t USING {db}.staging s {clause}")


def test_delete_where(dml: dict[str, Any]) -> None:
    env, db = dml["env"], dml["db"]
    _new_target(env, db, "del")
    (result,) = env.run(f"DELETE FROM {db}.del WHERE del.score >= 3 AND grp = 'a'")
    assert "deleted 1 rows" in (result.message or "")
    assert env.tuples(f"SELECT id FROM {db}.del ORDER BY id") == [(0,), (1,), (3,)]
    (none,) = env.run(f"DELETE FROM {db}.del WHERE id = 42")
    assert "nothing deleted" in (none.message or "")
    with pytest.raises(UnsupportedSqlError, match="DELETE … WHERE with a subquery"):
        env.run(f"DELETE FROM {db}.del WHERE id IN (SELECT id FROM {db}.staging)")
