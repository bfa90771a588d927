"""The catalog-store contract: every test runs on the embedded and the glue store."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog import (
    AlreadyExistsError,
    Column,
    ConcurrentModificationError,
    Database,
    EntityNotFoundError,
    InvalidInputError,
    Partition,
    StorageDescriptor,
    Table,
    TableType,
)
from catalog.formats import storage_descriptor
from catalog.stores.base import CatalogStore

EVERY_TYPE = [
    ("b", "boolean"),
    ("ti", "tinyint"),
    ("si", "smallint"),
    ("i", "int"),
    ("bi", "bigint"),
    ("f", "float"),
    ("d", "double"),
    ("dec", "decimal(12,3)"),
    ("s", "string"),
    ("dt", "date"),
    ("ts", "timestamp"),
    ("bin", "binary"),
    ("arr", "array<struct<x:int>>"),
    ("m", "map<string,array<double>>"),
    ("st", "struct<a:int,b:struct<c:string,d:array<bigint>>,e:map<string,decimal(5,2)>>"),
]


def _table(db: str, name: str = "events", **kw: object) -> Table:
    return Table.external(
        db,
        name,
        kw.pop("columns", [("id", "bigint"), ("payload", "string")]),  # type: ignore[arg-type]
        kw.pop("location", f"s3://lake/{db}/{name}"),  # type: ignore[arg-type]
        kw.pop("fmt", "parquet"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _partitioned(store: CatalogStore, db: str, name: str = "vitals") -> Table:
    table = _table(db, name, partition_keys=[("year", "int"), ("month", "string")])
    return store.create_table(table)


def _part(table: Table, year: int, month: str) -> Partition:
    location = f"{table.location}/year={year}/month={month}"
    sd = storage_descriptor("parquet", table.columns, location)
    return Partition((str(year), month), storage_descriptor=sd, parameters={"rows": str(year)})


# ------------------------------------------------------------------ protocol


def test_store_implements_the_protocol(catalog_store: CatalogStore) -> None:
    assert isinstance(catalog_store, CatalogStore)
    assert catalog_store.name in ("embedded", "glue")


# ------------------------------------------------------------------ databases


def test_database_create_get_list_delete(catalog_store: CatalogStore) -> None:
    name = f"db_{uuid.uuid4().hex[:8]}"
    created = catalog_store.create_database(
        Database(
            name,
            description="bronze zone",
            location_uri="s3://lake/bronze",
            parameters={"owner": "data"},
        )
    )
    assert created.name == name
    got = catalog_store.get_database(name)
    assert (got.description, got.location_uri, dict(got.parameters)) == (
        "bronze zone",
        "s3://lake/bronze",
        {"owner": "data"},
    )
    assert got.create_time is not None
    assert name in [d.name for d in catalog_store.list_databases()]
    assert catalog_store.database_exists(name)
    catalog_store.delete_database(name)
    assert not catalog_store.database_exists(name)
    assert name not in [d.name for d in catalog_store.list_databases()]


def test_create_database_twice_fails_unless_exist_ok(
    catalog_store: CatalogStore, database: str
) -> None:
    with pytest.raises(AlreadyExistsError) as err:
        catalog_store.create_database(database)
    assert err.value.kind == "database"
    assert catalog_store.create_database(database, exist_ok=True).name == database


def test_names_are_lower_cased_like_glue(catalog_store: CatalogStore) -> None:
    name = f"Db_{uuid.uuid4().hex[:8]}"
    catalog_store.create_database(name)
    catalog_store.create_table(_table(name, "MixedCase"))
    table = catalog_store.get_table(name.upper(), "mixedcase")
    assert (table.database_name, table.name) == (name.lower(), "mixedcase")


def test_missing_database_suggests_close_names(catalog_store: CatalogStore, database: str) -> None:
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_database(database + "x")
    assert err.value.kind == "database"
    assert database in err.value.suggestions
    assert "did you mean" in str(err.value)


def test_invalid_database_name_is_rejected(catalog_store: CatalogStore) -> None:
    with pytest.raises(InvalidInputError, match="database name"):
        catalog_store.create_database("bad.name")


def test_delete_database_removes_its_tables(catalog_store: CatalogStore) -> None:
    name = f"db_{uuid.uuid4().hex[:8]}"
    catalog_store.create_database(name)
    catalog_store.create_table(_table(name))
    catalog_store.delete_database(name)
    catalog_store.create_database(name)
    assert catalog_store.list_tables(name) == []


# ------------------------------------------------------------------ tables


def test_table_with_every_glue_type_round_trips(catalog_store: CatalogStore, database: str) -> None:
    table = _table(
        database,
        "all_types",
        columns=[Column(n, t, comment=f"the {n}") for n, t in EVERY_TYPE],
        partition_keys=[("dt_key", "date")],
        parameters={"recordCount": 10},
    )
    stored = catalog_store.create_table(table)
    got = catalog_store.get_table(database, "all_types")
    assert [(c.name, c.type, c.comment) for c in got.columns] == [
        (n, t, f"the {n}") for n, t in EVERY_TYPE
    ]
    assert [(k.name, k.type) for k in got.partition_keys] == [("dt_key", "date")]
    assert got.storage_descriptor == table.storage_descriptor
    assert got.parameters == {**table.parameters, "recordCount": "10"}
    assert got.table_type == TableType.EXTERNAL_TABLE
    assert got.create_time is not None and got.version_id == stored.version_id


def test_table_glue_shape(catalog_store: CatalogStore, database: str) -> None:
    catalog_store.create_table(
        _table(database, fmt="csv", header=True, delimiter="|", partition_keys=[("day", "string")])
    )
    glue = catalog_store.get_table(database, "events").to_glue()
    assert glue["Name"] == "events" and glue["DatabaseName"] == database
    assert glue["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "payload", "Type": "string"},
    ]
    assert glue["StorageDescriptor"]["Location"] == f"s3://lake/{database}/events"
    assert glue["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"field.delim": "|"}
    assert glue["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
    assert glue["TableType"] == "EXTERNAL_TABLE"
    params = glue["Parameters"]
    assert (params["classification"], params["delimiter"], params["skip.header.line.count"]) == (
        "csv",
        "|",
        "1",
    )


def test_list_tables_sorted(catalog_store: CatalogStore, database: str) -> None:
    for name in ("zeta", "alpha", "mid"):
        catalog_store.create_table(_table(database, name))
    assert [t.name for t in catalog_store.list_tables(database)] == ["alpha", "mid", "zeta"]


def test_create_table_twice_fails(catalog_store: CatalogStore, database: str) -> None:
    catalog_store.create_table(_table(database))
    with pytest.raises(AlreadyExistsError) as err:
        catalog_store.create_table(_table(database))
    assert err.value.name == f"{database}.events"


def test_create_table_in_missing_database_fails(catalog_store: CatalogStore, database: str) -> None:
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.create_table(_table(database + "_nope"))
    assert err.value.kind == "database"


def test_invalid_column_type_names_the_field(catalog_store: CatalogStore, database: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        catalog_store.create_table(_table(database, columns=[("a", "int"), ("b", "array<int")]))
    assert "StorageDescriptor.Columns[1].Type" in str(err.value)


def test_missing_table_suggests_close_names(catalog_store: CatalogStore, database: str) -> None:
    catalog_store.create_table(_table(database, "heart_rate"))
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_table(database, "heart_rat")
    assert err.value.kind == "table"
    assert err.value.suggestions == [f"{database}.heart_rate"]
    assert not catalog_store.table_exists(database, "heart_rat")


def test_missing_database_of_table_is_reported_as_database(catalog_store: CatalogStore) -> None:
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_table("no_such_db_" + uuid.uuid4().hex[:6], "t")
    assert err.value.kind == "database"


def test_delete_table(catalog_store: CatalogStore, database: str) -> None:
    catalog_store.create_table(_table(database))
    catalog_store.delete_table(database, "events")
    assert not catalog_store.table_exists(database, "events")
    with pytest.raises(EntityNotFoundError):
        catalog_store.delete_table(database, "events")


# ------------------------------------------------------------------ versions


def test_update_keeps_every_version(catalog_store: CatalogStore, database: str) -> None:
    v0 = catalog_store.create_table(_table(database))
    cols = [*v0.columns, Column("score", "double")]
    v1 = catalog_store.update_table(
        replace(v0, storage_descriptor=v0.storage_descriptor.with_columns(cols))
    )
    v2 = catalog_store.update_table(v1.with_parameters(recordCount="42"))
    assert int(v1.version_id) == int(v0.version_id) + 1
    assert int(v2.version_id) == int(v1.version_id) + 1
    versions = catalog_store.get_table_versions(database, "events")
    assert [v.version_id for v in versions] == [v2.version_id, v1.version_id, v0.version_id]
    assert [c.name for c in versions[-1].table.columns] == ["id", "payload"]
    assert versions[0].table.parameters["recordCount"] == "42"
    old = catalog_store.get_table_version(database, "events", v0.version_id)
    assert old.version_id == v0.version_id and "recordCount" not in old.table.parameters
    current = catalog_store.get_table(database, "events")
    assert current.version_id == v2.version_id and current.update_time is not None
    assert [c.name for c in current.columns] == ["id", "payload", "score"]


def test_update_with_stale_expected_version_fails(
    catalog_store: CatalogStore, database: str
) -> None:
    v0 = catalog_store.create_table(_table(database))
    v1 = catalog_store.update_table(v0.with_parameters(a="1"), expected_version=v0.version_id)
    with pytest.raises(ConcurrentModificationError) as err:
        catalog_store.update_table(v0.with_parameters(a="2"), expected_version=v0.version_id)
    assert err.value.transient
    assert catalog_store.get_table(database, "events").version_id == v1.version_id


def test_put_table_creates_then_updates(catalog_store: CatalogStore, database: str) -> None:
    first = catalog_store.put_table(_table(database))
    second = catalog_store.put_table(_table(database, location="s3://elsewhere/events"))
    assert second.location == "s3://elsewhere/events"
    assert int(second.version_id) == int(first.version_id) + 1


def test_missing_version_suggests_existing_ones(catalog_store: CatalogStore, database: str) -> None:
    v0 = catalog_store.create_table(_table(database))
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_table_version(database, "events", str(int(v0.version_id) + 5))
    assert "version" in err.value.kind


def test_update_missing_table_fails(catalog_store: CatalogStore, database: str) -> None:
    with pytest.raises(EntityNotFoundError):
        catalog_store.update_table(_table(database, "ghost"))


# ------------------------------------------------------------------ views


def test_view_stores_its_sql(catalog_store: CatalogStore, database: str) -> None:
    sql = f"SELECT id, avg(score) AS score FROM {database}.events GROUP BY id"
    view = Table.view(
        database,
        "scores",
        sql,
        [("id", "bigint"), ("score", "double")],
        expanded_sql=sql.replace("events", "`events`"),
        parameters={"dialect": "spark"},
    )
    catalog_store.create_table(view)
    got = catalog_store.get_table(database, "scores")
    assert got.is_view and got.table_type == "VIRTUAL_VIEW"
    assert got.view_original_text == sql
    assert got.view_expanded_text == sql.replace("events", "`events`")
    assert [(c.name, c.type) for c in got.columns] == [("id", "bigint"), ("score", "double")]
    assert got.location is None and got.parameters == {"dialect": "spark"}


def test_view_without_sql_is_rejected(catalog_store: CatalogStore, database: str) -> None:
    with pytest.raises(InvalidInputError, match="ViewOriginalText"):
        catalog_store.create_table(Table("v", database, table_type="VIRTUAL_VIEW"))


# ------------------------------------------------------------------ partitions


def test_batch_create_and_list_partitions(catalog_store: CatalogStore, database: str) -> None:
    table = _partitioned(catalog_store, database)
    parts = [_part(table, y, m) for y in (2025, 2023, 2024) for m in ("02", "01")]
    assert catalog_store.batch_create_partitions(database, "vitals", parts) == 6
    listed = catalog_store.list_partitions(database, "vitals")
    assert [p.values for p in listed] == [
        (str(y), m) for y in (2023, 2024, 2025) for m in ("01", "02")
    ]
    first = listed[0]
    assert first.database_name == database and first.table_name == "vitals"
    assert first.location == f"{table.location}/year=2023/month=01"
    assert first.parameters == {"rows": "2023"}
    assert (
        first.storage_descriptor is not None and first.storage_descriptor.columns == table.columns
    )
    assert first.creation_time is not None


def test_batch_create_more_than_one_glue_batch(catalog_store: CatalogStore, database: str) -> None:
    table = _partitioned(catalog_store, database)
    parts = [_part(table, 2000 + i // 12, f"{i % 12 + 1:02d}") for i in range(130)]
    assert catalog_store.batch_create_partitions(database, "vitals", parts) == 130
    assert len(catalog_store.list_partitions(database, "vitals")) == 130


def test_existing_partitions_fail_unless_exist_ok(
    catalog_store: CatalogStore, database: str
) -> None:
    table = _partitioned(catalog_store, database)
    catalog_store.batch_create_partitions(database, "vitals", [_part(table, 2024, "01")])
    again = [_part(table, 2024, "01"), _part(table, 2024, "02")]
    with pytest.raises(AlreadyExistsError) as err:
        catalog_store.batch_create_partitions(database, "vitals", again)
    assert "year=2024/month=01" in err.value.name
    assert catalog_store.batch_create_partitions(database, "vitals", again, exist_ok=True) == 1
    assert len(catalog_store.list_partitions(database, "vitals")) == 2


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("year = 2024", [("2024", "01"), ("2024", "02")]),
        ("year > 2023 AND month = '02'", [("2024", "02"), ("2025", "02")]),
        (
            "year < 2024 OR month <> '01'",
            [("2023", "01"), ("2023", "02"), ("2024", "02"), ("2025", "02")],
        ),
        ("year IN (2023, 2025) AND month = '01'", [("2023", "01"), ("2025", "01")]),
        ("year BETWEEN 2024 AND 2025 AND month LIKE '0%1'", [("2024", "01"), ("2025", "01")]),
        ("year >= 2025", [("2025", "01"), ("2025", "02")]),
    ],
)
def test_list_partitions_with_expression(
    catalog_store: CatalogStore, database: str, expression: str, expected: list[tuple[str, str]]
) -> None:
    table = _partitioned(catalog_store, database)
    catalog_store.batch_create_partitions(
        database, "vitals", [_part(table, y, m) for y in (2023, 2024, 2025) for m in ("01", "02")]
    )
    got = catalog_store.list_partitions(database, "vitals", expression=expression)
    assert [p.values for p in got] == expected


def test_int_partition_keys_compare_as_numbers(catalog_store: CatalogStore, database: str) -> None:
    table = catalog_store.create_table(_table(database, "hours", partition_keys=[("hour", "int")]))
    catalog_store.batch_create_partitions(
        database,
        "hours",
        [Partition((str(h),), storage_descriptor=table.storage_descriptor) for h in (2, 9, 10, 23)],
    )
    got = catalog_store.list_partitions(database, "hours", expression="hour > 9")
    assert [p.values for p in got] == [("10",), ("23",)]
    assert [p.values for p in catalog_store.list_partitions(database, "hours")] == [
        ("2",),
        ("9",),
        ("10",),
        ("23",),
    ]


def test_list_partitions_with_value_filter(catalog_store: CatalogStore, database: str) -> None:
    table = _partitioned(catalog_store, database)
    catalog_store.batch_create_partitions(
        database, "vitals", [_part(table, y, m) for y in (2023, 2024) for m in ("01", "02")]
    )
    got = catalog_store.list_partitions(database, "vitals", values={"month": "02"})
    assert [p.values for p in got] == [("2023", "02"), ("2024", "02")]
    got = catalog_store.list_partitions(
        database, "vitals", expression="year = 2024", values={"month": "01"}
    )
    assert [p.values for p in got] == [("2024", "01")]


def test_partition_filter_on_unknown_key_names_the_keys(
    catalog_store: CatalogStore, database: str
) -> None:
    _partitioned(catalog_store, database)
    with pytest.raises(InvalidInputError, match="partition keys: year, month"):
        catalog_store.list_partitions(database, "vitals", expression="day = '01'")
    with pytest.raises(InvalidInputError, match="partition keys: year, month"):
        catalog_store.list_partitions(database, "vitals", values={"day": "01"})


def test_partition_values_must_match_keys(catalog_store: CatalogStore, database: str) -> None:
    _partitioned(catalog_store, database)
    with pytest.raises(InvalidInputError, match="2 partition key"):
        catalog_store.create_partition(database, "vitals", Partition(("2024",)))


def test_get_update_delete_partition(catalog_store: CatalogStore, database: str) -> None:
    table = _partitioned(catalog_store, database)
    created = catalog_store.create_partition(database, "vitals", _part(table, 2024, "01"))
    assert created.values == ("2024", "01")
    moved_sd = created.storage_descriptor.with_location("s3://moved/2024/01")  # type: ignore[union-attr]
    updated = catalog_store.update_partition(
        database,
        "vitals",
        ("2024", "01"),
        replace(created, storage_descriptor=moved_sd, parameters={"rows": "7"}),
    )
    assert updated.location == "s3://moved/2024/01"
    got = catalog_store.get_partition(database, "vitals", ["2024", "01"])
    assert got.location == "s3://moved/2024/01" and got.parameters == {"rows": "7"}
    catalog_store.delete_partition(database, "vitals", ("2024", "01"))
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_partition(database, "vitals", ("2024", "01"))
    assert err.value.kind == "partition"


def test_batch_delete_partitions_counts_existing(
    catalog_store: CatalogStore, database: str
) -> None:
    table = _partitioned(catalog_store, database)
    catalog_store.batch_create_partitions(
        database, "vitals", [_part(table, 2024, f"{m:02d}") for m in range(1, 31)]
    )
    gone = [("2024", f"{m:02d}") for m in range(1, 28)] + [("1999", "01")]
    assert catalog_store.batch_delete_partitions(database, "vitals", gone) == 27
    assert [p.values for p in catalog_store.list_partitions(database, "vitals")] == [
        ("2024", "28"),
        ("2024", "29"),
        ("2024", "30"),
    ]


def test_delete_table_drops_its_partitions(catalog_store: CatalogStore, database: str) -> None:
    table = _partitioned(catalog_store, database)
    catalog_store.batch_create_partitions(database, "vitals", [_part(table, 2024, "01")])
    catalog_store.delete_table(database, "vitals")
    _partitioned(catalog_store, database)
    assert catalog_store.list_partitions(database, "vitals") == []


def test_partition_without_storage_descriptor(catalog_store: CatalogStore, database: str) -> None:
    _partitioned(catalog_store, database)
    catalog_store.create_partition(database, "vitals", Partition(("2024", "01")))
    got = catalog_store.get_partition(database, "vitals", ("2024", "01"))
    assert got.storage_descriptor in (None, StorageDescriptor())


# ------------------------------------------------------------------ meta collections


def test_crawler_definitions(catalog_store: CatalogStore) -> None:
    name = f"Raw Crawler-{uuid.uuid4().hex[:6]}"
    definition = {
        "database": "raw",
        "targets": [{"path": "s3://lake/raw", "exclusions": ["**/_tmp"]}],
        "sample_size": 10,
        "schema_change_policy": {"UpdateBehavior": "LOG"},
    }
    catalog_store.put_crawler(name, definition)
    assert catalog_store.get_crawler(name) == definition
    catalog_store.put_crawler(name, {**definition, "sample_size": 20})
    assert catalog_store.get_crawler(name)["sample_size"] == 20
    other = name + "-b"
    catalog_store.put_crawler(other, {"database": "x"})
    assert catalog_store.list_crawlers() == {
        name: {**definition, "sample_size": 20},
        other: {"database": "x"},
    }
    catalog_store.delete_crawler(other)
    assert list(catalog_store.list_crawlers()) == [name]
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_crawler(name[:-1])
    assert err.value.kind == "crawler" and err.value.suggestions == [name]
    with pytest.raises(EntityNotFoundError):
        catalog_store.delete_crawler(other)


def test_crawl_history_is_append_only_and_ordered(catalog_store: CatalogStore) -> None:
    crawler = f"c-{uuid.uuid4().hex[:6]}"
    for i in range(5):
        catalog_store.append_crawl_run(crawler, {"run": i, "tables_created": i * 2})
    catalog_store.append_crawl_run(crawler + "-other", {"run": 99})
    runs = catalog_store.list_crawl_runs(crawler)
    assert [r["run"] for r in runs] == [0, 1, 2, 3, 4]
    assert [r["run"] for r in catalog_store.list_crawl_runs(crawler, limit=2)] == [3, 4]
    assert catalog_store.list_crawl_runs("never-ran") == []


def test_saved_queries(catalog_store: CatalogStore) -> None:
    catalog_store.put_saved_query("daily_avg", {"sql": "SELECT 1", "description": "it's fine"})
    catalog_store.put_saved_query("weekly", {"sql": "SELECT 2"})
    assert catalog_store.get_saved_query("daily_avg") == {
        "sql": "SELECT 1",
        "description": "it's fine",
    }
    assert list(catalog_store.list_saved_queries()) == ["daily_avg", "weekly"]
    catalog_store.delete_saved_query("weekly")
    with pytest.raises(EntityNotFoundError) as err:
        catalog_store.get_saved_query("weekly")
    assert err.value.kind == "saved query"


def test_documents_are_separate_per_collection(catalog_store: CatalogStore) -> None:
    catalog_store.put_crawler("same", {"kind": "crawler"})
    catalog_store.put_saved_query("same", {"kind": "query"})
    assert catalog_store.get_crawler("same") == {"kind": "crawler"}
    assert catalog_store.get_saved_query("same") == {"kind": "query"}


def test_meta_collections_do_not_show_as_databases(catalog_store: CatalogStore) -> None:
    catalog_store.put_crawler("hidden", {"a": 1})
    names = [d.name for d in catalog_store.list_databases()]
    assert getattr(catalog_store, "meta_database", "lakeforge_meta") not in names


def test_payload_must_be_json(catalog_store: CatalogStore) -> None:
    with pytest.raises(InvalidInputError):
        catalog_store.put_crawler("x", ["not", "an", "object"])  # type: ignore[arg-type]
