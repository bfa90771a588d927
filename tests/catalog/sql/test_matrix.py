"""Every statement kind on both lake profiles and both catalog stores (local + embedded,
moto S3 + Glue API), plus saved results and the query history on each lake."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.fs as pafs
import pytest


@pytest.fixture(scope="module")
def matrix(sql_env: Any) -> dict[str, Any]:
    env = sql_env
    db = env.unique_db("mx")
    for day, ids in (("2024-03-01", [1, 2]), ("2024-03-02", [3])):
        env.put_json_lines(f"raw/{db}/clicks/day={day}/part-0.json", [{"id": i, "page": f"p{i}"} for i in ids])
    env.raw_table(db, "clicks", [("id", "bigint"), ("page", "string")], f"raw/{db}/clicks", "json",
                  partition_keys=[("day", "string")])
    return {"env": env, "db": db}


def _messages(results: list[Any]) -> list[str]:
    return [r.message or "" for r in results]


def test_views(matrix: dict[str, Any]) -> None:
    env, db = matrix["env"], matrix["db"]
    env.run(f"""
        MSCK REPAIR TABLE {db}.clicks;
        CREATE VIEW {db}.pages AS SELECT page, day FROM {db}.clicks;
        CREATE OR REPLACE VIEW {db}.pages AS SELECT upper(page) AS page, day FROM {db}.clicks;
        CREATE VIEW {db}.per_day AS SELECT day, count(*) AS n FROM {db}.pages GROUP BY day
    """)
    assert env.tuples(f"SELECT * FROM {db}.per_day ORDER BY day") == [("2024-03-01", 2), ("2024-03-02", 1)]
    assert env.tuples(f"SHOW CREATE VIEW {db}.per_day") == [
        (f"CREATE VIEW {db}.per_day AS\nSELECT day, count(*) AS n FROM {db}.pages GROUP BY day",)]
    env.run(f"DROP VIEW {db}.per_day")
    assert not env.store.table_exists(db, "per_day")


def test_tables_and_dml(matrix: dict[str, Any]) -> None:
    env, db = matrix["env"], matrix["db"]
    results = env.run(f"""
        CREATE TABLE {db}.visits WITH (partitioned_by = ARRAY['day'], format = 'delta')
          AS SELECT id, page, day FROM {db}.clicks;
        CREATE TABLE {db}.blank (id BIGINT, note STRING);
        INSERT INTO {db}.visits VALUES (4, 'p4', '2024-03-03');
        INSERT OVERWRITE TABLE {db}.visits SELECT id * 10, page, day FROM {db}.visits WHERE day = '2024-03-01';
        MERGE INTO {db}.visits t USING (SELECT 30 AS id, 'merged' AS page, '2024-03-02' AS day) s
          ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *;
        DELETE FROM {db}.visits WHERE id = 4
    """, dialect="athena")
    assert [r.kind for r in results] == ["CREATE_TABLE_AS", "CREATE_TABLE", "INSERT", "INSERT", "MERGE", "DELETE"]
    assert env.tuples(f"SELECT id, page, day FROM {db}.visits ORDER BY id") == [
        (3, "p3", "2024-03-02"), (10, "p1", "2024-03-01"), (20, "p2", "2024-03-01"), (30, "merged", "2024-03-02")]
    assert env.tuples(f"SELECT count(*) FROM {db}.visits VERSION AS OF 0") == [(3,)]
    table = env.store.get_table(db, "visits")
    assert table.parameters["delta.version"] == "4"
    assert json.loads(table.parameters["lakeforge.lineage"])["statement"] == "DELETE"
    location = table.location
    env.run(f"DROP TABLE {db}.visits PURGE; DROP TABLE {db}.blank")
    fs = env.profile.filesystem()
    assert fs.get_file_info(pafs.FileSelector(env.profile.fs_path(location), allow_not_found=True)) == []


def test_metadata_statements(matrix: dict[str, Any]) -> None:
    env, db = matrix["env"], matrix["db"]
    other = env.unique_db("mxo")
    results = env.run(f"""
        CREATE DATABASE {other};
        CREATE TABLE {other}.t USING delta PARTITIONED BY (k) AS SELECT 1 AS v, 'x' AS k;
        USE {other};
        SHOW DATABASES LIKE '{other}';
        SHOW TABLES;
        DESCRIBE t;
        SHOW COLUMNS IN {db}.clicks;
        SHOW PARTITIONS {db}.clicks;
        SHOW PARTITIONS t;
        EXPLAIN SELECT * FROM {db}.clicks WHERE day = '2024-03-02'
    """)
    env.engine.database = "default"
    rows = {r.kind: r for r in results}
    assert [r.rows for r in results[3:]] == [1, 1, 5, 3, 2, 1, 1]
    assert rows["EXPLAIN"].files_scanned == 1
    assert env.tuples(f"SHOW TABLES IN {other}") == [(other, "t", "DELTA")]
    assert env.tuples(f"SHOW PARTITIONS {other}.t") == [("k=x",)]
    assert env.tuples(f"DESCRIBE {other}.t")[-1] == ("k", "string", "")
    env.run(f"DROP DATABASE {other} CASCADE")
    assert not env.store.database_exists(other)


def test_results_are_saved_and_every_statement_is_in_the_history(matrix: dict[str, Any]) -> None:
    env, db = matrix["env"], matrix["db"]
    engine = env.new_engine(save_results=True, record_history=True)
    (result,) = engine.execute(f"SELECT day, count(*) AS n FROM {db}.clicks GROUP BY day ORDER BY day")
    fs = env.profile.filesystem()
    assert result.result_location == env.profile.resolve(f"_results/{result.query_id}.csv")
    with fs.open_input_stream(env.profile.fs_path(result.result_location)) as f:
        assert f.read().decode() == "day,n\n2024-03-01,2\n2024-03-02,1\n"
    with fs.open_input_stream(env.profile.fs_path(result.result_location + ".metadata")) as f:
        meta = json.loads(f.read())
    assert meta["columns"] == [{"name": "day", "type": "string"}, {"name": "n", "type": "bigint"}]
    assert meta["rows"] == 2 and meta["query_id"] == result.query_id
    with pytest.raises(Exception, match="unknown column"):
        engine.execute(f"SELECT nope FROM {db}.clicks")
    (record, failed) = reversed(engine.history.recent(2))
    assert (record["query_id"], record["state"], record["rows"]) == (result.query_id, "SUCCEEDED", 2)
    assert record["bytes_scanned"] == result.bytes_scanned > 0 and record["files_scanned"] == 2
    assert failed["state"] == "FAILED" and "unknown column 'nope'" in failed["error"]
    assert env.tuples(f"SELECT state FROM meta.query_history WHERE query_id = '{result.query_id}'") == [
        ("SUCCEEDED",)]
