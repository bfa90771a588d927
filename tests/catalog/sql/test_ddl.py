"""Views and tables: CREATE [OR REPLACE] VIEW, views of views, CTAS with partitioning and
lineage, CREATE TABLE, DROP TABLE [PURGE], databases (every kind also runs on both lakes and
stores in test_matrix.py)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.fs as pafs
import pytest

from catalog.model import TableType
from catalog.sql import SqlError, UnsupportedSqlError, ViewError


@pytest.fixture(scope="module")
def base(local_env: Any) -> dict[str, Any]:
    env = local_env
    db = env.unique_db("ddl")
    df = env.spark.createDataFrame(
        [(i, f"c{i % 2}", i * 10, f"2024-01-0{i % 2 + 1}") for i in range(6)],
        "id long, cat string, amount long, day string",
    )
    uri = env.delta_table(db, "src", df, ["day"])
    return {"env": env, "db": db, "uri": uri}


def test_view_is_stored_as_virtual_view_with_original_and_expanded_text(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"USE {db}; CREATE VIEW {db}.by_cat AS SELECT cat, sum(amount) AS total FROM src GROUP BY cat")
    view = env.store.get_table(db, "by_cat")
    assert view.table_type == TableType.VIRTUAL_VIEW
    assert view.view_original_text == "SELECT cat, sum(amount) AS total FROM src GROUP BY cat"
    assert f"FROM {db}.src" in (view.view_expanded_text or "")
    assert [(c.name, c.type) for c in view.columns] == [("cat", "string"), ("total", "bigint")]
    assert json.loads(view.parameters["lakeforge.view.sources"]) == [f"{db}.src"]
    env.engine.database = "default"
    assert env.tuples(f"SELECT * FROM {db}.by_cat ORDER BY cat") == [("c0", 60), ("c1", 90)]


def test_views_of_views_with_ctes_subqueries_and_joins(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"""
        CREATE VIEW {db}.v_base AS SELECT id, cat, amount FROM {db}.src WHERE amount > 0;
        CREATE VIEW {db}.v_top AS
          WITH ranked AS (SELECT *, rank() OVER (PARTITION BY cat ORDER BY amount DESC) AS r FROM {db}.v_base)
          SELECT r.cat, r.id, t.total FROM ranked r
          JOIN (SELECT cat, sum(amount) AS total FROM {db}.v_base GROUP BY cat) t ON r.cat = t.cat
          WHERE r.r = 1
    """)
    assert env.tuples(f"SELECT * FROM {db}.v_top ORDER BY cat") == [("c0", 4, 60), ("c1", 5, 90)]
    (result,) = env.run(f"SELECT count(*) FROM {db}.v_top")
    assert {s["table"] for s in result.sources} == {f"{db}.v_top", f"{db}.v_base", f"{db}.src"}


def test_create_or_replace_if_not_exists_and_drop_view(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE VIEW {db}.v1 AS SELECT 1 AS x")
    with pytest.raises(SqlError, match="already exists; use CREATE OR REPLACE VIEW"):
        env.run(f"CREATE VIEW {db}.v1 AS SELECT 2 AS x")
    (kept,) = env.run(f"CREATE VIEW IF NOT EXISTS {db}.v1 AS SELECT 2 AS x")
    assert kept.message and "unchanged" in kept.message
    env.run(f"CREATE OR REPLACE VIEW {db}.v1 AS SELECT 3 AS x")
    assert env.tuples(f"SELECT x FROM {db}.v1") == [(3,)]
    env.run(f"DROP VIEW {db}.v1")
    assert not env.store.table_exists(db, "v1")
    env.run(f"DROP VIEW IF EXISTS {db}.v1")
    with pytest.raises(SqlError, match="is a table, not a view; use DROP TABLE"):
        env.run(f"DROP VIEW {db}.src")


def test_view_follows_or_names_a_changed_source_column(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE TABLE {db}.changing AS SELECT id, amount FROM {db}.src")
    env.run(f"CREATE VIEW {db}.all_cols AS SELECT * FROM {db}.changing; "
            f"CREATE VIEW {db}.named AS SELECT id, amount FROM {db}.changing")
    env.run(f"CREATE OR REPLACE TABLE {db}.changing AS SELECT id, amount AS amount_eur, 'x' AS note FROM {db}.src")
    assert env.rows(f"SELECT * FROM {db}.all_cols WHERE id = 1") == [{"id": 1, "amount_eur": 10, "note": "x"}]
    with pytest.raises(ViewError, match=rf"view {db}.named: no longer resolves: column 'amount' .*amount_eur"):
        env.run(f"SELECT * FROM {db}.named")


def test_view_cycles_are_refused(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE VIEW {db}.ca AS SELECT id FROM {db}.src; CREATE VIEW {db}.cb AS SELECT id FROM {db}.ca")
    with pytest.raises(ViewError, match="would depend on itself"):
        env.run(f"CREATE OR REPLACE VIEW {db}.ca AS SELECT id FROM {db}.cb")


def test_ctas_with_athena_properties_writes_a_partitioned_delta_table_with_lineage(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    (result,) = env.run(
        f"CREATE TABLE {db}.daily WITH (partitioned_by = ARRAY['day'], format = 'delta') AS "
        f"SELECT day, cat, sum(amount) AS total FROM {db}.src GROUP BY day, cat", dialect="athena")
    assert result.rows == 1 and "created table" in (result.message or "")
    table = env.store.get_table(db, "daily")
    assert table.location == env.profile.resolve(f"warehouse/{db}/daily")
    assert [k.name for k in table.partition_keys] == ["day"]
    assert [c.name for c in table.columns] == ["cat", "total"]  # partition columns last
    lineage = json.loads(table.parameters["lakeforge.lineage"])
    assert lineage["sources"] == [{"kind": "delta", "location": base["uri"], "table": f"{db}.src", "version": 0}]
    assert lineage["statement"] == "CREATE_TABLE_AS" and lineage["version"] == 0
    commit = env.delta.history(table.location)[0]
    assert json.loads(commit["lakeforge.sources"])[0]["table"] == f"{db}.src"
    assert env.tuples(f"SELECT day, sum(total) FROM {db}.daily GROUP BY day ORDER BY day") == [
        ("2024-01-01", 60), ("2024-01-02", 90)]


def test_ctas_in_spark_syntax_and_create_or_replace(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE TABLE {db}.s AS SELECT id, cat FROM {db}.src WHERE id < 2")
    with pytest.raises(SqlError, match="already exists; use CREATE OR REPLACE TABLE"):
        env.run(f"CREATE TABLE {db}.s AS SELECT 1 AS id")
    env.run(f"CREATE OR REPLACE TABLE {db}.s USING delta PARTITIONED BY (cat) AS SELECT id, cat FROM {db}.src")
    table = env.store.get_table(db, "s")
    assert [k.name for k in table.partition_keys] == ["cat"]
    assert env.tuples(f"SELECT cat, count(*) FROM {db}.s GROUP BY cat ORDER BY cat") == [("c0", 3), ("c1", 3)]
    env.run(f"CREATE OR REPLACE TABLE {db}.s USING delta PARTITIONED BY (cat) AS SELECT id, cat FROM {db}.src "
            "WHERE id > 3")
    assert env.tuples(f"SELECT id FROM {db}.s ORDER BY id") == [(4,), (5,)]
    assert env.tuples(f"SELECT count(*) FROM {db}.s VERSION AS OF 0") == [(6,)]  # same partitioning: history kept


def test_ctas_refuses_formats_other_than_delta(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    with pytest.raises(UnsupportedSqlError, match="table format 'parquet'"):
        env.run(f"CREATE TABLE {db}.p WITH (format = 'parquet') AS SELECT 1 AS x", dialect="athena")
    with pytest.raises(SqlError, match=r"partition column\(s\) \['nope'\]"):
        env.run(f"CREATE TABLE {db}.p WITH (partitioned_by = ARRAY['nope']) AS SELECT 1 AS x", dialect="athena")


def test_create_table_with_columns_then_insert(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE TABLE {db}.empty (id BIGINT, label STRING, day DATE) USING delta PARTITIONED BY (day)")
    assert env.tuples(f"SELECT count(*) FROM {db}.empty") == [(0,)]
    env.run(f"INSERT INTO {db}.empty VALUES (1, 'a', DATE '2024-02-01')")
    assert env.tuples(f"SELECT id, label, day FROM {db}.empty") == [(1, "a", __import__("datetime").date(2024, 2, 1))]


def test_drop_table_keeps_data_and_purge_deletes_it(base: dict[str, Any]) -> None:
    env, db = base["env"], base["db"]
    env.run(f"CREATE TABLE {db}.keep AS SELECT 1 AS x; CREATE TABLE {db}.gone AS SELECT 1 AS x")
    keep, gone = (env.store.get_table(db, n).location for n in ("keep", "gone"))
    fs = env.profile.filesystem()
    env.run(f"DROP TABLE {db}.keep; DROP TABLE {db}.gone PURGE")
    assert not env.store.table_exists(db, "keep") and not env.store.table_exists(db, "gone")
    assert env.delta.exists(keep)
    assert fs.get_file_info(pafs.FileSelector(env.profile.fs_path(gone), allow_not_found=True)) == []
    with pytest.raises(SqlError, match="is a view; use DROP VIEW"):
        env.run(f"CREATE VIEW {db}.vv AS SELECT 1 AS x; DROP TABLE {db}.vv")
    env.run(f"DROP TABLE IF EXISTS {db}.keep")


def test_create_and_drop_database(local_env: Any) -> None:
    env = local_env
    db = env.unique_db("cdb")
    env.run(f"CREATE DATABASE {db} COMMENT 'scratch'; CREATE TABLE {db}.t AS SELECT 1 AS x")
    assert env.store.get_database(db).description == "scratch"
    with pytest.raises(SqlError, match=r"is not empty \(1 tables and views\); use DROP DATABASE .* CASCADE"):
        env.run(f"DROP DATABASE {db}")
    env.run(f"DROP DATABASE {db} CASCADE; DROP DATABASE IF EXISTS {db}")
    assert not env.store.database_exists(db)
