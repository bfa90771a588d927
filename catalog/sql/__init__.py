"""SQL over the catalog (Athena on Spark): names resolve only through the catalog.

    from catalog.sql import SqlEngine, resolve_dataframe
    engine = SqlEngine(spark, store, profile, dialect="athena")
    engine.execute("CREATE VIEW gold.daily AS SELECT …")        # results, history, saved CSV
    df = resolve_dataframe(spark, store, profile, "silver.vitals", version=3)

Modules: ``statements`` (split and classify), ``dialect`` (sqlglot, Athena → Spark),
``resolve`` (catalog names → DataFrames), ``raw`` (JSON/CSV/Parquet tables), ``pushdown``
(WHERE filters for pruning), ``query`` (bind names, run on Spark), ``ddl``/``dml``/``show``
(statement handlers), ``results`` (formats, saved results), ``history`` (query history),
``library`` (saved queries, SQL libraries in dependency order), ``engine`` (scripts).
"""

from __future__ import annotations

from catalog.sql.dialect import DIALECTS, to_spark_sql
from catalog.sql.engine import QueryResult, SqlEngine
from catalog.sql.errors import (
    DependencyCycleError,
    SqlError,
    SqlExecutionError,
    SqlSyntaxError,
    SqlTypeError,
    UnknownColumnError,
    UnknownDatabaseError,
    UnknownTableError,
    UnsupportedSqlError,
    ViewError,
)
from catalog.sql.history import HISTORY_LOCATION, HISTORY_TABLE, QueryHistory, QueryRecord
from catalog.sql.library import (
    LibraryFile,
    SavedQuery,
    apply_library,
    dependency_order,
    get_saved_query,
    list_saved_queries,
    load_library,
    save_query,
)
from catalog.sql.query import CompiledQuery, compile_query, referenced_tables
from catalog.sql.resolve import Resolver, TimeTravel, resolve_dataframe, table_kind
from catalog.sql.results import FORMATS, RESULTS_DIR, ColumnInfo
from catalog.sql.sinks import CollectSink, CsvSink, JsonLinesSink, ParquetSink, RowSink
from catalog.sql.statements import Statement, StatementKind, parse_statement, split_statements

__all__ = [
    "DIALECTS",
    "FORMATS",
    "HISTORY_LOCATION",
    "HISTORY_TABLE",
    "RESULTS_DIR",
    "CollectSink",
    "ColumnInfo",
    "CompiledQuery",
    "CsvSink",
    "DependencyCycleError",
    "JsonLinesSink",
    "LibraryFile",
    "ParquetSink",
    "QueryHistory",
    "QueryRecord",
    "QueryResult",
    "Resolver",
    "RowSink",
    "SavedQuery",
    "SqlEngine",
    "SqlError",
    "SqlExecutionError",
    "SqlSyntaxError",
    "SqlTypeError",
    "Statement",
    "StatementKind",
    "TimeTravel",
    "UnknownColumnError",
    "UnknownDatabaseError",
    "UnknownTableError",
    "UnsupportedSqlError",
    "ViewError",
    "apply_library",
    "compile_query",
    "dependency_order",
    "get_saved_query",
    "list_saved_queries",
    "load_library",
    "parse_statement",
    "referenced_tables",
    "resolve_dataframe",
    "save_query",
    "split_statements",
    "table_kind",
    "to_spark_sql",
]
