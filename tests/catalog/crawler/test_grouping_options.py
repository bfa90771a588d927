"""Grouping options end to end: Glue's default grouping, TableLevelConfiguration and
CombineCompatibleSchemas, on both profiles and both catalog stores."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.crawler.runner import include_level

pytestmark = pytest.mark.moto


def _two_datasets(writer: Any) -> None:
    writer.put("sales/2024/x.json", '{"id": 1, "amount": 2.5}\n')
    writer.put("sales/2025/x.json", '{"id": 2, "amount": 3}\n')
    writer.put("refunds/2024/x.json", '{"id": 1, "amount": 1}\n')


def test_similar_datasets_under_the_include_path_become_one_table_like_glue(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _two_datasets(writer)
    result = helpers.crawl(catalog_store, lake, [writer.uri()], db_name)
    (table,) = catalog_store.list_tables(db_name)
    assert table.name == writer.uri().rstrip("/").rpartition("/")[2].replace("-", "_")
    assert [k.name for k in table.partition_keys] == ["partition_0", "partition_1"]
    assert result.metrics.partitions_added == 3


def test_table_level_makes_every_folder_at_that_level_a_table(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _two_datasets(writer)
    level = include_level(writer.uri()) + 1
    helpers.crawl(catalog_store, lake, [writer.uri()], db_name, table_level=level)
    tables = {t.name: t for t in catalog_store.list_tables(db_name)}
    assert set(tables) == {"sales", "refunds"}
    assert [k.name for k in tables["sales"].partition_keys] == ["partition_0"]
    assert {c.name: c.type for c in tables["sales"].columns} == {"id": "int", "amount": "double"}


def test_combine_compatible_schemas_merges_dissimilar_siblings(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    writer.put("t/a/x.json", '{"id": 1, "p": 1, "q": 2}\n')
    writer.put("t/b/x.json", '{"id": 1, "r": 1, "s": 2}\n')
    separate = helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, name="sep", dry_run=True)
    assert sorted(t.name for t in separate.tables) == ["a", "b"]
    helpers.crawl(catalog_store, lake, [writer.uri("t")], db_name, combine_compatible_schemas=True)
    (table,) = catalog_store.list_tables(db_name)
    assert table.name == "t"
    assert [c.name for c in table.columns] == ["id", "p", "q", "r", "s"]
