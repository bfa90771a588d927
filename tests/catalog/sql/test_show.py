"""SHOW DATABASES/TABLES/COLUMNS/PARTITIONS/CREATE, DESCRIBE, EXPLAIN and MSCK REPAIR TABLE."""

from __future__ import annotations

import re
from typing import Any

import pytest

from catalog.sql import SqlError, UnknownDatabaseError, UnsupportedSqlError


@pytest.fixture(scope="module")
def meta(local_env: Any) -> dict[str, Any]:
    env = local_env
    db = env.unique_db("shw")
    env.run(f"CREATE TABLE {db}.sales WITH (partitioned_by = ARRAY['region']) AS "
            "SELECT id, id * 2.5 AS amount, CASE WHEN id % 2 = 0 THEN 'eu' ELSE 'us' END AS region "
            "FROM range(4)", dialect="athena")
    env.run(f"CREATE VIEW {db}.eu_sales AS SELECT id, amount FROM {db}.sales WHERE region = 'eu'")
    for y, m in (("2024", "01"), ("2024", "02"), ("2025", "01")):
        env.put(f"raw/{db}/logs/year={y}/month={m}/part-0.csv", f"{y}{m},ok\n")
    env.put(f"raw/{db}/logs/notapartition/stray.csv", "1,x\n")
    env.raw_table(db, "logs", [("n", "int"), ("status", "string")], f"raw/{db}/logs", "csv",
                  partition_keys=[("year", "string"), ("month", "string")],
                  partitions={("2024", "01"): f"raw/{db}/logs/year=2024/month=01"})
    return {"env": env, "db": db}


def test_show_databases_and_tables(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    assert (db,) in env.tuples("SHOW DATABASES")
    assert env.tuples(f"SHOW SCHEMAS LIKE '{db[:5]}*|nothing'") == [(db,)]
    assert env.tuples(f"SHOW TABLES IN {db}") == [(db, "eu_sales", "VIEW"), (db, "logs", "CSV"), (db, "sales", "DELTA")]
    assert env.tuples(f"SHOW TABLES IN {db} LIKE 's*'") == [(db, "sales", "DELTA")]
    assert env.tuples(f"SHOW VIEWS IN {db}") == [(db, "eu_sales", "VIEW")]
    with pytest.raises(UnknownDatabaseError, match=rf"did you mean '{db}'"):
        env.run(f"SHOW TABLES IN {db}x")


def test_describe_lists_columns_partitions_and_details(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    assert env.tuples(f"DESCRIBE {db}.sales") == [
        ("id", "bigint", ""), ("amount", "decimal(23,1)", ""), ("region", "string", ""),
        ("# Partition Information", "", ""), ("# col_name", "data_type", "comment"), ("region", "string", "")]
    details = {r[0]: r[1] for r in env.tuples(f"DESCRIBE EXTENDED {db}.eu_sales")}
    assert details["Type"] == "VIEW" and f"FROM {db}.sales" in details["View Expanded Text"]
    assert env.tuples(f"SHOW COLUMNS IN {db}.logs") == [("n",), ("status",), ("year",), ("month",)]


def test_show_partitions_of_delta_and_raw_tables(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    assert env.tuples(f"SHOW PARTITIONS {db}.sales") == [("region=eu",), ("region=us",)]
    assert ("year=2024/month=01",) in env.tuples(f"SHOW PARTITIONS {db}.logs")
    with pytest.raises(SqlError, match="is a view; views have no partitions"):
        env.run(f"SHOW PARTITIONS {db}.eu_sales")


def test_show_create_view_and_table(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    assert env.tuples(f"SHOW CREATE VIEW {db}.eu_sales") == [
        (f"CREATE VIEW {db}.eu_sales AS\nSELECT id, amount FROM {db}.sales WHERE region = 'eu'",)]
    (text,) = env.tuples(f"SHOW CREATE TABLE {db}.sales")[0]
    assert text.startswith(f"CREATE TABLE {db}.sales (") and "USING DELTA\nPARTITIONED BY (region)" in text
    with pytest.raises(SqlError, match="is a table, not a view; use SHOW CREATE TABLE"):
        env.run(f"SHOW CREATE VIEW {db}.sales")


def test_explain_shows_catalog_pruning_spark_sql_and_plan(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    (plan,) = env.tuples(f"EXPLAIN SELECT * FROM {db}.eu_sales")[0]
    found = re.search(rf"{db}\.sales \(delta v0\): (\d+) of (\d+) files, [\d,]+ bytes; pruned by region = 'eu'", plan)
    assert found and 0 < int(found[1]) < int(found[2])
    assert "== Spark SQL ==" in plan and "== Physical Plan ==" in plan
    (extended,) = env.tuples(f"EXPLAIN EXTENDED SELECT count(*) FROM {db}.logs")[0]
    assert "== Optimized Logical Plan ==" in extended


def test_msck_repair_adds_the_partitions_found_under_the_location(meta: dict[str, Any]) -> None:
    env, db = meta["env"], meta["db"]
    assert env.tuples(f"SELECT count(*) FROM {db}.logs") == [(1,)]
    (result,) = env.run(f"MSCK REPAIR TABLE {db}.logs")
    assert "2 partitions added (3 found)" in (result.message or "")
    assert env.tuples(f"SELECT year, month, n FROM {db}.logs ORDER BY n") == [
        ("2024", "01", 202401), ("2024", "02", 202402), ("2025", "01", 202501)]
    assert env.tuples(f"MSCK REPAIR TABLE {db}.logs") == []
    with pytest.raises(UnsupportedSqlError, match="it is a Delta table"):
        env.run(f"MSCK REPAIR TABLE {db}.sales")
