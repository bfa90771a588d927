"""The catalog-store protocol every backend implements, and the helpers they share.

Names: database and table names are validated and lower-cased (as Glue does) on every call,
so ``get_table("Bronze", "Heart")`` finds ``bronze.heart``.

Versions: ``create_table`` stores the first version; every ``update_table`` keeps the
previous one. ``version_id`` strings are integers increasing by one per update (the
embedded store starts at ``"0"`` like AWS, moto starts at ``"1"``; never assume the first
number). ``update_table(expected_version=…)`` fails with
:class:`~catalog.errors.ConcurrentModificationError` if another writer got there first.

Partitions: ``values`` are strings in partition-key order. ``list_partitions`` takes a
Glue ``Expression`` (``year = '2024' AND month > '06'``; ``= <> != < <= > >= AND OR NOT
IN BETWEEN LIKE IS [NOT] NULL``, compared by the partition key's type) and/or ``values``,
a ``{key: value}`` equality filter.

Meta collections (JSON payloads, not part of the Glue model; the ``glue`` store keeps them
in the ``lakeforge_meta`` Glue database):

- documents by name: ``put/get/list/delete_document(collection, name, …)``; the named
  wrappers ``*_crawler`` (collection ``crawlers``) and ``*_saved_query``
  (``saved_queries``);
- append-only events per key: ``append_event(collection, key, payload)`` /
  ``list_events(collection, key, limit=)`` (oldest first; ``limit`` keeps the newest);
  wrappers ``append_crawl_run`` / ``list_crawl_runs`` (collection ``crawl_history``).

Errors: :class:`~catalog.errors.EntityNotFoundError` (with suggestions),
:class:`~catalog.errors.AlreadyExistsError`, :class:`~catalog.errors.InvalidInputError`,
:class:`~catalog.errors.ConcurrentModificationError`,
:class:`~catalog.errors.CatalogUnavailableError`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, Self, runtime_checkable

from catalog.errors import EntityNotFoundError, InvalidInputError
from catalog.model import Database, Partition, Table, TableVersion
from catalog.validation import validate_name

__all__ = [
    "CRAWLERS",
    "CRAWL_HISTORY",
    "SAVED_QUERIES",
    "CatalogStore",
    "StoreBase",
]

CRAWLERS = "crawlers"
SAVED_QUERIES = "saved_queries"
CRAWL_HISTORY = "crawl_history"


@runtime_checkable
class CatalogStore(Protocol):
    """A Glue-shaped catalog. Implementations: ``embedded`` (SQLite) and ``glue`` (boto3)."""

    name: str

    # ---- databases
    def create_database(self, database: Database | str, *, exist_ok: bool = False) -> Database:
        """Create a database; with ``exist_ok`` return the existing one instead of failing."""
        ...

    def get_database(self, name: str) -> Database: ...

    def database_exists(self, name: str) -> bool: ...

    def list_databases(self) -> list[Database]:
        """All databases sorted by name (the meta database of the glue store excluded)."""
        ...

    def delete_database(self, name: str) -> None:
        """Delete a database with all its tables, versions and partitions."""
        ...

    # ---- tables
    def create_table(self, table: Table) -> Table:
        """Create ``table`` (its database must exist); returns it as stored."""
        ...

    def get_table(self, database: str, name: str) -> Table: ...

    def table_exists(self, database: str, name: str) -> bool: ...

    def list_tables(self, database: str) -> list[Table]:
        """All tables and views of ``database`` sorted by name."""
        ...

    def update_table(self, table: Table, *, expected_version: str | None = None) -> Table:
        """Replace the table definition, keeping the previous one as a version."""
        ...

    def put_table(self, table: Table) -> Table:
        """Create ``table`` or, if it exists, update it (a new version)."""
        ...

    def delete_table(self, database: str, name: str) -> None:
        """Delete a table with its versions and partitions."""
        ...

    def get_table_versions(self, database: str, name: str) -> list[TableVersion]:
        """Every kept version, newest first."""
        ...

    def get_table_version(self, database: str, name: str, version_id: str) -> TableVersion: ...

    # ---- partitions
    def create_partition(self, database: str, table: str, partition: Partition) -> Partition: ...

    def batch_create_partitions(
        self, database: str, table: str, partitions: Sequence[Partition], *, exist_ok: bool = False
    ) -> int:
        """Create many partitions atomically per batch; returns how many were created.

        Without ``exist_ok`` an existing partition raises AlreadyExistsError; with it,
        existing ones are skipped (not counted).
        """
        ...

    def get_partition(self, database: str, table: str, values: Sequence[str]) -> Partition: ...

    def list_partitions(
        self,
        database: str,
        table: str,
        *,
        expression: str | None = None,
        values: Mapping[str, str] | None = None,
    ) -> list[Partition]:
        """Partitions (sorted by values) matching a Glue expression and/or key=value filter."""
        ...

    def update_partition(
        self, database: str, table: str, values: Sequence[str], partition: Partition
    ) -> Partition:
        """Replace the partition ``values`` with ``partition`` (whose values may differ)."""
        ...

    def delete_partition(self, database: str, table: str, values: Sequence[str]) -> None: ...

    def batch_delete_partitions(
        self, database: str, table: str, values_list: Sequence[Sequence[str]]
    ) -> int:
        """Delete partitions that exist; returns how many were deleted."""
        ...

    # ---- meta collections
    def put_document(self, collection: str, name: str, payload: Mapping[str, Any]) -> None: ...

    def get_document(self, collection: str, name: str) -> dict[str, Any]: ...

    def list_documents(self, collection: str) -> dict[str, dict[str, Any]]:
        """``{name: payload}`` sorted by name."""
        ...

    def delete_document(self, collection: str, name: str) -> None: ...

    def append_event(self, collection: str, key: str, payload: Mapping[str, Any]) -> None: ...

    def list_events(
        self, collection: str, key: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]: ...

    # ---- named meta wrappers
    def put_crawler(self, name: str, definition: Mapping[str, Any]) -> None: ...

    def get_crawler(self, name: str) -> dict[str, Any]: ...

    def list_crawlers(self) -> dict[str, dict[str, Any]]: ...

    def delete_crawler(self, name: str) -> None: ...

    def append_crawl_run(self, crawler: str, run: Mapping[str, Any]) -> None: ...

    def list_crawl_runs(
        self, crawler: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]: ...

    def put_saved_query(self, name: str, query: Mapping[str, Any]) -> None: ...

    def get_saved_query(self, name: str) -> dict[str, Any]: ...

    def list_saved_queries(self) -> dict[str, dict[str, Any]]: ...

    def delete_saved_query(self, name: str) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


_KIND_NAMES = {CRAWLERS: "crawler", SAVED_QUERIES: "saved query", CRAWL_HISTORY: "crawl history"}


class StoreBase(ABC):
    """Behaviour shared by every backend: name checks, put_table, the named wrappers."""

    name: str = ""

    # ---- to implement
    @abstractmethod
    def get_table(self, database: str, name: str) -> Table: ...

    @abstractmethod
    def create_table(self, table: Table) -> Table: ...

    @abstractmethod
    def update_table(self, table: Table, *, expected_version: str | None = None) -> Table: ...

    @abstractmethod
    def get_database(self, name: str) -> Database: ...

    @abstractmethod
    def put_document(self, collection: str, name: str, payload: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def get_document(self, collection: str, name: str) -> dict[str, Any]: ...

    @abstractmethod
    def list_documents(self, collection: str) -> dict[str, dict[str, Any]]: ...

    @abstractmethod
    def delete_document(self, collection: str, name: str) -> None: ...

    @abstractmethod
    def append_event(self, collection: str, key: str, payload: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def list_events(
        self, collection: str, key: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]: ...

    # ---- shared
    def database_exists(self, name: str) -> bool:
        try:
            self.get_database(name)
        except EntityNotFoundError:
            return False
        return True

    def table_exists(self, database: str, name: str) -> bool:
        try:
            self.get_table(database, name)
        except EntityNotFoundError:
            return False
        return True

    def put_table(self, table: Table) -> Table:
        if self.table_exists(table.database_name, table.name):
            return self.update_table(table)
        return self.create_table(table)

    def put_crawler(self, name: str, definition: Mapping[str, Any]) -> None:
        self.put_document(CRAWLERS, name, definition)

    def get_crawler(self, name: str) -> dict[str, Any]:
        return self.get_document(CRAWLERS, name)

    def list_crawlers(self) -> dict[str, dict[str, Any]]:
        return self.list_documents(CRAWLERS)

    def delete_crawler(self, name: str) -> None:
        self.delete_document(CRAWLERS, name)

    def append_crawl_run(self, crawler: str, run: Mapping[str, Any]) -> None:
        self.append_event(CRAWL_HISTORY, crawler, run)

    def list_crawl_runs(self, crawler: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        return self.list_events(CRAWL_HISTORY, crawler, limit=limit)

    def put_saved_query(self, name: str, query: Mapping[str, Any]) -> None:
        self.put_document(SAVED_QUERIES, name, query)

    def get_saved_query(self, name: str) -> dict[str, Any]:
        return self.get_document(SAVED_QUERIES, name)

    def list_saved_queries(self) -> dict[str, dict[str, Any]]:
        return self.list_documents(SAVED_QUERIES)

    def delete_saved_query(self, name: str) -> None:
        self.delete_document(SAVED_QUERIES, name)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (no-op by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- helpers


def db_name(name: str) -> str:
    return validate_name("database", name)


def table_name(name: str) -> str:
    return validate_name("table", name)


def kind_name(collection: str) -> str:
    """Human name of a meta collection's entries, for error messages."""
    return _KIND_NAMES.get(collection, collection)


def check_document(collection: str, name: str, payload: Mapping[str, Any] | None = None) -> str:
    """Validate a collection/name pair (and that ``payload`` is JSON); returns the JSON text."""
    if (
        not collection
        or not collection.replace("_", "").isalnum()
        or collection != collection.lower()
    ):
        raise InvalidInputError(
            "must be lower-case letters, digits and '_'", field=f"collection {collection!r}"
        )
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidInputError(
            "must be 1-255 characters", field=f"{kind_name(collection)} name", value=name
        )
    if payload is None:
        return ""
    if not isinstance(payload, Mapping):
        raise InvalidInputError(
            "payload must be a JSON object", field=f"{kind_name(collection)} {name!r}"
        )
    try:
        return json.dumps(dict(payload), sort_keys=True, default=str)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"payload is not JSON-serialisable: {exc}", field=f"{kind_name(collection)} {name!r}"
        ) from None


def values_key(values: Sequence[str]) -> str:
    """A stable text key for partition values."""
    return json.dumps([str(v) for v in values])


def check_values(table: Table, values: Sequence[str]) -> tuple[str, ...]:
    """Partition ``values`` as strings, checked against the table's partition keys."""
    vals = tuple(str(v) for v in values)
    if len(vals) != len(table.partition_keys):
        raise InvalidInputError(
            f"{len(vals)} value(s) {list(vals)} for {len(table.partition_keys)} partition key(s) "
            f"{[k.name for k in table.partition_keys]}",
            field=f"partition of {table.qualified_name}",
        )
    return vals


def partition_name(table: Table, values: Sequence[str]) -> str:
    """``db.table/k1=v1/k2=v2`` for messages."""
    parts = "/".join(f"{k.name}={v}" for k, v in zip(table.partition_keys, values, strict=False))
    return f"{table.qualified_name}/{parts}"


def _typed(glue_type: str, value: str) -> tuple[int, Any]:
    base = glue_type.split("(", 1)[0].strip().lower()
    if base in ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal"):
        try:
            return (0, float(value))
        except ValueError:
            pass
    return (1, value)


def sort_partitions(table: Table, partitions: Sequence[Partition]) -> list[Partition]:
    """Partitions ordered by their values, numeric keys compared as numbers."""
    types = [k.type for k in table.partition_keys]

    def key(p: Partition) -> tuple[tuple[int, Any], ...]:
        return tuple(_typed(t, v) for t, v in zip(types, p.values, strict=False))

    return sorted(partitions, key=key)


def values_filter(
    table: Table, expression: str | None, values: Mapping[str, str] | None
) -> Callable[[Sequence[str]], bool]:
    """One predicate for ``list_partitions``' ``expression`` and ``values`` arguments."""
    from catalog.stores.expression import compile_expression

    checks: list[Callable[[Sequence[str]], bool]] = []
    if expression and expression.strip():
        checks.append(compile_expression(expression, table.partition_keys))
    if values:
        names = [k.name.lower() for k in table.partition_keys]
        wanted: list[tuple[int, str]] = []
        for key, value in values.items():
            if key.lower() not in names:
                raise InvalidInputError(
                    f"{key!r} is not a partition key of {table.qualified_name}; "
                    f"partition keys: {', '.join(k.name for k in table.partition_keys) or 'none'}",
                    field="values",
                )
            wanted.append((names.index(key.lower()), str(value)))
        checks.append(lambda v: all(v[i] == want for i, want in wanted))
    return lambda v: all(check(v) for check in checks)
