"""DDL: views, CREATE TABLE [AS SELECT], DROP TABLE/VIEW, CREATE/DROP DATABASE.

Views are stored in the catalog as ``VIRTUAL_VIEW`` with the query as written
(``ViewOriginalText``, in its dialect) and as Spark SQL with every name qualified
(``ViewExpandedText``, what is executed). Tables are Delta tables written through the table
store under ``<lake>/warehouse/<db>/<table>`` (or ``LOCATION``/``external_location``) and
registered with their lineage: the source tables and their Delta versions, in the table's
``Parameters`` (``lakeforge.lineage``) and in the Delta commit's metadata.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from catalog.delta import register_delta_table
from catalog.locations import check_location
from catalog.model import Database, Param, Table, TableType
from catalog.names import TableName
from catalog.sql.context import ExecutionContext, Outcome, message_result
from catalog.sql.dialect import sqlglot_dialect, to_spark_sql
from catalog.sql.errors import SqlError, UnknownDatabaseError, UnsupportedSqlError, ViewError
from catalog.sql.query import qualify_names, referenced_tables
from catalog.sql.resolve import VIEW_DIALECT_PARAM
from catalog.sql.spark_errors import spark_errors
from catalog.types import from_spark

__all__ = [
    "VIEW_SOURCES_PARAM",
    "create_database",
    "create_table",
    "create_table_as",
    "create_view",
    "drop_database",
    "drop_table",
    "drop_view",
    "is_managed",
    "table_properties",
]

VIEW_SOURCES_PARAM = "lakeforge.view.sources"
ORIGINAL_DIALECT_PARAM = "lakeforge.view.original_dialect"
CTAS_HINT = "DROP TABLE it first (without PURGE its data is kept) or leave out LOCATION"


# --------------------------------------------------------------------------- views


def _query_text(ctx: ExecutionContext) -> str:
    """The ``SELECT …`` part of a CREATE VIEW statement, exactly as written."""
    text = ctx.statement.text
    tokens = sqlglot.Dialect.get_or_raise(sqlglot_dialect(ctx.statement.dialect)).tokenize(text)
    depth, seen_view = 0, False
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.VIEW:
            seen_view = True
        elif token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif seen_view and depth == 0 and token.token_type == TokenType.ALIAS and i + 1 < len(tokens):
            return text[tokens[i + 1].start :].strip()
    return text


def create_view(ctx: ExecutionContext) -> Outcome:
    """CREATE [OR REPLACE] VIEW [IF NOT EXISTS] db.v AS query."""
    stmt = ctx.statement
    ast = stmt.ast
    assert isinstance(ast, exp.Create) and stmt.name is not None
    name = stmt.name
    existing = ctx.store.get_table(name.database, name.table) if ctx.store.table_exists(
        name.database, name.table) else None
    if existing is not None and not existing.is_view:
        raise SqlError(f"{name} is a table, not a view; drop it first or pick another name")
    if existing is not None and not ast.args.get("replace"):
        if ast.args.get("exists"):
            return Outcome(message=f"view {name} already exists (unchanged)")
        raise SqlError(f"view {name} already exists; use CREATE OR REPLACE VIEW")
    query = ast.expression
    compiled = ctx.compile(query)
    if str(name) in ctx.resolver.sources:
        chain = [s for s in ctx.resolver.sources if ctx.resolver.sources[s].kind == "view"]
        raise ViewError(str(name), f"would depend on itself (through {', '.join(chain)})")
    columns = [(f.name, from_spark(f.dataType)) for f in compiled.df.schema]
    aliases = [c.name for c in (ast.this.expressions if isinstance(ast.this, exp.Schema) else [])]
    if aliases:
        if len(aliases) != len(columns):
            raise SqlError(f"view {name} names {len(aliases)} columns but its query returns {len(columns)}")
        columns = [(a, t) for a, (_, t) in zip(aliases, columns, strict=True)]
    qualified = qualify_names(query, ctx.database)
    expanded = to_spark_sql(qualified, stmt.dialect)
    if aliases:
        expanded = f"SELECT * FROM ({expanded}) AS _v({', '.join(f'`{a}`' for a in aliases)})"
    sources = [str(t) for t in referenced_tables(query, ctx.database)]
    params = {
        VIEW_DIALECT_PARAM: "spark",
        ORIGINAL_DIALECT_PARAM: stmt.dialect,
        VIEW_SOURCES_PARAM: json.dumps(sources),
        "lakeforge.query_id": ctx.query_id,
    }
    comment = ast.find(exp.SchemaCommentProperty)
    view = Table.view(
        name.database, name.table, _query_text(ctx), columns, expanded_sql=expanded,
        parameters=params, description=comment.this.name if comment else None,
    )
    ctx.store.create_database(name.database, exist_ok=True)
    if existing is None:
        ctx.store.create_table(view)
        verb = "created"
    else:
        ctx.store.update_table(view)
        verb = "replaced"
    return Outcome(message=f"{verb} view {name} ({len(columns)} columns)", spark_sql=compiled.spark_sql)


def drop_view(ctx: ExecutionContext) -> Outcome:
    """DROP VIEW [IF EXISTS] db.v."""
    name = ctx.statement.name
    assert name is not None and ctx.statement.ast is not None
    if not ctx.store.table_exists(name.database, name.table) and ctx.statement.ast.args.get("exists"):
        return Outcome(message=f"view {name} does not exist (nothing dropped)")
    table = ctx.resolver.table(name, ctx.statement.source.position(0))
    if not table.is_view:
        raise SqlError(f"{name} is a table, not a view; use DROP TABLE")
    ctx.store.delete_table(name.database, name.table)
    return Outcome(message=f"dropped view {name}")


# --------------------------------------------------------------------------- tables


@dataclass
class TableProperties:
    """What CREATE TABLE's WITH (…) / USING / PARTITIONED BY / LOCATION / TBLPROPERTIES say."""

    partitioned_by: list[str] = field(default_factory=list)
    partition_types: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    comment: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


_IGNORED_PROPERTIES = {"write_compression", "parquet_compression", "compression"}


def _literal(node: exp.Expression | None) -> str:
    if isinstance(node, exp.Literal | exp.Var | exp.Identifier):
        return str(node.this)
    return node.sql() if node is not None else ""


def _names(node: exp.Expression | None) -> tuple[list[str], dict[str, str]]:
    """Column names (and types, for Spark's ``PARTITIONED BY (c STRING)``) of a partition spec."""
    if isinstance(node, exp.Array | exp.Tuple | exp.Schema):
        names, types = [], {}
        for item in node.expressions:
            if isinstance(item, exp.ColumnDef):
                names.append(item.name)
                if item.args.get("kind") is not None:
                    types[item.name] = item.args["kind"].sql(dialect="spark")
            else:
                names.append(_literal(item) if not isinstance(item, exp.Column) else item.name)
        return names, types
    return ([_literal(node)] if node is not None else []), {}


def table_properties(ast: exp.Create) -> TableProperties:
    """Parse the table properties of a CREATE TABLE (Athena and Spark spellings)."""
    out = TableProperties()
    props = ast.args.get("properties")
    for prop in props.expressions if props is not None else []:
        if isinstance(prop, exp.PartitionedByProperty):
            out.partitioned_by, out.partition_types = _names(prop.this)
        elif isinstance(prop, exp.FileFormatProperty):
            fmt = _literal(prop.this).lower()
            if fmt != "delta":
                raise UnsupportedSqlError(
                    f"table format {fmt!r}", "lakeforge writes Delta tables: use format = 'delta' "
                    "(Athena) or USING delta (Spark), or leave it out",
                )
        elif isinstance(prop, exp.LocationProperty):
            out.location = _literal(prop.this)
        elif isinstance(prop, exp.SchemaCommentProperty):
            out.comment = _literal(prop.this)
        elif isinstance(prop, exp.Property):
            key = _literal(prop.this).lower()
            value = prop.args.get("value")
            if key == "external_location":
                out.location = _literal(value)
            elif key == "partitioned_by":
                out.partitioned_by, out.partition_types = _names(value)
            elif key == "format":
                fmt = _literal(value).lower()
                if fmt != "delta":
                    raise UnsupportedSqlError(f"table format {fmt!r}", "lakeforge writes Delta tables")
            elif key in _IGNORED_PROPERTIES:
                continue
            elif isinstance(prop.this, exp.Literal) and prop.this.is_string:
                out.parameters[_literal(prop.this)] = _literal(value)  # TBLPROPERTIES
            else:
                raise UnsupportedSqlError(
                    f"table property {key!r}",
                    "supported: partitioned_by, format, location/external_location, TBLPROPERTIES",
                )
        else:
            raise UnsupportedSqlError(f"table property {prop.sql()!r}", "")
    return out


def _check_new_table(ctx: ExecutionContext, name: TableName) -> Table | None:
    if ctx.store.table_exists(name.database, name.table):
        return ctx.store.get_table(name.database, name.table)
    return None


def _write_new(ctx: ExecutionContext, df: object, props: TableProperties, *, replace: bool) -> tuple[str, object]:
    """Write the table's first (or, with ``replace``, next) version; never into a folder of other files."""
    from lake.delta import LocationNotEmptyError, TableExistsError, purge_table

    name = ctx.statement.name
    assert name is not None
    location = ctx.profile.resolve(props.location) if props.location else ctx.warehouse_location(name)
    repartitioned = False
    if replace and ctx.delta.exists(location):
        current = list(ctx.delta.snapshot(location).metadata().partition_columns)
        if current != list(props.partitioned_by):
            purge_table(ctx.profile, location)  # new partitioning: a new history; other files stay
            replace, repartitioned = False, True
    try:
        with spark_errors(ast=ctx.statement.ast, source=ctx.statement.source, dialect=ctx.statement.dialect):
            result = ctx.delta.write(
                df, location, mode="overwrite" if replace else "create",  # type: ignore[arg-type]
                partition_by=props.partitioned_by,
                schema_mode="overwrite" if replace else None,
                commit_metadata=ctx.commit_metadata(),
                allow_non_empty=repartitioned,
            )
    except LocationNotEmptyError as exc:
        raise SqlError(
            f"{name}: LOCATION {location} is not empty and is not a Delta table (found {exc.shown}); "
            "choose an empty location: a table never adopts files it did not write"
        ) from None
    except TableExistsError:
        raise SqlError(
            f"{location} already holds a Delta table that the catalog does not name as {name} "
            "(left by DROP TABLE without PURGE?); CREATE OR REPLACE TABLE overwrites it (keeping its "
            "history), or give the new table another LOCATION"
        ) from None
    return location, result


def is_managed(table: Table) -> bool:
    """True for a table whose data we created (``MANAGED_TABLE``, not ``EXTERNAL=TRUE``)."""
    return (table.table_type == TableType.MANAGED_TABLE
            and str(table.parameters.get(Param.EXTERNAL, "")).upper() != "TRUE")


def _register(
    ctx: ExecutionContext, location: str, version: int | None, props: TableProperties, *, managed: bool
) -> None:
    name = ctx.statement.name
    assert name is not None
    register_delta_table(
        ctx.store, name.database, name.table, location, ctx.profile,
        parameters={**props.parameters, **ctx.lineage(version)}, description=props.comment, managed=managed,
    )


def create_table_as(ctx: ExecutionContext) -> Outcome:
    """CREATE [OR REPLACE] TABLE [IF NOT EXISTS] db.t [WITH (…)] AS query → a Delta table."""
    ast = ctx.statement.ast
    name = ctx.statement.name
    assert isinstance(ast, exp.Create) and name is not None
    replace = bool(ast.args.get("replace"))
    existing = _check_new_table(ctx, name)
    if existing is not None and not replace:
        if ast.args.get("exists"):
            return Outcome(message=f"table {name} already exists (unchanged)")
        raise SqlError(f"table {name} already exists; use CREATE OR REPLACE TABLE or INSERT INTO")
    if existing is not None and existing.is_view:
        raise SqlError(f"{name} is a view; DROP VIEW it first")
    props = table_properties(ast)
    # An explicit LOCATION makes an external table (DROP never deletes its data); a replaced
    # table keeps its type.
    managed = is_managed(existing) if existing is not None else not props.location
    if existing is not None and not props.location and existing.location:
        props.location = existing.location
    if existing is not None and props.location:  # never write data for a table that cannot be re-pointed
        check_location(ctx.store, name.database, name.table, ctx.profile.resolve(props.location), hint=CTAS_HINT)
    compiled = ctx.compile(ast.expression)
    df = compiled.df
    lower = {c.lower(): c for c in df.columns}
    missing = [c for c in props.partitioned_by if c.lower() not in lower]
    if missing:
        raise SqlError(f"partition column(s) {missing} of {name} are not in the query's columns {df.columns}")
    pcols = [lower[c.lower()] for c in props.partitioned_by]
    props.partitioned_by = pcols
    df = df.select(*[c for c in df.columns if c not in pcols], *pcols)  # partition columns last
    location, result = _write_new(ctx, df, props, replace=replace)
    _register(ctx, location, result.version, props, managed=managed)  # type: ignore[attr-defined]
    rows = result.rows  # type: ignore[attr-defined]
    return Outcome(
        message_result([("rows", "bigint")], (rows,)),
        message=f"{'replaced' if existing else 'created'} table {name} with {rows:,} rows at {location}",
        spark_sql=compiled.spark_sql,
    )


def create_table(ctx: ExecutionContext) -> Outcome:
    """CREATE TABLE [IF NOT EXISTS] db.t (col type, …) [PARTITIONED BY …] → an empty Delta table."""
    from pyspark.sql.types import StructType

    ast = ctx.statement.ast
    name = ctx.statement.name
    assert isinstance(ast, exp.Create) and isinstance(ast.this, exp.Schema) and name is not None
    if _check_new_table(ctx, name) is not None:
        if ast.args.get("exists"):
            return Outcome(message=f"table {name} already exists (unchanged)")
        raise SqlError(f"table {name} already exists")
    props = table_properties(ast)
    defs = [c for c in ast.this.expressions if isinstance(c, exp.ColumnDef)]
    columns = [(c.name, c.args["kind"].sql(dialect="spark")) for c in defs if c.args.get("kind") is not None]
    known = {c.lower() for c, _ in columns}
    columns += [(c, props.partition_types.get(c, "string")) for c in props.partitioned_by
                if c.lower() not in known]
    ddl = ", ".join(f"`{c}` {t}" for c, t in columns)
    with spark_errors(source=ctx.statement.source):
        schema = cast(StructType, StructType.fromDDL(ddl))
    df = ctx.spark.createDataFrame([], schema)
    pcols = props.partitioned_by
    df = df.select(*[c for c in df.columns if c not in pcols], *pcols)
    location, result = _write_new(ctx, df, props, replace=False)
    _register(ctx, location, result.version, props, managed=not props.location)  # type: ignore[attr-defined]
    return Outcome(message=f"created table {name} at {location}")


def drop_table(ctx: ExecutionContext) -> Outcome:
    """DROP TABLE [IF EXISTS] db.t [PURGE].

    The data is kept, except that PURGE on a managed table (created without LOCATION) deletes
    the files its Delta log ever referenced and the log: never other files in the folder, and
    never an external table's data.
    """
    from lake.delta import purge_table

    name = ctx.statement.name
    ast = ctx.statement.ast
    assert name is not None and ast is not None
    if not ctx.store.table_exists(name.database, name.table) and ast.args.get("exists"):
        return Outcome(message=f"table {name} does not exist (nothing dropped)")
    table = ctx.resolver.table(name, ctx.statement.source.position(0))
    if table.is_view:
        raise SqlError(f"{name} is a view; use DROP VIEW")
    purge, managed, location = bool(ast.args.get("purge")), is_managed(table), table.location
    if purge and managed and location:
        done = purge_table(ctx.profile, location)  # data first: a failed PURGE can be run again
        ctx.store.delete_table(name.database, name.table)
        if not done.log_deleted:
            return Outcome(message=f"dropped table {name} (no Delta log at {location}: nothing deleted)")
        return Outcome(message=f"dropped table {name} and deleted its {done.files} data files and Delta log "
                               f"at {location}")
    ctx.store.delete_table(name.database, name.table)
    if not location:
        return Outcome(message=f"dropped table {name}")
    if managed:
        return Outcome(message=f"dropped table {name} (data kept at {location}; DROP TABLE … PURGE deletes it)")
    never = "; PURGE never deletes an external table's data" if purge else ""
    return Outcome(message=f"dropped external table {name} (data kept at {location}{never})")


# --------------------------------------------------------------------------- databases


def create_database(ctx: ExecutionContext) -> Outcome:
    """CREATE DATABASE|SCHEMA [IF NOT EXISTS] db [COMMENT '…'] [LOCATION '…']."""
    ast = ctx.statement.ast
    assert ast is not None
    db = ctx.statement.options["database"]
    exists = bool(ast.args.get("exists"))
    if ctx.store.database_exists(db):
        if exists:
            return Outcome(message=f"database {db} already exists (unchanged)")
        raise SqlError(f"database {db!r} already exists")
    comment = ast.find(exp.SchemaCommentProperty)
    location = ast.find(exp.LocationProperty)
    ctx.store.create_database(Database(
        db, description=comment.this.name if comment else None,
        location_uri=ctx.profile.resolve(location.this.name) if location else None,
    ))
    return Outcome(message=f"created database {db}")


def drop_database(ctx: ExecutionContext) -> Outcome:
    """DROP DATABASE|SCHEMA [IF EXISTS] db [CASCADE] (tables' data is kept)."""
    ast = ctx.statement.ast
    assert ast is not None
    db = ctx.statement.options["database"]
    if not ctx.store.database_exists(db):
        if ast.args.get("exists"):
            return Outcome(message=f"database {db} does not exist (nothing dropped)")
        names = [d.name for d in ctx.store.list_databases()]
        raise UnknownDatabaseError(db, difflib.get_close_matches(db, names, n=3))
    tables = ctx.store.list_tables(db)
    if tables and not ast.args.get("cascade"):
        raise SqlError(f"database {db} is not empty ({len(tables)} tables and views); use DROP DATABASE {db} CASCADE")
    ctx.store.delete_database(db)
    return Outcome(message=f"dropped database {db}" + (f" and its {len(tables)} tables" if tables else ""))
