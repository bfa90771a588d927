"""Schema-change policy, delete policy, table threshold, dry runs and name collisions,
on both profiles and both catalog stores."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.crawler import CrawlHistory, TableThresholdExceededError
from catalog.model import Table

pytestmark = pytest.mark.moto


def _three_tables(writer: Any) -> None:
    writer.put("a/x.json", '{"a1": 1, "a2": 2}\n')
    writer.put("b/x.json", '{"b1": 1, "b2": 2}\n')
    writer.put("c/x.json", '{"c1": 1, "c2": 2}\n')


def test_update_in_database_widens_the_table_and_every_partition(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("t/dt=1/x.json", '{"id": 1, "v": 1}\n')
    writer.put("t/dt=2/x.json", '{"id": 2, "v": 2}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name)
    writer.put("t/dt=3/x.json", '{"id": 3, "v": 2.5}\n')
    result = helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, explain=True)
    assert result.metrics.tables_updated == 1
    assert result.metrics.partitions_added == 1
    assert result.metrics.partitions_updated == 2
    table = catalog_store.get_table(db_name, "t")
    assert {c.name: c.type for c in table.columns} == {"id": "int", "v": "double"}
    for p in catalog_store.list_partitions(db_name, "t"):
        assert {c.name: c.type for c in p.storage_descriptor.columns} == {"id": "int", "v": "double"}
    assert len(catalog_store.get_table_versions(db_name, "t")) == 2
    assert "update table t: columns v int→double" in "\n".join(result.explain.section("plan"))
    assert "v: int + double → double" in "\n".join(result.explain.section("widening"))


def test_update_keeps_parameters_set_by_users(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("t/x.json", '{"id": 1}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name)
    table = catalog_store.get_table(db_name, "t")
    catalog_store.update_table(table.with_parameters(owner_team="ml"))
    writer.put("t/y.json", '{"id": 2, "new": "x"}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name)
    table = catalog_store.get_table(db_name, "t")
    assert table.parameters["owner_team"] == "ml"
    assert [c.name for c in table.columns] == ["id", "new"]


def test_log_keeps_the_schema_but_still_adds_partitions(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("t/dt=1/x.json", '{"id": 1, "v": 1}\n')
    writer.put("t/dt=2/x.json", '{"id": 2, "v": 2}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, update_behavior="LOG")
    writer.put("t/dt=3/x.json", '{"id": 3, "v": 2.5}\n')
    result = helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, update_behavior="LOG", explain=True)
    assert result.metrics.tables_updated == 0 and result.metrics.partitions_added == 1
    assert {c.name: c.type for c in catalog_store.get_table(db_name, "t").columns} == {"id": "int", "v": "int"}
    new = catalog_store.get_partition(db_name, "t", ["3"])
    assert {c.name: c.type for c in new.storage_descriptor.columns} == {"id": "int", "v": "int"}
    assert "UpdateBehavior LOG keeps it" in "\n".join(result.explain.section("plan"))


@pytest.mark.parametrize(
    ("behavior", "still_there", "deprecated"),
    [("DEPRECATE_IN_DATABASE", True, True), ("DELETE_FROM_DATABASE", False, False), ("LOG", True, False)],
)
def test_delete_behaviour_for_tables_whose_data_is_gone(
    lake: Any,
    writer: Any,
    catalog_store: Any,
    db_name: str,
    helpers: Any,
    behavior: str,
    still_there: bool,
    deprecated: bool,
) -> None:
    _three_tables(writer)
    helpers.crawl(catalog_store, lake, [writer.uri()], db_name, delete_behavior=behavior)
    # c is now excluded: the crawl no longer finds it, but its data stays in the lake
    result = helpers.crawl(catalog_store, lake, [writer.uri()], db_name, delete_behavior=behavior, exclusions=["c/**"])
    assert catalog_store.table_exists(db_name, "c") is still_there
    if still_there:
        params = catalog_store.get_table(db_name, "c").parameters
        assert ("DEPRECATED_BY_CRAWLER" in params) is deprecated
    assert result.metrics.tables_deprecated == int(deprecated)
    assert result.metrics.tables_deleted == int(not still_there)
    assert lake.filesystem().get_file_info(lake.fs_path(writer.uri("c/x.json"))).size > 0
    assert catalog_store.table_exists(db_name, "a") and catalog_store.table_exists(db_name, "b")


def test_only_the_crawlers_own_tables_are_deprecated(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _three_tables(writer)
    catalog_store.create_database(db_name)
    manual = Table.external(db_name, "manual", [("x", "int")], writer.uri("manual") + "/", "json")
    catalog_store.create_table(manual)
    helpers.crawl(catalog_store, lake, [writer.uri()], db_name)
    result = helpers.crawl(catalog_store, lake, [writer.uri()], db_name, exclusions=["c/**"])
    assert result.metrics.tables_deprecated == 1
    assert "DEPRECATED_BY_CRAWLER" not in catalog_store.get_table(db_name, "manual").parameters


def test_partitions_whose_folders_are_gone(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    for d in (1, 2, 3):
        writer.put(f"t/dt={d}/x.json", '{"id": 1}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name)
    writer.delete("t/dt=3/x.json")
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name)
    assert len(catalog_store.list_partitions(db_name, "t")) == 3  # DEPRECATE keeps partitions
    result = helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, delete_behavior="DELETE_FROM_DATABASE")
    assert result.metrics.partitions_deleted == 1
    assert [p.values for p in catalog_store.list_partitions(db_name, "t")] == [("1",), ("2",)]


def test_table_threshold_fails_the_crawl_and_writes_nothing(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _three_tables(writer)
    with pytest.raises(TableThresholdExceededError, match="found 3 tables, more than its table threshold 2"):
        helpers.crawl(catalog_store, lake, [writer.uri()], db_name, name="thr", table_threshold=2)
    assert not catalog_store.database_exists(db_name)
    runs = CrawlHistory(catalog_store).list("thr")
    assert [r.status for r in runs] == ["FAILED"] and "threshold" in (runs[0].error or "")
    ok = helpers.crawl(catalog_store, lake, [writer.uri()], db_name, name="thr", table_threshold=3)
    assert ok.metrics.tables_created == 3


def test_dry_run_explains_everything_and_writes_nothing(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("t/dt=1/x.csv", "name,n\nann,1\nbob,2\n")
    writer.put("t/dt=2/x.csv", "name,n\nann,1.5\nbob,2\n")
    writer.put("u/a.json", '{"a": 1}\n')
    result = helpers.crawl(catalog_store, lake, [writer.uri()], db_name, name="dry", dry_run=True, explain=True)
    assert not catalog_store.database_exists(db_name)
    assert CrawlHistory(catalog_store).list("dry") == []
    assert "dry" not in catalog_store.list_crawlers()
    text = result.explain.render()
    for heading in (
        "listing",
        "classification",
        "csv header",
        "widening",
        "grouping",
        "similarity",
        "partitions",
        "plan",
    ):
        assert f"== {heading} ==" in text
    assert "create table t: csv" in text and "add partitions to t: 2 partition(s)" in text
    assert "n: int + double → double" in text


def test_a_name_taken_at_another_location_gets_a_hash_suffix(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("events/x.json", '{"a": 1}\n')
    catalog_store.create_database(db_name)
    catalog_store.create_table(Table.external(db_name, "events", [("z", "int")], "s3://elsewhere/events/", "json"))
    result = helpers.crawl(catalog_store, lake, [writer.uri("events")], db_name)
    (name,) = [t.name for t in result.tables]
    assert name.startswith("events_") and len(name) == len("events_") + 8
    assert catalog_store.get_table(db_name, "events").location == "s3://elsewhere/events/"
    again = helpers.crawl(catalog_store, lake, [writer.uri("events")], db_name)
    assert [t.name for t in again.tables] == [name] and again.metrics.tables_created == 0


def test_table_prefix(lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any) -> None:
    writer.put("events/x.json", '{"a": 1}\n')
    helpers.crawl(catalog_store, lake, [writer.uri("events")], db_name, table_prefix="raw_")
    assert [t.name for t in catalog_store.list_tables(db_name)] == ["raw_events"]
