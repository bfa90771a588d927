"""Names resolve only through the catalog: Delta snapshots, raw files with SerDe options and
partitions, time travel, and pruning that really reads fewer files."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from catalog.sql import UnknownDatabaseError, UnknownTableError, UnsupportedSqlError, resolve_dataframe


@pytest.fixture(scope="module")
def world(sql_env: Any) -> dict[str, Any]:
    """Fixture tables of every kind in one database."""
    env = sql_env
    db = env.unique_db("res")
    spark = env.spark
    events = spark.createDataFrame(
        [(i, f"d{i % 3}", float(i), f"2024-01-0{i % 3 + 1}") for i in range(30)],
        "id long, device string, v double, day string",
    ).selectExpr("id", "device", "v", "CAST(day AS DATE) AS day")
    env.delta_table(db, "events", events, ["day"])
    # CSV, LazySimpleSerDe: '|' delimiter, one header line, no quoting
    env.put(f"raw/{db}/devices/part-0.csv", "device|name|price\nd0|zero|1.5\nd1|one|2.5\nd2|\"two\"|3.5\n")
    env.raw_table(db, "devices", [("device", "string"), ("name", "string"), ("price", "double")],
                  f"raw/{db}/devices", "csv", delimiter="|", header=True)
    # CSV, OpenCSVSerde: quoted fields holding the delimiter
    env.put(f"raw/{db}/notes/a.csv", '"d0","hello, world",1\n"d1","a ""quoted"" word",2\n')
    env.raw_table(db, "notes", [("device", "string"), ("note", "string"), ("n", "int")],
                  f"raw/{db}/notes", "csv", quoted=True)
    # JSON lines in Hive-style partitions with an int partition key
    for year, values in ((2023, [1, 2]), (2024, [3, 4, 5])):
        env.put_json_lines(f"raw/{db}/readings/year={year}/part-0.json",
                           [{"device": f"d{v % 3}", "v": v, "ts": f"{year}-05-01T10:00:0{v}Z"} for v in values])
    env.put_json_lines(f"raw/{db}/readings/_errors/bad.json", [{"device": "dX", "v": 99}])
    env.raw_table(db, "readings", [("device", "string"), ("v", "bigint"), ("ts", "timestamp")],
                  f"raw/{db}/readings", "json", partition_keys=[("year", "int")],
                  partitions={("2023",): f"raw/{db}/readings/year=2023", ("2024",): f"raw/{db}/readings/year=2024"})
    # Parquet in folders that are not key=value: partition values come from the catalog
    for folder, rows in (("2023", [10, 20]), ("2024", [30])):
        env.put_parquet(f"raw/{db}/meas/{folder}/p.parquet", pa.table({"m": pa.array(rows, pa.int64())}))
    env.raw_table(db, "meas", [("m", "bigint")], f"raw/{db}/meas", "parquet",
                  partition_keys=[("partition_0", "string")],
                  partitions={("2023",): f"raw/{db}/meas/2023", ("2024",): f"raw/{db}/meas/2024"})
    return {"db": db, "env": env}


def test_delta_table_reads_its_snapshot(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    assert env.tuples(f"SELECT count(*), sum(v), count(DISTINCT day) FROM {db}.events") == [(30, 435.0, 3)]


def test_csv_tables_follow_their_serde_delimiter_header_and_quotes(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    assert env.tuples(f"SELECT device, name, price FROM {db}.devices ORDER BY device") == [
        ("d0", "zero", 1.5), ("d1", "one", 2.5), ("d2", '"two"', 3.5)]  # LazySimpleSerDe keeps quotes
    assert env.tuples(f"SELECT note, n FROM {db}.notes ORDER BY n") == [
        ("hello, world", 1), ('a "quoted" word', 2)]


def test_json_partitions_are_columns_typed_by_the_catalog(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    rows = env.rows(f"SELECT year, count(*) AS n, sum(v) AS s, min(ts) AS first FROM {db}.readings "
                    "GROUP BY year ORDER BY year")
    assert [(r["year"], r["n"], r["s"]) for r in rows] == [(2023, 2, 3), (2024, 3, 12)]  # _errors/ skipped
    assert rows[0]["first"] == datetime(2023, 5, 1, 10, 0, 1)


def test_partition_values_of_non_hive_folders_come_from_the_catalog(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    assert env.tuples(f"SELECT partition_0, sum(m) FROM {db}.meas GROUP BY 1 ORDER BY 1") == [
        ("2023", 30), ("2024", 30)]
    (result,) = env.run(f"SELECT m FROM {db}.meas WHERE partition_0 = '2024'")
    assert result.rows == 1 and [f.rsplit("/", 2)[-2] for f in result.input_files] == ["2024"]


def test_delta_partition_filter_reads_only_that_partition(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    (everything,) = env.run(f"SELECT * FROM {db}.events")
    (pruned,) = env.run(f"SELECT count(*) FROM {db}.events WHERE day = DATE '2024-01-02'")
    assert pruned.input_files and all("/day=2024-01-02/" in f for f in pruned.input_files)
    assert len(pruned.input_files) < len(everything.input_files)
    assert 0 < pruned.bytes_scanned < everything.bytes_scanned


def test_raw_partition_filter_reads_only_that_partition(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    (result,) = env.run(f"SELECT r.v, d.name FROM {db}.readings r JOIN {db}.devices d ON r.device = d.device "
                        "WHERE r.year = 2023")
    readings = [f for f in result.input_files if "/readings/" in f]
    assert result.rows == 2 and readings and all("/year=2023/" in f for f in readings)


def test_min_max_statistics_skip_delta_files(sql_env: Any) -> None:
    env = sql_env
    db = env.unique_db("skip")
    env.delta_table(db, "ids", env.spark.range(0, 100).coalesce(1), None)
    env.delta.write(env.spark.range(1000, 1100).coalesce(1), f"data/{db}/ids", mode="append")
    (result,) = env.run(f"SELECT count(*) FROM {db}.ids WHERE id >= 1050")
    assert result.files_scanned == 1
    assert env.tuples(f"SELECT count(*) FROM {db}.ids WHERE id >= 1050") == [(50,)]


def test_unregistered_data_is_not_found_by_path(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    env.put_parquet(f"data/{db}/ghost/p.parquet", pa.table({"x": [1]}))
    with pytest.raises(UnknownTableError, match=rf"unknown table '{db}.ghost' \(line 1, column 15\)"):
        env.run(f"SELECT * FROM {db}.ghost")
    with pytest.raises(UnknownTableError, match=rf"did you mean '{db}.events'"):
        env.run(f"SELECT * FROM {db}.event")
    with pytest.raises(UnknownDatabaseError, match=rf"did you mean '{db}'"):
        env.run(f"SELECT * FROM {db}x.events")


def test_time_travel_by_version_and_timestamp(sql_env: Any) -> None:
    env = sql_env
    db = env.unique_db("tt")
    uri = env.delta_table(db, "t", env.spark.range(3), None)
    time.sleep(1.1)  # S3 commit times have one-second resolution
    env.run(f"INSERT INTO {db}.t SELECT id + 10 FROM range(2)")
    first_commit = min(h["timestamp"] for h in env.delta.history(uri) if h["version"] == 0)
    at_first = datetime.fromtimestamp(first_commit / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert env.tuples(f"SELECT count(*) FROM {db}.t") == [(5,)]
    assert env.tuples(f"SELECT count(*) FROM {db}.t VERSION AS OF 0") == [(3,)]
    assert env.tuples(f"SELECT count(*) FROM {db}.t TIMESTAMP AS OF '{at_first}'") == [(3,)]
    assert env.tuples(f"SELECT count(*) FROM {db}.t FOR VERSION AS OF 1", dialect="athena") == [(5,)]
    both = (f"SELECT (SELECT count(*) FROM {db}.t VERSION AS OF 0) AS old_n, "
            f"(SELECT count(*) FROM {db}.t) AS new_n")
    assert env.tuples(both) == [(3, 5)]
    with pytest.raises(Exception, match=r"VERSION AS OF 7: no such snapshot \(versions 0..1 exist\)"):
        env.run(f"SELECT * FROM {db}.t VERSION AS OF 7")


def test_time_travel_needs_a_delta_table(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    with pytest.raises(UnsupportedSqlError, match="time travel needs a Delta table"):
        env.run(f"SELECT * FROM {db}.devices VERSION AS OF 1")


def test_resolve_dataframe_gives_one_table_for_other_components(world: dict[str, Any]) -> None:
    env, db = world["env"], world["db"]
    df = resolve_dataframe(env.spark, env.store, env.profile, f"{db}.readings")
    assert df.columns == ["device", "v", "ts", "year"] and df.count() == 5
    old = resolve_dataframe(env.spark, env.store, env.profile, f"{db}.events", version=0)
    assert old.count() == 30
