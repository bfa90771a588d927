"""A training spec's source read through the catalog, with the lineage of exactly what was read.

``source = "db.table"`` reads a Delta (or raw) table, at ``source_version`` when given;
``source = "db.view"`` and ``sql = "SELECT …"`` are compiled by the SQL engine's resolver. The
SQL of a view (or the inline SQL) is *expanded* first: every view it reads, nested ones too,
is inlined as a subquery (each translated to Spark SQL from its own dialect), so the recorded
SQL names only tables and does not change when a view is redefined later. The resolver then
records every table read with its URI and Delta version (raw tables: the partitions read).

:func:`resolve_lineage` reads a recorded :class:`~lake.ml.tracking.Lineage` again: the same
expanded SQL with every Delta table pinned to its recorded version (Delta time travel).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from catalog.locations import same_location
from catalog.ml.errors import TrainingSourceError
from catalog.names import TableName, parse_table_name
from catalog.sql.dialect import parse_sql, to_spark_sql
from catalog.sql.errors import ViewError
from catalog.sql.query import compile_query, qualify_names
from catalog.sql.resolve import Resolver, TableInfo, TimeTravel, view_sql
from catalog.sql.statements import StatementText, table_name_of
from lake.ml.tracking import Lineage, TableVersion
from lake.storage import uris

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.ml.spec import TrainSpec
    from lake.storage import StorageProfile

__all__ = ["SQL_SOURCE", "TrainingSource", "expand_sql", "resolve_lineage", "resolve_source"]

SQL_SOURCE = "(sql)"  # Lineage.source of a spec with inline sql
_MAX_VIEW_DEPTH = 32


@dataclass(frozen=True)
class TrainingSource:
    """The DataFrame a spec trains on and what it read."""

    df: DataFrame
    lineage: Lineage
    kind: str  # table | view | sql

    @property
    def tables(self) -> list[str]:
        """The catalog names of every table read (what the quality gate checks)."""
        return [t.name for t in self.lineage.tables]


def resolve_source(
    spec: TrainSpec,
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    *,
    delta: DeltaTableStore | None = None,
    default_database: str = "default",
) -> TrainingSource:
    """Read ``spec.source`` (table or view; ``source_version`` for a table) or ``spec.sql``."""
    resolver = Resolver(spark, store, profile, delta=delta, default_database=default_database)
    if spec.sql is not None:
        expanded = expand_sql(spec.sql, store, database=default_database)
        df = _compile(expanded, resolver, default_database)
        return TrainingSource(df, _lineage(resolver, SQL_SOURCE, expanded, None), "sql")
    assert spec.source is not None
    name = parse_table_name(spec.source, default_database=default_database)
    info = resolver.describe(name)
    if info.kind == "view":
        if spec.source_version is not None:
            raise TrainingSourceError(source=str(name), reason="source_version (Delta time travel) applies to a "
                                      "table; this is a view: pin its tables with --reproduce, or read a table")
        sql, dialect, database = view_sql(info.table)
        expanded = _expand(sql, dialect, database, store, (str(name),))
        df = _compile(expanded, resolver, database)
        return TrainingSource(df, _lineage(resolver, str(name), expanded, None), "view")
    if spec.source_version is not None:
        if info.kind != "delta":
            raise TrainingSourceError(source=str(name), reason=f"source_version needs a Delta table; this is a "
                                      f"{info.kind} table")
        info = resolver.describe(name, TimeTravel(version=spec.source_version))
    df = resolver.dataframe(info)
    return TrainingSource(df, _lineage(resolver, str(name), None, spec.source_version), "table")


def resolve_lineage(
    lineage: Lineage,
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    *,
    delta: DeltaTableStore | None = None,
) -> TrainingSource:
    """Read again exactly what ``lineage`` records: its SQL, each Delta table at its recorded version."""
    resolver = _PinnedResolver(spark, store, profile, delta=delta, pins={t.name: t for t in lineage.tables})
    if lineage.expanded_sql is not None:
        df = _compile(lineage.expanded_sql, resolver, "default")
        kind = "sql" if lineage.source == SQL_SOURCE else "view"
        return TrainingSource(df, _lineage(resolver, lineage.source, lineage.expanded_sql, None), kind)
    name = parse_table_name(lineage.source)
    df = resolver.dataframe(resolver.describe(name))
    return TrainingSource(df, _lineage(resolver, lineage.source, None, lineage.source_version), "table")


def expand_sql(sql: str, store: CatalogStore, *, dialect: str = "spark", database: str = "default") -> str:
    """``sql`` as Spark SQL with every view it reads (recursively) inlined as a subquery."""
    return _expand(sql, dialect, database, store, ())


def _expand(sql: str, dialect: str, database: str, store: CatalogStore, trail: tuple[str, ...]) -> str:
    if len(trail) > _MAX_VIEW_DEPTH:
        raise ViewError(trail[0], f"views nest deeper than {_MAX_VIEW_DEPTH} levels")
    ast = qualify_names(parse_sql(sql, dialect), database)
    for node in list(ast.find_all(exp.Table)):
        if not isinstance(node.this, exp.Identifier) or not node.db:
            continue  # a CTE name or a table-valued function
        name = table_name_of(node, database)
        if not store.table_exists(name.database, name.table):
            continue  # the resolver reports unknown names with suggestions
        table = store.get_table(name.database, name.table)
        if not table.is_view:
            continue
        if str(name) in trail:
            raise ViewError(str(name), f"views refer to each other in a cycle: {' → '.join([*trail, str(name)])}")
        inner_sql, inner_dialect, inner_db = view_sql(table)
        inner = parse_sql(_expand(inner_sql, inner_dialect, inner_db, store, (*trail, str(name))), "spark")
        alias = node.alias or name.table
        node.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return to_spark_sql(ast, dialect)


def _compile(sql: str, resolver: Resolver, database: str) -> DataFrame:
    return compile_query(parse_sql(sql, "spark"), resolver, source=StatementText(sql), dialect="spark",
                         default_database=database).df


def _lineage(resolver: Resolver, source: str, expanded: str | None, version: int | None) -> Lineage:
    tables = []
    for table in resolver.sources.values():
        if table.kind == "view":
            continue
        location = table.location or ""
        partitions = None if table.kind == "delta" else _partitions(resolver, location)
        tables.append(TableVersion(table.name, location, table.version, partitions))
    return Lineage(source=source, expanded_sql=expanded, tables=tuple(tables), source_version=version)


def _partitions(resolver: Resolver, location: str) -> tuple[str, ...]:
    """Hive-style partition paths (``year=2026/month=11``) of the raw files read under ``location``."""
    root = uris.to_native(location).rstrip("/") + "/"
    found = set()
    for scanned in resolver.scanned:
        path = uris.to_native(scanned.path)
        if path.startswith(root):
            folder = posixpath.dirname(path[len(root):])
            parts = [p for p in folder.split("/") if "=" in p]
            if parts:
                found.add("/".join(parts))
    return tuple(sorted(found))


class _PinnedResolver(Resolver):
    """A resolver that reads each pinned Delta table at its recorded version (and refuses a moved table)."""

    def __init__(self, *args: Any, pins: Mapping[str, TableVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pins = dict(pins)

    def describe(self, name: TableName, travel: TimeTravel = TimeTravel(),
                 where: tuple[int, int] | None = None) -> TableInfo:
        pin = self.pins.get(str(name))
        if pin is not None and pin.version is not None and not travel:
            travel = TimeTravel(version=pin.version)
        info = super().describe(name, travel, where)
        if pin is not None and info.kind != "view" and pin.uri and not same_location(info.table.location, pin.uri):
            raise TrainingSourceError(source=str(name), reason=f"is now registered at {info.table.location}, but "
                                      f"the model read it at {pin.uri}; register the table there again to reproduce")
        return info
