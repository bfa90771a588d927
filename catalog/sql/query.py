"""Compile a parsed query: bind every catalog name to a resolved DataFrame, run it on Spark.

Table references are found with sqlglot (CTE names excluded), resolved through the
:class:`~catalog.sql.resolve.Resolver` with the filters their SELECT's WHERE clause puts on
them (pruning) and their time travel (``VERSION AS OF`` / ``TIMESTAMP AS OF``), and
replaced by temporary views private to this compilation. The rewritten statement is
generated as Spark SQL (translating from the statement's dialect), analysed by Spark, and
the temporary views are dropped again: the analysed plan no longer needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from catalog.names import TableName
from catalog.sql.dialect import to_spark_sql
from catalog.sql.errors import SqlError
from catalog.sql.pushdown import Filter, SourceColumns, extract_filters
from catalog.sql.resolve import Resolver, TableInfo, TimeTravel, parse_timestamp
from catalog.sql.spark_errors import spark_errors
from catalog.sql.statements import StatementText, table_name_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["CompiledQuery", "TableRef", "compile_query", "qualify_names", "referenced_tables"]

@dataclass
class TableRef:
    """One catalog table reference in a query."""

    node: exp.Table
    name: TableName
    travel: TimeTravel
    alias: str
    where: tuple[int, int] | None = None
    info: TableInfo | None = None
    filters: list[Filter] = field(default_factory=list)


@dataclass
class CompiledQuery:
    """A query bound to DataFrames: the Spark DataFrame and the Spark SQL it ran."""

    df: DataFrame
    spark_sql: str
    refs: list[TableRef]


def _cte_names(ast: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in ast.find_all(exp.CTE)}


def _is_catalog_ref(node: exp.Table, ctes: set[str]) -> bool:
    if not isinstance(node.this, exp.Identifier):
        return False  # table-valued functions such as range(10)
    if node.db or node.catalog:
        return True
    return node.name.lower() not in ctes


def _where(node: exp.Table, source: StatementText | None) -> tuple[int, int] | None:
    start = node.this.meta.get("start") if isinstance(node.this, exp.Identifier) else None
    if source is None or not isinstance(start, int):
        return None
    if node.db and isinstance(node.args.get("db"), exp.Identifier):
        db_start = node.args["db"].meta.get("start")
        start = db_start if isinstance(db_start, int) else start
    return source.position(start)


def _travel(node: exp.Table, resolver: Resolver) -> TimeTravel:
    version = node.args.get("version")
    if version is None:
        return TimeTravel()
    kind = str(version.this).upper()
    value = version.expression
    if kind == "VERSION":
        if isinstance(value, exp.Literal) and not value.is_string and str(value.this).isdigit():
            return TimeTravel(version=int(value.this))
        raise SqlError(f"VERSION AS OF needs a version number, got {value.sql()!r}")
    literal = value.this if isinstance(value, exp.Cast) else value
    if isinstance(literal, exp.Literal) and literal.is_string:
        return TimeTravel(timestamp=parse_timestamp(literal.this))
    with spark_errors():
        moment = resolver.spark.sql(f"SELECT CAST({value.sql(dialect='spark')} AS TIMESTAMP) AS t").first()
    if moment is None or moment["t"] is None:
        raise SqlError(f"TIMESTAMP AS OF {value.sql()!r} is NULL")
    return TimeTravel(timestamp=parse_timestamp(moment["t"]))


def _scope(node: exp.Table) -> exp.Select | None:
    parent = node.parent
    if isinstance(parent, exp.From | exp.Join) and isinstance(parent.parent, exp.Select):
        return parent.parent
    return None


def _sources_of(select: exp.Select) -> list[exp.Expression]:
    out = []
    if select.args.get("from_") is not None:
        out.append(select.args["from_"].this)
    out.extend(j.this for j in select.args.get("joins") or [])
    return out


def _refs(ast: exp.Expression, resolver: Resolver, source: StatementText | None,
          default_database: str) -> list[TableRef]:
    ctes = _cte_names(ast)
    refs = []
    for node in list(ast.find_all(exp.Table)):
        if not _is_catalog_ref(node, ctes):
            continue
        name = table_name_of(node, default_database)
        alias = node.alias or name.table
        refs.append(TableRef(node, name, _travel(node, resolver), alias, _where(node, source)))
    return refs


def _push_filters(refs: list[TableRef]) -> None:
    """Attach WHERE-clause filters to the references each SELECT reads directly."""
    by_select: dict[int, tuple[exp.Select, list[TableRef]]] = {}
    for ref in refs:
        select = _scope(ref.node)
        if select is not None and ref.info is not None and ref.info.kind != "view":
            by_select.setdefault(id(select), (select, []))[1].append(ref)
    for select, members in by_select.values():
        where = select.args.get("where")
        if where is None:
            continue
        aliases = [m.alias.lower() for m in members]
        if len(set(aliases)) != len(aliases):
            continue  # ambiguous aliases: let Spark work it out
        sources = {m.alias.lower(): SourceColumns(m.alias.lower(), m.info.columns if m.info else {})
                   for m in members}
        complete = len(_sources_of(select)) == len(members)
        for alias, filters in extract_filters(where, sources, complete=complete).items():
            next(m for m in members if m.alias.lower() == alias).filters = filters


def _rebind(ref: TableRef, view: str) -> None:
    node = ref.node
    had_alias = bool(node.alias)
    node.set("this", exp.to_identifier(view))
    node.set("db", None)
    node.set("catalog", None)
    node.set("version", None)
    if not had_alias:
        node.set("alias", exp.TableAlias(this=exp.to_identifier(ref.alias)))


def _strip_qualified_columns(ast: exp.Expression, refs: list[TableRef]) -> None:
    """``db.t.col`` → ``t.col`` for tables now bound under their own name."""
    names = {(r.name.database, r.name.table) for r in refs}
    for col in ast.find_all(exp.Column):
        if col.args.get("db") is not None and (col.db.lower(), col.table.lower()) in names:
            col.set("db", None)
            col.set("catalog", None)


def qualify_names(ast: exp.Expression, default_database: str) -> exp.Expression:
    """A copy of ``ast`` whose catalog names are all ``db.table`` (for stored view text)."""
    out = ast.copy()
    ctes = _cte_names(out)
    for node in out.find_all(exp.Table):
        if _is_catalog_ref(node, ctes):
            name = table_name_of(node, default_database)
            node.set("catalog", None)
            node.set("db", exp.to_identifier(name.database))
            node.set("this", exp.to_identifier(name.table))
    return out


def _offset(node: exp.Table) -> int:
    start = node.this.meta.get("start") if isinstance(node.this, exp.Identifier) else None
    return start if isinstance(start, int) else 0


def referenced_tables(ast: exp.Expression, default_database: str) -> list[TableName]:
    """The catalog names a statement reads (CTE names excluded), in order of appearance."""
    ctes = _cte_names(ast)
    seen: list[TableName] = []
    for node in sorted(ast.find_all(exp.Table), key=_offset):
        if _is_catalog_ref(node, ctes):
            name = table_name_of(node, default_database)
            if name not in seen:
                seen.append(name)
    return seen


def compile_query(
    ast: exp.Expression,
    resolver: Resolver,
    *,
    source: StatementText | None = None,
    dialect: str = "spark",
    default_database: str | None = None,
    overrides: Mapping[TableName, DataFrame] | None = None,
) -> CompiledQuery:
    """Bind ``ast``'s catalog names to DataFrames and analyse it with Spark.

    The temporary views the names are bound to are dropped (or stay cached) once Spark has
    analysed the statement: the analysed plan holds the relations themselves. ``overrides``
    binds names to given DataFrames instead of the catalog's (an ETL run binds its source to
    the new rows); those names are not looked up and get no filter pushdown.
    """
    original = ast
    ast = ast.copy()
    database = default_database or resolver.default_database
    overrides = overrides or {}
    refs = _refs(ast, resolver, source, database)
    for ref in refs:
        if ref.name not in overrides:
            ref.info = resolver.describe(ref.name, ref.travel, ref.where)
    _push_filters(refs)
    spark = resolver.spark
    mark = resolver.mark
    try:
        for ref in refs:
            if ref.name in overrides:
                _rebind(ref, resolver.bind_frame(overrides[ref.name]))
                continue
            assert ref.info is not None
            _rebind(ref, resolver.bind(ref.info, ref.filters))
        _strip_qualified_columns(ast, refs)
        sql = to_spark_sql(ast, dialect)
        with spark_errors(ast=original, source=source, dialect=dialect):
            df = spark.sql(sql)
    finally:
        resolver.release(mark)
    return CompiledQuery(df, sql, refs)
