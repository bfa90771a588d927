"""Exposing catalog tables and views as ``db.table`` in a Spark session (the endpoint's core).

These run in the shared test SparkSession (no Thrift server): the exposer's permanent views
and global temporary views are what JDBC sessions of the endpoint resolve.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.delta import register_delta_table
from catalog.model import Table
from catalog.sql.endpoint_expose import CatalogExposer
from catalog.stores.embedded import EmbeddedStore
from lake.delta import DeltaTableStore


class Setup:
    def __init__(self, spark: Any, lake: Any, tmp_path: Path) -> None:
        self.spark = spark
        self.lake = lake
        self.catalog_path = tmp_path / "catalog.db"
        self.store = EmbeddedStore(self.catalog_path)
        self.delta = DeltaTableStore(spark, lake)
        self.db = f"db_{uuid.uuid4().hex[:8]}"
        self.store.create_database(self.db)

    def exposer(self) -> CatalogExposer:
        return CatalogExposer(self.spark, lambda: EmbeddedStore(self.catalog_path), self.lake, delta=self.delta)

    def write(self, rows: list[tuple[int, str]], mode: str = "append", **kwargs: Any) -> None:
        df = self.spark.createDataFrame(rows, "id long, part string")
        self.delta.write(df, f"t/{self.db}", mode=mode, partition_by=["part"], **kwargs)
        register_delta_table(self.store, self.db, "t", f"t/{self.db}", self.lake)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return sorted(tuple(r) for r in self.spark.sql(sql).collect())

    def view(self, name: str, sql: str, columns: list[tuple[str, str]]) -> None:
        self.store.create_table(Table.view(self.db, name, sql, columns))


@pytest.fixture
def setup(spark: Any, local_lake: Any, tmp_path: Path) -> Iterator[Setup]:
    s = Setup(spark, local_lake, tmp_path)
    yield s
    _cleanup(s)


def _cleanup(s: Setup) -> None:
    s.spark.sql(f"DROP DATABASE IF EXISTS `{s.db}` CASCADE")
    for row in s.spark.sql("SHOW TABLES IN global_temp").collect():
        if s.db in row.tableName:
            s.spark.catalog.dropGlobalTempView(row.tableName)
    s.store.close()


@pytest.mark.slow
@pytest.mark.parametrize("lake_kind", ["local", "moto"])
def test_delta_table_is_exposed_as_exactly_its_snapshot(
    spark: Any, tmp_path: Path, request: pytest.FixtureRequest, lake_kind: str
) -> None:
    s = Setup(spark, request.getfixturevalue(f"{lake_kind}_lake"), tmp_path)
    try:
        s.write([(1, "a"), (2, "a"), (3, "b")], mode="create")
        s.write([(10, "a")], mode="overwrite", overwrite_partitions=True)

        report = s.exposer().refresh()

        assert report.added == [f"{s.db}.t"] and report.errors == {}
        assert s.rows(f"SELECT id, part FROM {s.db}.t") == [(3, "b"), (10, "a")]
    finally:
        _cleanup(s)


def test_refresh_without_changes_touches_nothing(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    exposer = setup.exposer()
    exposer.refresh()

    report = exposer.refresh()

    assert (report.added, report.changed, report.removed, report.unchanged) == ([], [], [], 1)


def test_new_delta_version_is_reexposed_with_the_views_over_it(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    setup.view("n", f"SELECT count(*) AS n FROM {setup.db}.t", [("n", "bigint")])
    exposer = setup.exposer()
    exposer.refresh()

    setup.write([(2, "b")])
    report = exposer.refresh()

    assert sorted(report.changed) == [f"{setup.db}.n", f"{setup.db}.t"]
    assert setup.rows(f"SELECT n FROM {setup.db}.n") == [(2,)]


def test_table_dropped_from_the_catalog_disappears(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    exposer = setup.exposer()
    exposer.refresh()

    setup.store.delete_table(setup.db, "t")
    report = exposer.refresh()

    assert report.removed == [f"{setup.db}.t"]
    assert not setup.spark.catalog.tableExists(f"{setup.db}.t")


def test_views_can_use_views_defined_later_and_athena_views_are_transpiled(setup: Setup) -> None:
    setup.write([(1, "a"), (2, "b")], mode="create")
    # "a_top" sorts before "z_base" although it depends on it
    setup.view("a_top", f"SELECT max(id) AS top FROM {setup.db}.z_base", [("top", "bigint")])
    setup.view("z_base", f"SELECT id FROM {setup.db}.t WHERE part = 'b'", [("id", "bigint")])
    presto = {"originalSql": f"SELECT CAST(id AS varchar) AS sid FROM awsdatacatalog.{setup.db}.t",
              "catalog": "awsdatacatalog", "schema": setup.db, "columns": [{"name": "sid", "type": "varchar"}]}
    encoded = base64.b64encode(json.dumps(presto).encode()).decode()
    setup.store.create_table(Table.view(setup.db, "athena", f"/* Presto View: {encoded} */", [("sid", "string")],
                                        expanded_sql="/* Presto View */"))

    report = setup.exposer().refresh()

    assert report.errors == {}
    assert setup.rows(f"SELECT top FROM {setup.db}.a_top") == [(2,)]
    assert setup.rows(f"SELECT sid FROM {setup.db}.athena") == [("1",), ("2",)]


def test_a_restarted_endpoint_adopts_its_earlier_views(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    setup.view("gone", f"SELECT id FROM {setup.db}.t", [("id", "bigint")])
    setup.exposer().refresh()
    setup.store.delete_table(setup.db, "gone")

    report = setup.exposer().refresh()  # a new process over the same metastore

    assert report.added == [f"{setup.db}.t"] and report.removed == [f"{setup.db}.gone"]
    assert not setup.spark.catalog.tableExists(f"{setup.db}.gone")


def test_a_client_object_with_the_same_name_is_left_alone(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    setup.spark.sql(f"CREATE DATABASE IF NOT EXISTS {setup.db}")
    setup.spark.sql(f"CREATE VIEW {setup.db}.t AS SELECT 'mine' AS owner")

    report = setup.exposer().refresh()

    assert "not created by lakeforge" in report.errors[f"{setup.db}.t"]
    assert setup.rows(f"SELECT * FROM {setup.db}.t") == [("mine",)]


def test_a_broken_table_is_reported_and_the_others_still_exposed(setup: Setup) -> None:
    setup.write([(1, "a")], mode="create")
    broken = Table.external(setup.db, "broken", [("id", "bigint")], str(Path(setup.lake.lake_uri) / "nothing"),
                            "delta")
    setup.store.create_table(broken)

    report = setup.exposer().refresh()

    assert set(report.errors) == {f"{setup.db}.broken"}
    assert setup.rows(f"SELECT id FROM {setup.db}.t") == [(1,)]


def test_views_made_by_lake_sql_are_exposed_even_with_time_travel(setup: Setup) -> None:
    from catalog.sql import SqlEngine

    setup.write([(1, "a"), (2, "b")], mode="create")
    setup.write([(3, "b")])
    engine = SqlEngine(setup.spark, setup.store, setup.lake, dialect="athena", save_results=False,
                       record_history=False)
    engine.execute(f"CREATE VIEW {setup.db}.per_part AS SELECT part, count(*) AS n FROM {setup.db}.t GROUP BY part;"
                   f"CREATE VIEW {setup.db}.first AS SELECT id FROM {setup.db}.t FOR VERSION AS OF 0")

    exposer = setup.exposer()
    report = exposer.refresh()

    assert report.errors == {}
    assert setup.rows(f"SELECT part, n FROM {setup.db}.per_part") == [("a", 1), ("b", 2)]
    assert setup.rows(f"SELECT id FROM {setup.db}.first") == [(1,), (2,)]
    assert exposer.exposed[f"{setup.db}.per_part"].global_view is None  # a native Spark view
    assert exposer.exposed[f"{setup.db}.first"].global_view is not None  # Spark can't time travel a view
