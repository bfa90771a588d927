"""The SQL engine: run a script statement by statement, Athena-style.

Every statement gets a query id; its result streams page by page into the caller's sinks
and, unless disabled, into the saved result ``<lake>/_results/<query id>.csv`` (plus
``.metadata``); a row with its text, state, duration, rows and bytes scanned is appended to
the query history (``meta.query_history``). A failing statement is recorded as FAILED and
stops the script with a typed, one-line error.

    engine = SqlEngine(spark, store, profile, dialect="athena")
    results = engine.execute("SELECT clinic_id, count(*) FROM silver.visits GROUP BY 1")
    rows = engine.query("SELECT 1 AS x")            # [{"x": 1}] (no saved result)
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.sql import ddl, dml, ml_statements, show
from catalog.sql.context import ExecutionContext, Outcome
from catalog.sql.dialect import sqlglot_dialect
from catalog.sql.errors import SqlError
from catalog.sql.history import QueryHistory, QueryRecord
from catalog.sql.resolve import FrameCache
from catalog.sql.results import ColumnInfo, FrameResult
from catalog.sql.sinks import CollectSink, RowSink, SavedResultSink, consume
from catalog.sql.spark_errors import spark_errors
from catalog.sql.statements import Statement, StatementKind, parse_statement, split_statements
from lake.errors import LakeforgeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["QueryResult", "SinkFactory", "SqlEngine"]

_log = logging.getLogger(__name__)
SinkFactory = Callable[[Statement], Sequence[RowSink]]


@dataclass
class QueryResult:
    """What one statement did (its rows went to the sinks)."""

    query_id: str
    statement: str
    kind: str
    state: str
    submitted_at: datetime
    duration_ms: int
    rows: int | None = None
    bytes_scanned: int = 0
    files_scanned: int = 0
    columns: list[ColumnInfo] = field(default_factory=list)
    result_location: str | None = None
    message: str | None = None
    spark_sql: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    input_files: list[str] = field(default_factory=list)
    error: str | None = None
    streamed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id, "kind": self.kind, "state": self.state,
            "submitted_at": self.submitted_at.isoformat(), "duration_ms": self.duration_ms,
            "rows": self.rows, "bytes_scanned": self.bytes_scanned, "files_scanned": self.files_scanned,
            "columns": [c.to_json() for c in self.columns], "result_location": self.result_location,
            "message": self.message, "sources": self.sources, "error": self.error,
        }


def _declare_etl_table(ctx: ExecutionContext) -> Outcome:
    from catalog.etl.declare import declare_etl_table  # catalog.etl builds on this package

    return declare_etl_table(ctx)


_HANDLERS: dict[StatementKind, Callable[[ExecutionContext], Outcome]] = {
    StatementKind.CREATE_ETL_TABLE: _declare_etl_table,
    StatementKind.CREATE_VIEW: ddl.create_view,
    StatementKind.DROP_VIEW: ddl.drop_view,
    StatementKind.CREATE_TABLE_AS: ddl.create_table_as,
    StatementKind.CREATE_TABLE: ddl.create_table,
    StatementKind.DROP_TABLE: ddl.drop_table,
    StatementKind.CREATE_DATABASE: ddl.create_database,
    StatementKind.DROP_DATABASE: ddl.drop_database,
    StatementKind.INSERT: dml.insert,
    StatementKind.MERGE: dml.merge,
    StatementKind.DELETE: dml.delete,
    StatementKind.SHOW_DATABASES: show.show_databases,
    StatementKind.SHOW_TABLES: show.show_tables,
    StatementKind.SHOW_COLUMNS: show.show_columns,
    StatementKind.SHOW_PARTITIONS: show.show_partitions,
    StatementKind.SHOW_CREATE: show.show_create,
    StatementKind.DESCRIBE: show.describe,
    StatementKind.EXPLAIN: show.explain,
    StatementKind.MSCK_REPAIR: show.msck_repair,
}
_HANDLERS.update(ml_statements.HANDLERS)  # CREATE/DROP/SHOW MODEL(S), ML.* queries (BigQuery ML)


def _quiet_spark_error_logs() -> None:
    """PySpark logs every SQL error with a stack trace; the engine reports them itself."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


class SqlEngine:
    """Runs SQL scripts over the catalog on one SparkSession.

    With ``cache_views`` the engine keeps temporary views over the files tables resolve to and
    their open Delta snapshots across statements; both are checked on every statement, so a
    new commit or a table dropped and recreated is never served stale.
    """

    def __init__(
        self,
        spark: SparkSession,
        store: CatalogStore,
        profile: StorageProfile,
        *,
        dialect: str = "spark",
        database: str = "default",
        save_results: bool = True,
        record_history: bool = True,
        page_size: int = 10_000,
        delta: DeltaTableStore | None = None,
        history: QueryHistory | None = None,
        cache_views: bool = True,
    ) -> None:
        from lake.delta import DeltaTableStore
        from lake.delta.snapshots import SnapshotCache

        sqlglot_dialect(dialect)  # validates the name
        self.spark = spark
        self.store = store
        self.profile = profile
        self.dialect = dialect
        self.database = database
        self.save_results = save_results
        self.record_history = record_history
        self.page_size = page_size
        self.delta = delta or DeltaTableStore(spark, profile)
        self.history = history or QueryHistory(store, profile)
        self.cache = FrameCache(spark, snapshots=SnapshotCache(profile)) if cache_views else None
        self.source_dir: Path | None = None  # folder of the script's file: ETL table-rule files are found there
        _quiet_spark_error_logs()

    # ----------------------------------------------------------------- public
    def execute(
        self,
        script: str,
        *,
        sinks: SinkFactory | None = None,
        on_result: Callable[[QueryResult], None] | None = None,
        dialect: str | None = None,
        save_results: bool | None = None,
    ) -> list[QueryResult]:
        """Run every statement of ``script`` in order; stops at (and raises) the first error."""
        dialect = dialect or self.dialect
        save = self.save_results if save_results is None else save_results
        results = []
        for text in split_statements(script, dialect):
            result = self._run(text, dialect, sinks, save)
            results.append(result)
            if on_result is not None:
                on_result(result)
        if not results:
            raise SqlError("no SQL statement to run (the script is empty)")
        return results

    def query(self, sql: str, *, dialect: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Run one statement and return its rows as dicts (nothing saved; history as configured)."""
        sink = CollectSink(limit)
        results = self.execute(sql, sinks=lambda _: [sink], dialect=dialect, save_results=False)
        if len(results) != 1:
            raise SqlError(f"query() runs one statement, got {len(results)}")
        return sink.dicts()

    def dataframe(self, sql: str, *, dialect: str | None = None) -> DataFrame:
        """The Spark DataFrame of one query (names resolved through the catalog; nothing recorded)."""
        dialect = dialect or self.dialect
        texts = split_statements(sql, dialect)
        if len(texts) != 1:
            raise SqlError(f"dataframe() takes one query, got {len(texts)} statements")
        stmt = parse_statement(texts[0], dialect, self.database)
        if stmt.kind != StatementKind.QUERY or stmt.ast is None:
            raise SqlError(f"dataframe() takes a query, got {stmt.kind.value}")
        return self._context(stmt, uuid.uuid4().hex).compile(stmt.ast).df

    # ---------------------------------------------------------------- running
    def _context(self, stmt: Statement, query_id: str) -> ExecutionContext:
        return ExecutionContext(self.spark, self.store, self.profile, self.delta, stmt, query_id, self.database,
                                self.cache, source_dir=self.source_dir)

    def close(self) -> None:
        """Drop the engine's cached temporary views and Delta snapshots."""
        if self.cache is not None:
            self.cache.clear()
            if self.cache.snapshots is not None:
                self.cache.snapshots.clear()

    def _outcome(self, ctx: ExecutionContext) -> Outcome:
        stmt = ctx.statement
        if stmt.kind == StatementKind.USE:
            db = stmt.options["database"]
            if not self.store.database_exists(db):
                show._require_database(ctx, db)
            self.database = db
            return Outcome(message=f"using database {db}")
        if stmt.kind == StatementKind.QUERY:
            assert stmt.ast is not None
            compiled = ctx.compile(stmt.ast)
            return Outcome(FrameResult(compiled.df), spark_sql=compiled.spark_sql)
        return _HANDLERS[stmt.kind](ctx)

    def _run(self, text: Any, dialect: str, sinks: SinkFactory | None, save: bool) -> QueryResult:
        query_id = str(uuid.uuid4())
        submitted = datetime.now(UTC)
        started = time.perf_counter()
        result = QueryResult(query_id, text.text, "UNKNOWN", "RUNNING", submitted, 0)
        ctx: ExecutionContext | None = None
        try:
            stmt = parse_statement(text, dialect, self.database)
            result.kind = stmt.kind.value
            ctx = self._context(stmt, query_id)
            with spark_errors(ast=stmt.ast, source=stmt.source, dialect=dialect):
                outcome = self._outcome(ctx)
                result.columns = list(outcome.result.columns)
                targets = list(sinks(stmt)) if sinks is not None else []
                saved = None
                if save and result.columns:
                    saved = SavedResultSink(self.profile, query_id)
                    targets.append(saved)
                result.rows = consume(outcome.result, targets, page_size=self.page_size)
            result.result_location = saved.location if saved is not None else None
            result.message = outcome.message
            result.spark_sql = outcome.spark_sql
            result.streamed = bool(getattr(outcome.result, "streamed", False))
            result.state = "SUCCEEDED"
        except LakeforgeError as exc:
            result.state, result.error = "FAILED", str(exc)
            raise
        except Exception as exc:
            result.state, result.error = "FAILED", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            result.duration_ms = int((time.perf_counter() - started) * 1000)
            if ctx is not None and ctx._resolver is not None:
                resolver = ctx._resolver
                result.bytes_scanned = resolver.bytes_scanned
                result.files_scanned = resolver.files_scanned
                result.input_files = [f.path for f in resolver.scanned]
                result.sources = [s.to_json() for s in resolver.sources.values()]
            self._record(result, dialect)
        return result

    def _record(self, result: QueryResult, dialect: str) -> None:
        if not self.record_history:
            return
        record = QueryRecord(
            query_id=result.query_id, submitted_at=result.submitted_at, state=result.state,
            statement_type=result.kind, query=result.statement, dialect=dialect, database=self.database,
            duration_ms=result.duration_ms, rows=result.rows, bytes_scanned=result.bytes_scanned,
            files_scanned=result.files_scanned, result_location=result.result_location,
            sources=result.sources, error=result.error,
        )
        try:
            self.history.record([record])
        except Exception as exc:  # history must never hide the query's own outcome
            _log.warning("could not record query %s in the query history: %s", result.query_id, exc)
