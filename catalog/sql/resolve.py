"""Catalog names → Spark DataFrames: the only way the SQL engine (and the SQL endpoint) finds data.

A name ``db.table`` is looked up in the catalog store, never guessed from a path:

- Delta tables (``table_type=DELTA``) are read through their Delta snapshot with the table
  store: partition pruning and min/max file skipping from the log, optionally at a version
  or a timestamp (time travel);
- raw JSON/CSV/Parquet/ORC tables are read with their catalog schema, SerDe options and
  partitions (partition columns present and prunable), see :mod:`catalog.sql.raw`;
- views (``VIRTUAL_VIEW``) are compiled from their stored SQL, recursively (cycles fail).

A :class:`Resolver` lives for one statement: it caches catalog lookups and snapshots and
records every file it will scan (``scanned``, sizes included) and every source table with
its Delta version (``sources``, the lineage of what the statement read). Across statements
an engine's :class:`FrameCache` keeps views and open Delta snapshots, checked against the
Delta log on every statement (a new commit or a recreated table is never served stale).

For one table, :func:`resolve_dataframe` is the short form::

    df = resolve_dataframe(spark, store, profile, "silver.vitals", version=3)
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from catalog.errors import EntityNotFoundError
from catalog.model import Param, Table
from catalog.names import TableName
from catalog.sql.errors import (
    SqlError,
    UnknownColumnError,
    UnknownDatabaseError,
    UnknownTableError,
    UnsupportedSqlError,
    ViewError,
)
from catalog.sql.pushdown import Filter
from catalog.sql.raw import ScannedFile, plan_raw_table, raw_format
from catalog.types import from_arrow
from lake.storage import uris

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.delta.snapshots import SnapshotCache
    from lake.storage import StorageProfile

__all__ = [
    "VIEW_DIALECT_PARAM",
    "FrameCache",
    "Resolver",
    "Scan",
    "ScannedFile",
    "SourceTable",
    "TableInfo",
    "TimeTravel",
    "parse_timestamp",
    "resolve_dataframe",
    "table_kind",
]

VIEW_DIALECT_PARAM = "lakeforge.view.dialect"
_PRESTO_VIEW = "/* Presto View: "


def table_kind(table: Table) -> str:
    """``view``, ``delta`` or the raw file format (``parquet``, ``json``, ``csv``, ``orc``)."""
    if table.is_view:
        return "view"
    params = {k.lower(): str(v).lower() for k, v in table.parameters.items()}
    if (params.get(Param.TABLE_TYPE.lower()) == "delta" or params.get(Param.CLASSIFICATION) == "delta"
            or params.get(Param.SPARK_PROVIDER) == "delta"):
        return "delta"
    return raw_format(table)


def parse_timestamp(value: str | datetime) -> datetime:
    """A time-travel timestamp: ISO-8601 text or a datetime; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise SqlError(f"TIMESTAMP AS OF {value!r}: not a timestamp (use 'YYYY-MM-DD HH:MM:SS')") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TimeTravel:
    """``VERSION AS OF n`` or ``TIMESTAMP AS OF t`` (both unset: the latest snapshot)."""

    version: int | None = None
    timestamp: datetime | None = None

    def __bool__(self) -> bool:
        return self.version is not None or self.timestamp is not None

    def __str__(self) -> str:
        if self.version is not None:
            return f"VERSION AS OF {self.version}"
        if self.timestamp is not None:
            return f"TIMESTAMP AS OF '{self.timestamp.isoformat()}'"
        return "latest"


@dataclass(frozen=True)
class SourceTable:
    """A catalog table or view a statement read (lineage)."""

    name: str
    kind: str
    location: str | None = None
    version: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.name, "kind": self.kind}
        if self.location:
            out["location"] = self.location
        if self.version is not None:
            out["version"] = self.version
        return out


@dataclass(frozen=True)
class Scan:
    """One table read of a statement: files and bytes after pruning, and the filters used."""

    name: str
    kind: str
    version: int | None
    files: int
    bytes: int
    total_files: int | None
    filters: tuple[Filter, ...] = ()


@dataclass
class TableInfo:
    """A resolved name before reading: the catalog entry, its kind and columns."""

    name: TableName
    table: Table
    kind: str
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    travel: TimeTravel = field(default_factory=TimeTravel)
    snapshot: Any = None  # a deltalake DeltaTable, possibly shared through a cache: read it, never mutate it

    @property
    def version(self) -> int | None:
        return int(self.snapshot.version()) if self.snapshot is not None else None


class FrameCache:
    """What resolvers reuse across statements: temporary views over tables, and Delta snapshots.

    The key of a view is what it reads: a Delta table's root, table id, snapshot version and
    pruned file list, or a raw table's catalog definition and listed files with sizes. A new
    Delta version, a recreated table, a catalog change or a new file gives a new key, so a
    cached view is never stale; reusing one skips rebuilding the Spark relation (its file
    index) for every statement. ``snapshots`` (optional) keeps open Delta snapshots, checked
    against the log on every statement (:class:`~lake.delta.snapshots.SnapshotCache`).
    """

    def __init__(self, spark: SparkSession, size: int = 128, *, snapshots: SnapshotCache | None = None) -> None:
        self.spark = spark
        self.size = size
        self.snapshots = snapshots
        self._views: OrderedDict[tuple[Any, ...], str] = OrderedDict()

    def view(self, key: tuple[Any, ...], build: Callable[[], DataFrame]) -> str:
        """The view name for ``key``, building and registering the DataFrame on a miss."""
        if key in self._views:
            self._views.move_to_end(key)
            return self._views[key]
        name = f"_lf_cached_{uuid.uuid4().hex[:12]}"
        build().createOrReplaceTempView(name)
        self._views[key] = name
        while len(self._views) > self.size:
            _, old = self._views.popitem(last=False)
            self.spark.catalog.dropTempView(old)
        return name

    def clear(self) -> None:
        """Drop every cached view."""
        while self._views:
            _, name = self._views.popitem()
            self.spark.catalog.dropTempView(name)


class Resolver:
    """Resolves catalog names to DataFrames for one statement and records what they scan."""

    def __init__(
        self,
        spark: SparkSession,
        store: CatalogStore,
        profile: StorageProfile,
        *,
        delta: DeltaTableStore | None = None,
        default_database: str = "default",
        cache: FrameCache | None = None,
        snapshots: SnapshotCache | None = None,
    ) -> None:
        from lake.delta import DeltaTableStore

        self.spark = spark
        self.store = store
        self.profile = profile
        self.delta = delta or DeltaTableStore(spark, profile)
        self.default_database = default_database
        self.scanned: list[ScannedFile] = []
        self.sources: dict[str, SourceTable] = {}
        self.scans: list[Scan] = []
        self.cache = cache
        self.snapshots = snapshots if snapshots is not None else (cache.snapshots if cache is not None else None)
        self._temp_views: list[str] = []
        self._tables: dict[TableName, Table] = {}
        self._infos: dict[tuple[TableName, TimeTravel], TableInfo] = {}
        self._views: list[str] = []

    # ------------------------------------------------------------------ stats
    @property
    def bytes_scanned(self) -> int:
        return sum(f.size for f in self.scanned)

    @property
    def files_scanned(self) -> int:
        return len(self.scanned)

    # ----------------------------------------------------------------- lookup
    def table(self, name: TableName, where: tuple[int, int] | None = None) -> Table:
        """The catalog entry for ``name`` (unknown names fail with suggestions)."""
        if name in self._tables:
            return self._tables[name]
        line, col = where or (None, None)
        try:
            table = self.store.get_table(name.database, name.table)
        except EntityNotFoundError as exc:
            if exc.kind == "database":
                elsewhere = [] if exc.suggestions else self._elsewhere(name)
                if elsewhere:
                    raise UnknownTableError(str(name), elsewhere, line, col,
                                            hint=f"there is no database {name.database!r}") from None
                raise UnknownDatabaseError(name.database, exc.suggestions, line, col) from None
            suggestions = list(exc.suggestions) or self._elsewhere(name)
            raise UnknownTableError(str(name), suggestions, line, col) from None
        self._tables[name] = table
        return table

    def _elsewhere(self, name: TableName) -> list[str]:
        """``db.table`` names of tables called ``name.table`` in other databases (for hints)."""
        found = []
        for db in self.store.list_databases()[:50]:
            if db.name != name.database and self.store.table_exists(db.name, name.table):
                found.append(f"{db.name}.{name.table}")
        return found[:3]

    def describe(
        self, name: TableName, travel: TimeTravel = TimeTravel(), where: tuple[int, int] | None = None
    ) -> TableInfo:
        """Catalog entry, kind and columns of ``name`` (a Delta snapshot opened at ``travel``)."""
        key = (name, travel)
        if key in self._infos:
            return self._infos[key]
        table = self.table(name, where)
        kind = table_kind(table)
        snapshot = None
        if kind == "delta":
            snapshot = self._snapshot(name, table, travel)
            schema = pa.schema(snapshot.schema().to_arrow())
            columns = {f.name.lower(): (f.name, from_arrow(f.type)) for f in schema}
        else:
            if travel:
                raise UnsupportedSqlError(
                    f"{travel} on {name}", f"time travel needs a Delta table; {name} is a {kind} "
                    f"{'view' if kind == 'view' else 'table'}", *(where or (None, None)),
                )
            columns = {c.name.lower(): (c.name, c.type) for c in table.all_columns}
        info = TableInfo(name, table, kind, columns, travel, snapshot)
        self._infos[key] = info
        return info

    def _snapshot(self, name: TableName, table: Table, travel: TimeTravel) -> Any:
        from lake.delta import DataFilesMissingError, DeltaStoreError, VersionVacuumedError

        if not table.location:
            raise SqlError(f"{name} is a Delta table without a location in the catalog")
        try:
            if self.snapshots is not None:
                return self.snapshots.snapshot(table.location, version=travel.version, timestamp=travel.timestamp)
            return self.delta.snapshot(table.location, version=travel.version, timestamp=travel.timestamp)
        except (VersionVacuumedError, DataFilesMissingError) as exc:
            raise SqlError(f"{name} {travel}: {exc}") from None
        except DeltaStoreError as exc:
            if travel:
                latest = self._latest_version(table.location)
                raise SqlError(
                    f"{name} {travel}: no such snapshot (versions 0..{latest} exist)"
                    if latest is not None else f"{name} {travel}: {exc}"
                ) from None
            raise SqlError(f"{name}: cannot open its Delta table at {table.location}: {exc}") from None

    def _latest_version(self, location: str) -> int | None:
        try:
            return int(self.delta.snapshot(location).version())
        except Exception:  # only used to improve a message
            return None

    # ------------------------------------------------------------------- read
    def dataframe(self, info: TableInfo, filters: list[Filter] | None = None) -> DataFrame:
        """Read ``info`` (only files that may match ``filters``) and record what is scanned."""
        if info.kind == "view":
            self.sources.setdefault(str(info.name), SourceTable(str(info.name), "view"))
            return self._view(info)
        _, build = self._plan(info, list(filters or []))
        return build()

    def bind(self, info: TableInfo, filters: list[Filter] | None = None) -> str:
        """A temporary view name over ``info`` read with ``filters`` (see :meth:`dataframe`).

        With a :class:`FrameCache` a view over the same files is reused across statements;
        otherwise the view lives until :meth:`release`.
        """
        if info.kind == "view":
            return self._temporary(self.dataframe(info, filters))
        key, build = self._plan(info, list(filters or []))
        if self.cache is not None:
            return self.cache.view(key, build)
        return self._temporary(build())

    def bind_frame(self, df: DataFrame) -> str:
        """A temporary view name over a given DataFrame (dropped by :meth:`release`)."""
        return self._temporary(df)

    @property
    def mark(self) -> int:
        """A position to :meth:`release` back to (nested view compilations release their own)."""
        return len(self._temp_views)

    def release(self, mark: int = 0) -> None:
        """Drop the temporary views :meth:`bind` created (outside the cache) since ``mark``."""
        while len(self._temp_views) > mark:
            self.spark.catalog.dropTempView(self._temp_views.pop())

    def _temporary(self, df: DataFrame) -> str:
        name = f"_lf_{uuid.uuid4().hex[:12]}"
        df.createOrReplaceTempView(name)
        self._temp_views.append(name)
        return name

    def _plan(self, info: TableInfo, filters: list[Filter]) -> tuple[tuple[Any, ...], Callable[[], DataFrame]]:
        """Prune, record the files and lineage, and return a cache key and a frame builder."""
        name = str(info.name)
        total: int | None = None
        if info.kind == "delta":
            key, build, files, total = self._delta_plan(info, filters)
        else:
            scan = plan_raw_table(self.spark, self.profile, self.store, info.table, filters)
            key, build, files = ("raw", *scan.key), scan.build, scan.files
        self.scanned.extend(files)
        self.scans.append(Scan(name, info.kind, info.version, len(files), sum(f.size for f in files),
                               total, tuple(filters)))
        self.sources.setdefault(name, SourceTable(name, info.kind, info.table.location, info.version))
        return key, build

    def _delta_plan(
        self, info: TableInfo, filters: list[Filter]
    ) -> tuple[tuple[Any, ...], Callable[[], DataFrame], list[ScannedFile], int]:
        dt = info.snapshot
        plan = self.delta.plan_scan(dt, filters=filters or None)
        files = [ScannedFile(f, size or 0) for f, size in zip(plan.files, plan.sizes, strict=True)]
        key = ("delta", uris.to_native(dt.table_uri).rstrip("/"), str(dt.metadata().id), dt.version(),
               tuple(plan.files))
        return key, lambda: self.delta.read_plan(dt, plan), files, plan.total_files

    def _view(self, info: TableInfo) -> DataFrame:
        from catalog.sql.dialect import parse_sql
        from catalog.sql.query import compile_query
        from catalog.sql.statements import StatementText

        name = str(info.name)
        if name in self._views:
            raise ViewError(name, f"views refer to each other in a cycle: {' → '.join([*self._views, name])}")
        sql, dialect, database = view_sql(info.table)
        self._views.append(name)
        try:
            ast = parse_sql(sql, dialect)
            return compile_query(ast, self, source=StatementText(sql), dialect=dialect,
                                 default_database=database).df
        except UnknownColumnError as exc:
            hint = f"; did you mean {', '.join(repr(s) for s in exc.suggestions)}?" if exc.suggestions else ""
            raise ViewError(
                name, f"no longer resolves: column {exc.column_name!r} is not in its sources "
                f"(did a source table change?){hint}",
            ) from None
        except (UnknownTableError, UnknownDatabaseError) as exc:
            raise ViewError(name, f"no longer resolves: {exc}") from None
        finally:
            self._views.pop()


def view_sql(table: Table) -> tuple[str, str, str]:
    """``(sql, dialect, default database)`` a view is compiled from.

    Our views keep Spark SQL with qualified names in ``ViewExpandedText``; Athena (Presto)
    views keep base64 JSON in ``ViewOriginalText``; other tools' views use the expanded text.
    """
    original = table.view_original_text or ""
    if original.startswith(_PRESTO_VIEW):
        payload = original[len(_PRESTO_VIEW):].rsplit("*/", 1)[0].strip()
        try:
            data = json.loads(base64.b64decode(payload))
        except ValueError:
            raise ViewError(table.qualified_name, "unreadable Presto view definition") from None
        return data["originalSql"], "athena", data.get("schema") or table.database_name
    return table.view_expanded_text or original, "spark", table.database_name


def resolve_dataframe(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    name: str | TableName,
    *,
    version: int | None = None,
    timestamp: str | datetime | None = None,
    default_database: str = "default",
    delta: DeltaTableStore | None = None,
) -> DataFrame:
    """The DataFrame for catalog table or view ``name`` (``db.table``), optionally time-travelled."""
    from catalog.names import parse_table_name

    resolver = Resolver(spark, store, profile, delta=delta, default_database=default_database)
    tn = name if isinstance(name, TableName) else parse_table_name(name, default_database=default_database)
    travel = TimeTravel(version, parse_timestamp(timestamp) if timestamp is not None else None)
    return resolver.dataframe(resolver.describe(tn, travel))
