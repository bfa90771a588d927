"""``db.table`` names and resolving them through a store."""

from __future__ import annotations

import pytest

from catalog import CatalogError, EntityNotFoundError, InvalidInputError, Table, TableName
from catalog.names import looks_like_table_name, parse_table_name, resolve_table, table_location
from catalog.stores.base import CatalogStore


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bronze.heart", ("bronze", "heart")),
        ("Bronze.Heart", ("bronze", "heart")),
        ("`silver`.`vitals_daily`", ("silver", "vitals_daily")),
        (" gold.kpi ", ("gold", "kpi")),
    ],
)
def test_parse_table_name(text: str, expected: tuple[str, str]) -> None:
    assert parse_table_name(text) == TableName(*expected)
    assert str(parse_table_name(text)) == ".".join(expected)


def test_bare_name_needs_a_default_database() -> None:
    assert parse_table_name("heart", default_database="bronze") == ("bronze", "heart")
    with pytest.raises(InvalidInputError, match=r"expected DATABASE\.TABLE"):
        parse_table_name("heart")


@pytest.mark.parametrize("bad", ["a.b.c", ".t", "db.", "db.t t", ""])
def test_bad_names(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_table_name(bad)


def test_looks_like_table_name() -> None:
    assert looks_like_table_name("bronze.heart")
    assert not looks_like_table_name("bronze/heart")
    assert not looks_like_table_name("s3://lake/bronze.heart")
    assert not looks_like_table_name("/tmp/x.y")


def test_resolve_and_locate(catalog_store: CatalogStore, database: str) -> None:
    catalog_store.create_table(
        Table.external(database, "heart", [("id", "bigint")], "s3://lake/heart")
    )
    catalog_store.create_table(Table.view(database, "v", "SELECT 1", [("x", "int")]))
    assert resolve_table(catalog_store, f"{database}.heart").name == "heart"
    assert table_location(catalog_store, f"{database}.HEART") == "s3://lake/heart"
    with pytest.raises(CatalogError, match="is a view"):
        table_location(catalog_store, f"{database}.v")
    with pytest.raises(EntityNotFoundError, match="did you mean"):
        resolve_table(catalog_store, f"{database}.hart")
