"""Metadata statements: SHOW …, DESCRIBE, EXPLAIN and MSCK REPAIR TABLE.

Everything is answered from the catalog (and, for Delta tables, the Delta log), never by
listing paths, except MSCK REPAIR TABLE, whose job is to find Hive-style partition
directories (``key=value/…``) under a raw table's location and add the missing ones.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from catalog.model import Partition, Table
from catalog.sql.context import ExecutionContext, Outcome
from catalog.sql.errors import SqlError, UnknownDatabaseError, UnsupportedSqlError
from catalog.sql.raw import list_data_files
from catalog.sql.resolve import TableInfo, table_kind
from catalog.sql.results import ColumnInfo, RowsResult
from catalog.sql.spark_errors import spark_errors
from catalog.types import from_arrow

__all__ = [
    "describe",
    "explain",
    "msck_repair",
    "show_columns",
    "show_create",
    "show_databases",
    "show_partitions",
    "show_tables",
]


def _pattern(like: str | None) -> re.Pattern[str] | None:
    """Hive/Athena SHOW patterns: ``*`` any characters, ``|`` alternatives, case-insensitive."""
    if not like:
        return None
    alternatives = [re.escape(p.strip()).replace(r"\*", ".*") for p in like.split("|")]
    return re.compile(f"^(?:{'|'.join(alternatives)})$", re.IGNORECASE)


def _rows(columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> RowsResult:
    return RowsResult([ColumnInfo(n, t) for n, t in columns], rows)


def show_databases(ctx: ExecutionContext) -> Outcome:
    pattern = _pattern(ctx.statement.options.get("like"))
    names = [d.name for d in ctx.store.list_databases() if pattern is None or pattern.match(d.name)]
    return Outcome(_rows([("database_name", "string")], [(n,) for n in names]))


def _require_database(ctx: ExecutionContext, db: str) -> None:
    if not ctx.store.database_exists(db):
        names = [d.name for d in ctx.store.list_databases()]
        raise UnknownDatabaseError(db, difflib.get_close_matches(db, names, n=3), *ctx.statement.source.position(0))


def _kind(table: Table) -> str:
    try:
        return table_kind(table).upper()
    except SqlError:
        return (table.table_type or "TABLE").upper()


def show_tables(ctx: ExecutionContext) -> Outcome:
    db = ctx.statement.options["database"]
    _require_database(ctx, db)
    pattern = _pattern(ctx.statement.options.get("like"))
    views_only = ctx.statement.options.get("views_only")
    rows = [
        (db, t.name, _kind(t))
        for t in ctx.store.list_tables(db)
        if (pattern is None or pattern.match(t.name)) and (not views_only or t.is_view)
    ]
    return Outcome(_rows([("database", "string"), ("table_name", "string"), ("table_type", "string")], rows))


def _columns(info: TableInfo) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(name, type, comment) in the order SELECT * returns them, and the partition columns."""
    comments = {c.name.lower(): c.comment or "" for c in info.table.all_columns}
    if info.kind == "delta":
        schema = pa.schema(info.snapshot.schema().to_arrow())
        cols = [(f.name, from_arrow(f.type), comments.get(f.name.lower(), "")) for f in schema]
        return cols, list(info.snapshot.metadata().partition_columns)
    cols = [(c.name, c.type, c.comment or "") for c in info.table.all_columns]
    return cols, [k.name for k in info.table.partition_keys]


def show_columns(ctx: ExecutionContext) -> Outcome:
    assert ctx.statement.name is not None
    cols, _ = _columns(ctx.describe(ctx.statement.name))
    return Outcome(_rows([("column_name", "string")], [(c[0],) for c in cols]))


def describe(ctx: ExecutionContext) -> Outcome:
    """DESCRIBE [EXTENDED] db.t: columns, partition columns and (extended) table details."""
    assert ctx.statement.name is not None
    info = ctx.describe(ctx.statement.name)
    cols, pcols = _columns(info)
    rows: list[tuple[Any, ...]] = [tuple(c) for c in cols]
    if pcols:
        types = {c[0]: c[1] for c in cols}
        rows += [("# Partition Information", "", ""), ("# col_name", "data_type", "comment")]
        rows += [(p, types.get(p, ""), "") for p in pcols]
    if ctx.statement.options.get("extended"):
        table = info.table
        rows += [("", "", ""), ("# Detailed Table Information", "", "")]
        details: list[tuple[str, Any]] = [
            ("Database", table.database_name), ("Table", table.name), ("Type", info.kind.upper()),
            ("Location", table.location), ("Delta Version", info.version),
            ("Description", table.description), ("Created", table.create_time),
            ("Updated", table.update_time), ("Catalog Version", table.version_id),
        ]
        if table.is_view:
            details += [("View Original Text", table.view_original_text),
                        ("View Expanded Text", table.view_expanded_text)]
        rows += [(k, str(v), "") for k, v in details if v is not None]
        rows += [("Parameters", json.dumps(dict(table.parameters), sort_keys=True), "")]
    return Outcome(_rows([("col_name", "string"), ("data_type", "string"), ("comment", "string")], rows))


def _delta_partitions(ctx: ExecutionContext, info: TableInfo) -> list[str]:
    pcols = list(info.snapshot.metadata().partition_columns)
    plan = ctx.delta.plan_scan(info.snapshot)
    return sorted({
        "/".join(f"{col}={'__HIVE_DEFAULT_PARTITION__' if values[col] is None else values[col]}" for col in pcols)
        for values in plan.partition_values
    })


def show_partitions(ctx: ExecutionContext) -> Outcome:
    """SHOW PARTITIONS db.t: ``key=value/…`` per partition (catalog or Delta log)."""
    name = ctx.statement.name
    assert name is not None
    info = ctx.describe(name)
    if info.kind == "view":
        raise SqlError(f"{name} is a view; views have no partitions")
    if info.kind == "delta":
        if not info.snapshot.metadata().partition_columns:
            raise SqlError(f"{name} is not partitioned")
        specs = _delta_partitions(ctx, info)
    else:
        keys = info.table.partition_keys
        if not keys:
            raise SqlError(f"{name} is not partitioned")
        parts = ctx.store.list_partitions(name.database, name.table)
        specs = ["/".join(f"{k.name}={v}" for k, v in zip(keys, p.values, strict=True)) for p in parts]
    return Outcome(_rows([("partition", "string")], [(s,) for s in specs]))


def _create_table_text(info: TableInfo) -> str:
    cols, pcols = _columns(info)
    table = info.table
    body = ",\n".join(f"  `{n}` {t.upper()}" + (f" COMMENT '{c}'" if c else "") for n, t, c in cols)
    if info.kind == "delta":
        parts = [f"CREATE TABLE {info.name} (\n{body})", "USING DELTA"]
        if pcols:
            parts.append(f"PARTITIONED BY ({', '.join(pcols)})")
        parts.append(f"LOCATION '{table.location}'")
        return "\n".join(parts)
    data = [c for c in cols if c[0] not in pcols]
    body = ",\n".join(f"  `{n}` {t}" for n, t, _ in data)
    parts = [f"CREATE EXTERNAL TABLE {info.name} (\n{body})"]
    if pcols:
        types = {c[0]: c[1] for c in cols}
        parts.append(f"PARTITIONED BY ({', '.join(f'`{p}` {types[p]}' for p in pcols)})")
    serde = table.storage_descriptor.serde_info
    if serde is not None and serde.serialization_library:
        parts.append(f"ROW FORMAT SERDE '{serde.serialization_library}'")
        if serde.parameters:
            props = ", ".join(f"'{k}'='{v}'" for k, v in sorted(serde.parameters.items()))
            parts.append(f"WITH SERDEPROPERTIES ({props})")
    sd = table.storage_descriptor
    if sd.input_format and sd.output_format:
        parts.append(f"STORED AS INPUTFORMAT '{sd.input_format}' OUTPUTFORMAT '{sd.output_format}'")
    parts.append(f"LOCATION '{table.location}'")
    if table.parameters:
        props = ", ".join(f"'{k}'='{v}'" for k, v in sorted(table.parameters.items()))
        parts.append(f"TBLPROPERTIES ({props})")
    return "\n".join(parts)


def show_create(ctx: ExecutionContext) -> Outcome:
    """SHOW CREATE VIEW db.v (the view as written) or SHOW CREATE TABLE db.t."""
    name = ctx.statement.name
    assert name is not None
    what = ctx.statement.options["what"]
    info = ctx.describe(name)
    if what == "VIEW":
        if info.kind != "view":
            raise SqlError(f"{name} is a table, not a view; use SHOW CREATE TABLE")
        text = f"CREATE VIEW {name} AS\n{info.table.view_original_text}"
    else:
        if info.kind == "view":
            raise SqlError(f"{name} is a view; use SHOW CREATE VIEW")
        text = _create_table_text(info)
    return Outcome(_rows([("createtab_stmt", "string")], [(text,)]))


_EXPLAIN_MODES = {"": "simple", "EXTENDED": "extended", "FORMATTED": "formatted", "COST": "cost",
                  "CODEGEN": "codegen"}


def explain(ctx: ExecutionContext) -> Outcome:
    """EXPLAIN [EXTENDED|FORMATTED|COST|CODEGEN] query: catalog resolution, Spark SQL and plan."""
    inner = ctx.statement.inner
    assert inner is not None and inner.ast is not None
    mode = ctx.statement.options.get("mode", "")
    if mode == "ANALYZE":
        raise UnsupportedSqlError("EXPLAIN ANALYZE", "run the query; its history row has rows, bytes and time")
    compiled = ctx.compile(inner.ast)
    lines = ["== Catalog resolution =="]
    for scan in ctx.resolver.scans:
        version = f" v{scan.version}" if scan.version is not None else ""
        of = f" of {scan.total_files}" if scan.total_files is not None else ""
        pruned = " AND ".join(f"{c} {op} {v!r}" for c, op, v in scan.filters)
        lines.append(f"{scan.name} ({scan.kind}{version}): {scan.files}{of} files, {scan.bytes:,} bytes"
                     + (f"; pruned by {pruned}" if pruned else ""))
    lines += ["", "== Spark SQL ==", compiled.spark_sql, ""]
    df = compiled.df
    with spark_errors(source=ctx.statement.source):
        plan = df.sparkSession._jvm.PythonSQLUtils.explainString(  # type: ignore[union-attr]
            df._jdf.queryExecution(), _EXPLAIN_MODES[mode]
        )
    text = "\n".join(lines) + "\n" + str(plan)
    return Outcome(_rows([("plan", "string")], [(text,)]), spark_sql=compiled.spark_sql)


def _discover(table: Table, files: list[str], root: str) -> dict[tuple[str, ...], str]:
    """``{partition values: partition dir}`` for Hive-style ``key=value`` dirs below ``root``."""
    keys = [k.name.lower() for k in table.partition_keys]
    found: dict[tuple[str, ...], str] = {}
    for path in files:
        parts = path[len(root):].strip("/").split("/")[:-1]
        if len(parts) < len(keys):
            continue
        values = []
        for key, part in zip(keys, parts, strict=False):
            k, sep, v = part.partition("=")
            if not sep or k.lower() != key:
                break
            values.append(unquote(v))
        else:
            found.setdefault(tuple(values), f"{root}/{'/'.join(parts[:len(keys)])}")
    return found


def msck_repair(ctx: ExecutionContext) -> Outcome:
    """MSCK REPAIR TABLE db.t: add the Hive-style partitions found under the location."""
    name = ctx.statement.name
    assert name is not None
    info = ctx.describe(name)
    table = info.table
    if info.kind in ("delta", "view"):
        what = "a Delta table (partitions come from its log)" if info.kind == "delta" else "a view"
        raise UnsupportedSqlError(f"MSCK REPAIR TABLE {name}", f"it is {what}")
    if not table.partition_keys:
        raise SqlError(f"{name} is not partitioned; MSCK REPAIR TABLE has nothing to add")
    if not table.location:
        raise SqlError(f"{name} has no location")
    root = table.location.rstrip("/")
    files = [f.path for f in list_data_files(ctx.profile, root)]
    found = _discover(table, files, root)
    existing = {p.values for p in ctx.store.list_partitions(name.database, name.table)}
    new = [
        Partition(values, storage_descriptor=replace(table.storage_descriptor, location=f"{loc}/"))
        for values, loc in sorted(found.items()) if values not in existing
    ]
    added = ctx.store.batch_create_partitions(name.database, name.table, new, exist_ok=True) if new else 0
    keys = table.partition_keys
    rows = [("/".join(f"{k.name}={v}" for k, v in zip(keys, p.values, strict=True)),) for p in new]
    return Outcome(_rows([("partition_added", "string")], rows),
                   message=f"MSCK REPAIR TABLE {name}: {added} partitions added ({len(found)} found)")
