"""What statement handlers share: the session, catalog, table store and the statement's resolver."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from catalog.names import TableName, managed_location
from catalog.sql.query import CompiledQuery, compile_query
from catalog.sql.resolve import FrameCache, Resolver, TableInfo
from catalog.sql.results import ColumnInfo, ResultSet, RowsResult
from catalog.sql.statements import Statement

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["LINEAGE_PARAM", "ExecutionContext", "Outcome", "message_result"]

LINEAGE_PARAM = "lakeforge.lineage"


@dataclass
class Outcome:
    """A handler's result rows (possibly none) and a one-line message for humans."""

    result: ResultSet = field(default_factory=lambda: RowsResult([], []))
    message: str | None = None
    spark_sql: str | None = None


def message_result(columns: list[tuple[str, str]], row: tuple[Any, ...]) -> RowsResult:
    """A one-row result such as ``rows_written`` of a DML statement."""
    return RowsResult([ColumnInfo(n, t) for n, t in columns], [row])


@dataclass
class ExecutionContext:
    """One statement's execution environment."""

    spark: SparkSession
    store: CatalogStore
    profile: StorageProfile
    delta: DeltaTableStore
    statement: Statement
    query_id: str
    database: str
    cache: FrameCache | None = None
    _resolver: Resolver | None = None
    source_dir: Path | None = None  # folder of the .sql file being run (ETL table-rule files)

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self.spark, self.store, self.profile, delta=self.delta,
                                      default_database=self.database, cache=self.cache)
        return self._resolver

    def compile(self, query: exp.Expression) -> CompiledQuery:
        """Bind and analyse a query of this statement (positions from the statement's text)."""
        return compile_query(query, self.resolver, source=self.statement.source,
                             dialect=self.statement.dialect, default_database=self.database)

    def describe(self, name: TableName) -> TableInfo:
        return self.resolver.describe(name, where=self.statement.source.position(0))

    def warehouse_location(self, name: TableName) -> str:
        """Where a new Delta table lives: its database's location, else ``<lake>/warehouse/<db>/<table>``."""
        return self.profile.resolve(managed_location(self.store, name, self.profile.lake_uri))

    def sources(self) -> list[dict[str, Any]]:
        """The tables (with Delta versions) this statement has read so far."""
        return [s.to_json() for s in self.resolver.sources.values()]

    def lineage(self, version: int | None = None) -> dict[str, str]:
        """Table parameters recording where a written table's data came from."""
        payload: dict[str, Any] = {
            "query_id": self.query_id,
            "statement": self.statement.kind.value,
            "sources": self.sources(),
            "sql": self.statement.text[:20_000],
        }
        if version is not None:
            payload["version"] = version
        return {LINEAGE_PARAM: json.dumps(payload, sort_keys=True)}

    def commit_metadata(self) -> dict[str, str]:
        """Delta commit metadata with the same lineage (kept in the table's history)."""
        return {
            "lakeforge.query_id": self.query_id,
            "lakeforge.statement": self.statement.kind.value,
            "lakeforge.sources": json.dumps(self.sources(), sort_keys=True),
        }
