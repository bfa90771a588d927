"""``db.table`` names: parse them and resolve them through a catalog store."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from catalog.errors import CatalogError, InvalidInputError
from catalog.model import Table
from catalog.validation import validate_name

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore

__all__ = [
    "DEFAULT_DATABASE",
    "WAREHOUSE_DIR",
    "TableName",
    "looks_like_table_name",
    "managed_location",
    "parse_table_name",
    "resolve_table",
    "table_location",
]

DEFAULT_DATABASE = "default"
WAREHOUSE_DIR = "warehouse"


class TableName(NamedTuple):
    """A qualified table name (both parts lower-cased, as Glue stores them)."""

    database: str
    table: str

    def __str__(self) -> str:
        return f"{self.database}.{self.table}"


def parse_table_name(name: str, *, default_database: str | None = None) -> TableName:
    """``"Bronze.Heart"`` → ``TableName("bronze", "heart")``.

    Back-quoted parts (```bronze`.`heart```) are accepted. A bare ``table`` needs
    ``default_database``; anything else raises :class:`InvalidInputError`.
    """
    text = (name or "").strip()
    parts = [p.strip().strip("`") for p in text.split(".")]
    if len(parts) == 1 and default_database:
        parts = [default_database, parts[0]]
    if len(parts) != 2 or not all(parts):
        raise InvalidInputError(f"expected DATABASE.TABLE, got {name!r}", field="table name", value=name)
    try:
        return TableName(validate_name("database", parts[0]), validate_name("table", parts[1]))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name!r}: {exc}", field="table name", value=name) from None


def looks_like_table_name(text: str) -> bool:
    """True for ``db.table`` (and not a path or URI): lets CLIs accept either."""
    if "/" in text or "\\" in text or "://" in text:
        return False
    try:
        parse_table_name(text)
    except InvalidInputError:
        return False
    return True


def resolve_table(
    store: CatalogStore, name: str | TableName, *, default_database: str | None = None
) -> Table:
    """The catalog table named ``db.table`` (EntityNotFoundError with suggestions if absent)."""
    tn = (
        name
        if isinstance(name, TableName)
        else parse_table_name(name, default_database=default_database)
    )
    return store.get_table(tn.database, tn.table)


def table_location(
    store: CatalogStore, name: str | TableName, *, default_database: str | None = None
) -> str:
    """The storage URI of table ``db.table`` (views have none → CatalogError)."""
    table = resolve_table(store, name, default_database=default_database)
    if not table.location:
        what = "a view" if table.is_view else "a table without a location"
        raise CatalogError(f"{table.qualified_name} is {what}; it has no storage location")
    return table.location


def managed_location(store: CatalogStore, name: TableName, lake_uri: str) -> str:
    """Where a new table we create lives: under its database's LocationUri if it has one,
    else ``<lake>/warehouse/<db>/<table>``."""
    from lake.storage import uris

    if store.database_exists(name.database):
        location = store.get_database(name.database).location_uri
        if location:
            return uris.join(location, name.table)
    return uris.join(lake_uri, WAREHOUSE_DIR, name.database, name.table)
