"""Make every catalog table and view visible in the endpoint's Spark session as ``db.table``.

- Tables (Delta and raw) are read with the SQL engine's resolver
  (:class:`catalog.sql.resolve.Resolver`), so the endpoint sees exactly what ``lake sql``
  sees: a Delta table is its current snapshot's files and nothing else (the log is the only
  truth), a raw table its catalog schema, SerDe options and partitions. The DataFrame is
  registered as the global temporary view ``global_temp.lf_<db>_<table>_<hash>`` and a
  permanent view ``db.table`` selects from it (see :mod:`catalog.sql.endpoint_metastore`).
- Catalog views (``VIRTUAL_VIEW``) become permanent Spark views with their SQL (Athena views
  transpiled); a view Spark cannot define natively (e.g. time travel inside) is exposed like a
  table, from the resolver's DataFrame.

:meth:`CatalogExposer.refresh` reconciles: new and changed objects are (re)exposed, objects
gone from the catalog are dropped, unchanged ones are left alone. A Delta table changes when
its log has a new version; a raw table when its catalog entry or partition list changes (or on
a forced refresh, which also re-lists files). A table that fails to (re)expose keeps its last
good exposure and is reported in ``errors``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from catalog.model import Table
from catalog.names import TableName
from catalog.sql.endpoint_metastore import Metastore, quote_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["CatalogExposer", "ExposedObject", "RefreshReport", "global_view_name"]

_UNSAFE = re.compile(r"[^a-z0-9_]+")
_CATALOG_PREFIXES = ("awsdatacatalog", "lakeforge")


def global_view_name(database: str, table: str) -> str:
    """The global temporary view behind ``database.table`` (stable, collision-free)."""
    digest = hashlib.sha1(f"{database}.{table}".encode()).hexdigest()[:8]
    return f"lf_{_UNSAFE.sub('_', database.lower())}_{_UNSAFE.sub('_', table.lower())}_{digest}"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    """The message of ``exc`` on one line (py4j's "An error occurred while calling …" skipped)."""
    lines = [ln.strip().lstrip(": ") for ln in str(exc).strip().splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith("An error occurred while calling"):
        lines = lines[1:]
    line = lines[0] if lines else type(exc).__name__
    line = re.sub(r"^\[[A-Z0-9_.]+\]\s*", "", line)
    line = re.sub(r"\s*SQLSTATE:\s*\w+\.?", "", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass
class ExposedObject:
    """One catalog object as the endpoint currently exposes it."""

    name: str
    kind: str
    signature: str
    version: int | None = None
    global_view: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.version is not None:
            out["version"] = self.version
        return out


@dataclass
class RefreshReport:
    """What one refresh did."""

    seq: int
    at: str
    seconds: float = 0.0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    tables: int = 0
    views: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "seconds": round(self.seconds, 3),
            "added": sorted(self.added),
            "changed": sorted(self.changed),
            "removed": sorted(self.removed),
            "unchanged": self.unchanged,
            "errors": dict(sorted(self.errors.items())),
            "tables": self.tables,
            "views": self.views,
        }


@dataclass
class _Candidate:
    table: Table
    kind: str
    signature: str
    version: int | None = None
    info: Any = None


class CatalogExposer:
    """Keeps the endpoint session's ``db.table`` names in line with the catalog."""

    def __init__(
        self,
        spark: SparkSession,
        open_store: Callable[[], CatalogStore],
        profile: StorageProfile,
        *,
        delta: DeltaTableStore | None = None,
    ) -> None:
        from lake.delta import DeltaTableStore

        self.spark = spark
        self.profile = profile
        self._open_store = open_store
        self._delta = delta or DeltaTableStore(spark, profile)
        self.metastore = Metastore(spark)
        self.exposed: dict[str, ExposedObject] = {}
        self._seq = 0
        self._leftovers_checked = False
        self._before: set[str] = set()
        self._databases: dict[str, str | None] = {}

    # ------------------------------------------------------------------ api
    def refresh(self, *, force: bool = False) -> RefreshReport:
        """Expose new/changed catalog objects and drop vanished ones (``force``: re-read all)."""
        self._seq += 1
        started = time.monotonic()
        report = RefreshReport(self._seq, datetime.now(UTC).replace(microsecond=0).isoformat())
        store = self._open_store()
        try:
            self._adopt_leftovers()
            tables, views, databases = self._catalog_objects(store, report)
            resolver = self._resolver(store)
            changed_tables = False
            for name, table in sorted(tables.items()):
                changed_tables |= self._expose_table(resolver, name, table, force, report)
            self._expose_views(store, views, force or changed_tables, report)
            self._remove_vanished(set(tables) | set(views), databases, report)
            report.tables = sum(1 for o in self.exposed.values() if o.kind != "view")
            report.views = sum(1 for o in self.exposed.values() if o.kind == "view")
        finally:
            store.close()
        report.seconds = time.monotonic() - started
        return report

    @property
    def seq(self) -> int:
        """The number of the latest refresh (started or done)."""
        return self._seq

    def listing(self) -> dict[str, dict[str, Any]]:
        """``{db.table: {kind, version?}}`` of everything exposed."""
        return {name: obj.to_json() for name, obj in sorted(self.exposed.items())}

    # -------------------------------------------------------------- catalog
    def _catalog_objects(
        self, store: CatalogStore, report: RefreshReport
    ) -> tuple[dict[str, Table], dict[str, Table], dict[str, str | None]]:
        tables: dict[str, Table] = {}
        views: dict[str, Table] = {}
        databases: dict[str, str | None] = {}
        for database in store.list_databases():
            databases[database.name] = database.description
            for table in store.list_tables(database.name):
                target = views if table.is_view else tables
                target[table.qualified_name] = table
        if self.metastore.global_database in databases:
            report.errors[self.metastore.global_database] = (
                f"database name {self.metastore.global_database!r} is reserved by Spark; not exposed"
            )
            for name in [n for n in (*tables, *views) if n.split(".", 1)[0] == self.metastore.global_database]:
                tables.pop(name, None)
                views.pop(name, None)
        self._databases = databases
        return tables, views, databases

    def _resolver(self, store: CatalogStore) -> Any:
        from catalog.sql.resolve import Resolver

        return Resolver(self.spark, store, self.profile, delta=self._delta)

    def _candidate(self, resolver: Any, table: Table) -> _Candidate:
        from catalog.sql.resolve import table_kind

        kind = table_kind(table)
        definition = json.dumps(table.to_table_input(), sort_keys=True, default=str)
        base = hashlib.sha1(definition.encode()).hexdigest()
        if kind == "delta":
            info = resolver.describe(TableName(table.database_name, table.name))
            return _Candidate(table, kind, f"{base}@{info.version}", info.version, info)
        partitions = []
        if table.partition_keys:
            partitions = [
                [list(p.values), p.location]
                for p in resolver.store.list_partitions(table.database_name, table.name)
            ]
        digest = hashlib.sha1(json.dumps(partitions).encode()).hexdigest()
        return _Candidate(table, kind, f"{base}/{digest}")

    # --------------------------------------------------------------- tables
    def _expose_table(self, resolver: Any, name: str, table: Table, force: bool, report: RefreshReport) -> bool:
        """(Re)expose one table; returns True when its exposure changed."""
        current = self.exposed.get(name)
        try:
            candidate = self._candidate(resolver, table)
            if current is not None and current.signature == candidate.signature and not (
                force and candidate.kind != "delta"
            ):
                report.unchanged += 1
                return False
            info = candidate.info or resolver.describe(TableName(table.database_name, table.name))
            df = resolver.dataframe(info)
            self._publish(table, df, candidate.kind, candidate.signature, candidate.version)
        except Exception as exc:  # one bad table must not hide the others
            report.errors[name] = _one_line(exc)
            if current is not None and current.kind == "unknown":  # an earlier run's view over nothing
                self.metastore.drop_view(table.database_name, table.name)
                del self.exposed[name]
            return False
        self._record(name, report)
        return True

    def _publish(self, table: Table, df: DataFrame, kind: str, signature: str, version: int | None) -> None:
        """Register ``df`` as the global view behind ``db.table`` and (re)define ``db.table``."""
        database, name = table.database_name, table.name
        gview = global_view_name(database, name)
        self.metastore.ensure_database(database, self._databases.get(database))
        df.createOrReplaceGlobalTempView(gview)
        where = f" at Delta version {version}" if version is not None else ""
        comment = table.description or f"lakeforge {kind} table {table.location or ''}{where}".strip()
        props = {"lakeforge.kind": kind, "lakeforge.location": table.location or ""}
        if version is not None:
            props["lakeforge.delta.version"] = str(version)
        self.metastore.put_view(
            database, name, f"SELECT * FROM {quote_name(self.metastore.global_database, gview)}",
            properties=props, comment=comment,
        )
        self.exposed[table.qualified_name] = ExposedObject(table.qualified_name, kind, signature, version, gview)

    # ---------------------------------------------------------------- views
    def _expose_views(self, store: CatalogStore, views: dict[str, Table], redo_all: bool,
                      report: RefreshReport) -> None:
        """Define catalog views natively, retrying in passes so views can use views."""
        pending: dict[str, tuple[Table, str]] = {}
        for name, view in sorted(views.items()):
            signature = hashlib.sha1(
                json.dumps(view.to_table_input(), sort_keys=True, default=str).encode()
            ).hexdigest()
            current = self.exposed.get(name)
            if current is not None and current.signature == signature and not redo_all:
                report.unchanged += 1
                continue
            pending[name] = (view, signature)
        failures: dict[str, str] = {}
        while pending:
            progress = False
            for name, (view, signature) in list(pending.items()):
                try:
                    self._define_view(view, signature)
                except Exception as exc:  # may depend on a view defined later
                    failures[name] = _one_line(exc)
                    continue
                self._record(name, report)
                failures.pop(name, None)
                del pending[name]
                progress = True
            if not progress:
                break
        if pending:
            resolver = self._resolver(store)
            for name, (view, signature) in pending.items():
                try:  # a view Spark cannot define natively is exposed from the resolver's DataFrame
                    info = resolver.describe(TableName(view.database_name, view.name))
                    self._publish(view, resolver.dataframe(info), "view", signature, None)
                except Exception as exc:
                    report.errors[name] = f"{failures.get(name, '')}; {_one_line(exc)}".strip("; ")
                    continue
                self._record(name, report)

    def _record(self, name: str, report: RefreshReport) -> None:
        (report.changed if name in self._before else report.added).append(name)

    def _define_view(self, view: Table, signature: str) -> None:
        from catalog.sql.resolve import view_sql

        sql, dialect, database = view_sql(view)
        text = _spark_sql(sql, dialect)
        self.metastore.ensure_database(view.database_name, self._databases.get(view.database_name))
        props = {"lakeforge.kind": "view"}
        if dialect != "spark":
            props["lakeforge.view.dialect"] = dialect
        self.metastore.put_view(
            view.database_name, view.name, text, properties=props,
            comment=view.description, current_database=database,
        )
        old = self.exposed.get(view.qualified_name)
        if old is not None and old.global_view:
            self.spark.catalog.dropGlobalTempView(old.global_view)
        self.exposed[view.qualified_name] = ExposedObject(view.qualified_name, "view", signature)

    # -------------------------------------------------------------- removal
    def _adopt_leftovers(self) -> None:
        """Views an earlier run left in the metastore: exposed with an unknown signature."""
        self._before = set(self.exposed)
        if self._leftovers_checked:
            return
        for database, name in self.metastore.exposed_views():
            qualified = f"{database}.{name}"
            self.exposed.setdefault(qualified, ExposedObject(qualified, "unknown", ""))
        self._leftovers_checked = True

    def _remove_vanished(self, wanted: set[str], databases: dict[str, str | None], report: RefreshReport) -> None:
        for name in sorted(set(self.exposed) - wanted):
            obj = self.exposed.pop(name)
            database, table = name.split(".", 1)
            try:
                self.metastore.drop_view(database, table)
                if obj.global_view:
                    self.spark.catalog.dropGlobalTempView(obj.global_view)
            except Exception as exc:
                report.errors[name] = f"could not remove: {_one_line(exc)}"
                continue
            report.removed.append(name)
        for database in self.metastore.databases():
            if database not in databases:
                self.metastore.drop_database_if_unused(database)


def _spark_sql(sql: str, dialect: str) -> str:
    """A view's SQL as Spark SQL: other dialects transpiled, Glue catalog prefixes dropped."""
    from sqlglot import exp

    from catalog.sql.dialect import parse_sql, to_spark_sql

    if dialect == "spark" and not any(p in sql.lower() for p in _CATALOG_PREFIXES):
        return sql
    ast = parse_sql(sql, dialect)
    for node in ast.find_all(exp.Table):
        if node.catalog and node.catalog.lower() in _CATALOG_PREFIXES:
            node.set("catalog", None)
    if dialect == "spark":
        return ast.sql(dialect="spark")
    return to_spark_sql(ast, dialect)
