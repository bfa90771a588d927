"""The SQL endpoint end to end: `lake sql-server` started as a subprocess, queried with PyHive.

One endpoint (read-only, local lake, embedded catalog in a fresh LAKEFORGE_HOME) serves the
tests of this module in order; the last one stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyhive")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[3]


def lake_cli(env: dict[str, str], *args: str, timeout: float = 240.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from infra.cli.main import main; main()", *args], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=timeout,
    )


def query(port: int, sql: str) -> list[tuple[Any, ...]]:
    from pyhive import hive

    conn = hive.connect(host="127.0.0.1", port=port, auth="NONE", username="lakeforge-tests")
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    finally:
        conn.close()


class Lake:
    """The tmp lake, its catalog and the running endpoint's coordinates."""

    def __init__(self, home: Path, root: Path, env: dict[str, str], spark: Any) -> None:
        from catalog.stores.embedded import EmbeddedStore
        from lake.delta import DeltaTableStore
        from lake.storage import LocalProfile

        self.home = home
        self.root = root
        self.env = env
        self.profile = LocalProfile(root)
        self.store = EmbeddedStore(home / "catalog.db")
        self.delta = DeltaTableStore(spark, self.profile)
        self.spark = spark
        self.port = 0
        self.entry: dict[str, Any] = {}

    def heart_rows(self) -> list[tuple[Any, ...]]:
        """The Delta table's rows read through its snapshot (the truth)."""
        df = self.delta.read("gold/heart")
        return sorted(tuple(r) for r in df.select("id", "day", "value").collect())


def _heart(spark: Any, ids: range, day: str, scale: float) -> Any:
    return spark.createDataFrame([(i, day, i * scale) for i in ids], "id long, day string, value double")


def _build_lake(lake: Lake) -> None:
    from catalog.delta import register_delta_table
    from catalog.model import Partition, StorageDescriptor, Table

    spark = lake.spark
    lake.delta.write(_heart(spark, range(0, 6), "2024-01-01", 1.0), "gold/heart", mode="create",
                     partition_by=["day"])
    lake.delta.write(_heart(spark, range(6, 10), "2024-01-02", 1.0), "gold/heart", mode="append")
    # Replace one partition: its old files stay on disk but are no longer in the Delta log.
    lake.delta.write(_heart(spark, range(100, 103), "2024-01-01", 2.0), "gold/heart", mode="overwrite",
                     overwrite_partitions=True)
    register_delta_table(lake.store, "gold", "heart", "gold/heart", lake.profile)
    lake.store.create_table(Table.view(
        "gold", "heart_daily",
        "SELECT day, count(*) AS n, sum(value) AS total FROM gold.heart GROUP BY day",
        [("day", "string"), ("n", "bigint"), ("total", "double")],
    ))
    events = lake.root / "raw" / "events"
    for day, ids in (("2024-02-01", [1, 2]), ("2024-02-02", [3, 4, 5])):
        folder = events / f"day={day}"
        folder.mkdir(parents=True)
        (folder / "part-0.json").write_text("".join(json.dumps({"id": i, "kind": f"k{i % 2}"}) + "\n" for i in ids))
    table = Table.external("raw", "events", [("id", "bigint"), ("kind", "string")], str(events), "json",
                           partition_keys=[("day", "string")])
    lake.store.create_database("raw", exist_ok=True)
    lake.store.create_table(table)
    lake.store.batch_create_partitions("raw", "events", [
        Partition((day,), storage_descriptor=StorageDescriptor(location=str(events / f"day={day}")))
        for day in ("2024-02-01", "2024-02-02")
    ])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> Iterator[Lake]:
    from infra.services.process import free_port

    base = tmp_path_factory.mktemp("endpoint")
    home, root = base / "home", base / "lakehouse"
    root.mkdir()
    env = {**os.environ, "LAKEFORGE_HOME": str(home), "LAKEFORGE_PROFILE": "local", "LAKEFORGE_LAKE": str(root),
           "LAKEFORGE_CATALOG__STORE": "embedded", "LAKEFORGE_CATALOG__PATH": str(home / "catalog.db")}
    lake = Lake(home, root, env, spark)
    _build_lake(lake)
    lake.port = free_port()
    result = lake_cli(env, "sql-server", "--port", str(lake.port), "--read-only", "--refresh-interval", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    lake.entry = json.loads((home / "state.json").read_text())["thrift"]
    yield lake
    lake_cli(env, "sql-server", "stop")
    lake.store.close()


def test_start_records_the_endpoint_in_the_state_file(served: Lake) -> None:
    entry = served.entry
    assert entry["status"] == "running"
    assert entry["jdbc_url"] == f"jdbc:hive2://127.0.0.1:{served.port}/default"
    assert entry["read_only"] is True
    assert entry["tables"] == 2 and entry["views"] == 1 and entry["errors"] == 0


def test_delta_table_answers_with_exactly_its_snapshot(served: Lake) -> None:
    on_disk = list((served.root / "gold" / "heart").rglob("*.parquet"))
    in_log = served.delta.plan_scan("gold/heart").files
    assert len(on_disk) > len(in_log)  # the replaced partition's files are still on disk

    rows = query(served.port, "SELECT id, day, value FROM gold.heart")

    assert sorted(rows) == served.heart_rows()
    assert {r[0] for r in rows} == {6, 7, 8, 9, 100, 101, 102}


def test_catalog_view_answers_through_its_sql(served: Lake) -> None:
    rows = query(served.port, "SELECT day, n, total FROM gold.heart_daily ORDER BY day")

    assert rows == [("2024-01-01", 3, 606.0), ("2024-01-02", 4, 30.0)]


def test_raw_table_has_its_partition_column(served: Lake) -> None:
    rows = query(served.port, "SELECT day, count(*), max(id) FROM raw.events GROUP BY day ORDER BY day")

    assert rows == [("2024-02-01", 2, 2), ("2024-02-02", 3, 5)]


def test_catalog_objects_are_listed_for_bi_tools(served: Lake) -> None:
    assert {"gold", "raw"} <= {r[0] for r in query(served.port, "SHOW DATABASES")}
    assert {r[1] for r in query(served.port, "SHOW TABLES IN gold")} >= {"heart", "heart_daily"}
    columns = {r[0] for r in query(served.port, "DESCRIBE gold.heart")}
    assert {"id", "value", "day"} <= columns


@pytest.mark.parametrize(("statement", "refusal"), [
    ("CREATE TABLE gold.scratch (a INT) USING parquet", "read-only: CREATE DATA SOURCE TABLE"),
    ("INSERT OVERWRITE DIRECTORY '/tmp/lakeforge-endpoint-must-not-exist' USING parquet SELECT 1 AS a",
     "read-only: INSERT INTO DATA SOURCE DIR"),
    ("DROP VIEW gold.heart", "read-only: DROP TABLE"),
    ("CREATE OR REPLACE GLOBAL TEMPORARY VIEW sneaky AS SELECT 1 AS a", "read-only: CREATE GLOBAL TEMPORARY VIEW"),
    ("SELECT reflect('java.lang.System', 'getProperty', 'user.dir')", "reflect"),
    # catalog tables are views in the endpoint: Spark itself refuses writes to them
    ("INSERT INTO gold.heart VALUES (1, '2024-01-01', 1.0)", "is a view"),
])
def test_read_only_endpoint_refuses_changes(served: Lake, statement: str, refusal: str) -> None:
    from pyhive.exc import OperationalError

    with pytest.raises(OperationalError) as caught:
        query(served.port, statement)

    assert refusal in str(caught.value)
    assert len(query(served.port, "SELECT id FROM gold.heart")) == 7
    assert not Path("/tmp/lakeforge-endpoint-must-not-exist").exists()


def test_read_only_endpoint_allows_session_statements(served: Lake) -> None:
    assert query(served.port, "SET spark.sql.shuffle.partitions=2")
    assert query(served.port, "EXPLAIN SELECT * FROM gold.heart")
    query(served.port, "CREATE TEMPORARY VIEW mine AS SELECT 1 AS a")


def test_refresh_exposes_the_new_snapshot(served: Lake) -> None:
    from catalog.delta import register_delta_table

    served.delta.write(_heart(served.spark, range(200, 205), "2024-01-03", 1.0), "gold/heart", mode="append")
    register_delta_table(served.store, "gold", "heart", "gold/heart", served.profile)

    result = lake_cli(served.env, "sql-server", "refresh", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert "gold.heart" in report["changed"] and report["errors"] == {}
    assert sorted(query(served.port, "SELECT id, day, value FROM gold.heart")) == served.heart_rows()
    assert ("2024-01-03", 5, 1010.0) in query(served.port, "SELECT day, n, total FROM gold.heart_daily")


def test_stop_closes_the_port_and_ends_the_process_tree(served: Lake) -> None:
    from infra.services.process import port_free
    from lake.state import pid_alive

    pids = [served.entry["pid"], served.entry["jvm_pid"]]

    result = lake_cli(served.env, "sql-server", "stop")

    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout
    assert port_free(served.port)
    assert not any(pid_alive(p) for p in pids)
    assert "thrift" not in json.loads((served.home / "state.json").read_text())
