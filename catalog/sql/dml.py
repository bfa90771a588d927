"""DML on Delta tables: INSERT INTO / INSERT OVERWRITE, MERGE INTO, DELETE FROM.

Everything goes through the Delta table store (one commit per statement) and the catalog
entry is refreshed afterwards with the statement's lineage. INSERT maps columns by position
(or by the listed names) and casts to the table's types; INSERT OVERWRITE replaces the
partitions the new rows fall in (dynamic partition overwrite), or the partition named by a
static ``PARTITION (c = 'v')`` clause, or the whole table when it is not partitioned. MERGE
is executed as the store's key-based merge: ``ON`` must be equalities between target and
source columns; ``UPDATE SET *`` / ``UPDATE SET c = expr``, ``DELETE`` and ``INSERT *`` /
``INSERT (cols) VALUES (exprs)`` are supported, one clause each for matched and not matched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from catalog.delta import register_delta_table
from catalog.names import TableName
from catalog.sql.context import ExecutionContext, Outcome, message_result
from catalog.sql.dialect import to_spark_sql
from catalog.sql.errors import SqlError, UnsupportedSqlError
from catalog.sql.pushdown import conjuncts, literal_value
from catalog.sql.resolve import SourceTable, TableInfo
from catalog.sql.spark_errors import spark_errors
from catalog.types import from_arrow, to_spark_ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["delete", "insert", "merge"]

_HIT = "__lf_matched"


def _delta_target(ctx: ExecutionContext, name: TableName, verb: str) -> TableInfo:
    info = ctx.describe(name)
    if info.kind != "delta":
        what = "a view" if info.kind == "view" else f"a raw {info.kind} table"
        raise UnsupportedSqlError(
            f"{verb} into {name}" if verb != "DELETE" else f"DELETE from {name}",
            f"it is {what}; {verb} works on Delta tables (create one with CREATE TABLE … AS SELECT)",
        )
    return info


def _target_columns(info: TableInfo) -> list[tuple[str, str]]:
    """(name, glue type) in the Delta table's column order."""
    schema = pa.schema(info.snapshot.schema().to_arrow())
    return [(f.name, from_arrow(f.type)) for f in schema]


def _partition_columns(info: TableInfo) -> list[str]:
    return list(info.snapshot.metadata().partition_columns)


def _refresh(ctx: ExecutionContext, info: TableInfo, version: int | None) -> None:
    location = info.table.location
    assert location is not None
    register_delta_table(ctx.store, info.name.database, info.name.table, location, ctx.profile,
                         parameters=ctx.lineage(version))


def _cast(df: DataFrame, columns: list[tuple[str, str]]) -> DataFrame:
    from pyspark.sql import functions as F

    return df.select(*[F.col(f"`{name}`").cast(to_spark_ddl(t)).alias(name) for name, t in columns])


# --------------------------------------------------------------------------- INSERT


def _static_partitions(table: exp.Expression) -> tuple[dict[str, Any], list[str]]:
    """``PARTITION (c = 'v', d)`` → ({c: 'v'}, [d])."""
    spec = table.args.get("partition") if isinstance(table, exp.Table) else None
    static: dict[str, Any] = {}
    dynamic: list[str] = []
    for item in spec.expressions if spec is not None else []:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column):
            lit = literal_value(item.expression)
            if lit is None:
                raise UnsupportedSqlError(f"PARTITION value {item.expression.sql()!r}", "use a literal")
            static[item.this.name] = lit[1]
        elif isinstance(item, exp.Column):
            dynamic.append(item.name)
        else:
            raise UnsupportedSqlError(f"PARTITION clause item {item.sql()!r}", "")
    return static, dynamic


def insert(ctx: ExecutionContext) -> Outcome:
    """INSERT INTO / INSERT OVERWRITE [TABLE] db.t [PARTITION (…)] [(cols)] query|VALUES."""
    from pyspark.sql import functions as F

    ast = ctx.statement.ast
    name = ctx.statement.name
    assert isinstance(ast, exp.Insert) and name is not None
    overwrite = bool(ast.args.get("overwrite"))
    info = _delta_target(ctx, name, "INSERT")
    target = _target_columns(info)
    types = {n.lower(): (n, t) for n, t in target}
    pcols = _partition_columns(info)
    table_node = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    static, _ = _static_partitions(table_node)
    for key in static:
        if key.lower() not in {p.lower() for p in pcols}:
            raise SqlError(f"{key!r} in PARTITION (…) is not a partition column of {name} (partition columns: {pcols})")
    listed = [c.name for c in ast.this.expressions] if isinstance(ast.this, exp.Schema) else None
    source = ast.expression
    if isinstance(source, exp.Values):
        source = exp.select("*").from_(source.copy())
    compiled = ctx.compile(source)
    df = compiled.df
    static_lower = {k.lower() for k in static}
    names = listed if listed is not None else [n for n, _ in target if n.lower() not in static_lower]
    if len(df.columns) != len(names):
        raise SqlError(
            f"INSERT into {name}: the query returns {len(df.columns)} columns but "
            f"{len(names)} are expected ({', '.join(names)})"
        )
    unknown = [n for n in names if n.lower() not in types]
    if unknown:
        raise SqlError(f"INSERT into {name}: unknown column(s) {unknown}; table columns: {[n for n, _ in target]}")
    df = df.toDF(*[types[n.lower()][0] for n in names])
    for key, value in static.items():
        df = df.withColumn(types[key.lower()][0], F.lit(value))
    for col_name, _ in target:
        if col_name not in df.columns:
            df = df.withColumn(col_name, F.lit(None))
    df = _cast(df, target)
    location = info.table.location
    assert location is not None
    kwargs: dict[str, Any] = {"commit_metadata": ctx.commit_metadata()}
    if not overwrite:
        kwargs["mode"] = "append"
    elif pcols and static and {k.lower() for k in static} == {p.lower() for p in pcols}:
        kwargs.update(mode="overwrite", replace_where=[(types[k.lower()][0], "=", v) for k, v in static.items()])
    elif pcols:
        kwargs.update(mode="overwrite", overwrite_partitions=True)
    else:
        kwargs["mode"] = "overwrite"
    with spark_errors(ast=ast, source=ctx.statement.source, dialect=ctx.statement.dialect):
        result = ctx.delta.write(df, location, **kwargs)
    _refresh(ctx, info, result.version)
    verb = "overwrote" if overwrite else "inserted"
    return Outcome(
        message_result([("rows", "bigint")], (result.rows,)),
        message=f"{verb} {result.rows:,} rows into {name} (version {result.version})",
        spark_sql=compiled.spark_sql,
    )


# --------------------------------------------------------------------------- MERGE


def _alias(node: exp.Expression, default: str) -> str:
    return node.alias or default


def _merge_keys(on: exp.Expression, target_alias: str, source_alias: str,
                target_cols: dict[str, str]) -> list[str]:
    keys = []
    for conjunct in conjuncts(on):
        if not (isinstance(conjunct, exp.EQ) and isinstance(conjunct.this, exp.Column)
                and isinstance(conjunct.expression, exp.Column)):
            raise UnsupportedSqlError(
                f"MERGE … ON {conjunct.sql()}",
                "ON must compare target and source columns with = (joined by AND)",
            )
        left, right = conjunct.this, conjunct.expression
        if left.table.lower() == source_alias.lower() and right.table.lower() == target_alias.lower():
            left, right = right, left
        if left.table.lower() != target_alias.lower() or right.table.lower() != source_alias.lower():
            raise UnsupportedSqlError(
                f"MERGE … ON {conjunct.sql()}",
                f"qualify both sides: {target_alias}.<column> = {source_alias}.<column>",
            )
        if left.name.lower() not in target_cols:
            raise SqlError(f"MERGE: {left.name!r} is not a column of the target")
        keys.append(target_cols[left.name.lower()])
    return keys


def _clauses(ast: exp.Merge) -> tuple[exp.Expression | None, exp.Expression | None]:
    matched = not_matched = None
    whens = ast.args.get("whens")
    for when in whens.expressions if whens is not None else []:
        kind = "WHEN NOT MATCHED BY SOURCE" if when.args.get("source") else (
            "WHEN MATCHED" if when.args.get("matched") else "WHEN NOT MATCHED")
        if when.args.get("source"):
            raise UnsupportedSqlError(kind, "the table store's merge acts on source rows only")
        if when.args.get("condition") is not None:
            raise UnsupportedSqlError(f"{kind} AND <condition>", "filter the USING source instead")
        if when.args.get("matched"):
            if matched is not None:
                raise UnsupportedSqlError("several WHEN MATCHED clauses", "")
            matched = when.args["then"]
        else:
            if not_matched is not None:
                raise UnsupportedSqlError("several WHEN NOT MATCHED clauses", "")
            not_matched = when.args["then"]
    if matched is None and not_matched is None:
        raise SqlError("MERGE needs a WHEN MATCHED or WHEN NOT MATCHED clause")
    return matched, not_matched


def _col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)


def merge(ctx: ExecutionContext) -> Outcome:
    """MERGE INTO db.t [AS t] USING source [AS s] ON t.k = s.k WHEN [NOT] MATCHED THEN …."""
    ast = ctx.statement.ast
    name = ctx.statement.name
    assert isinstance(ast, exp.Merge) and name is not None
    info = _delta_target(ctx, name, "MERGE")
    target = _target_columns(info)
    tcols = {n.lower(): n for n, _ in target}
    target_node = ast.this
    using = ast.args["using"]
    t_alias = _alias(target_node, name.table)
    s_alias = _alias(using, using.name if isinstance(using, exp.Table) else "")
    if not s_alias:
        raise SqlError("MERGE … USING (subquery) needs an alias: USING (…) AS s")
    keys = _merge_keys(ast.args["on"], t_alias, s_alias, tcols)
    matched, not_matched = _clauses(ast)

    updates: dict[str, exp.Expression] = {}
    when_matched = None
    if isinstance(matched, exp.Update):
        when_matched = "update"
        for item in matched.expressions:
            if isinstance(item, exp.Star):
                updates = {n: _col(s_alias, n) for n, _ in target}
                break
            if not (isinstance(item, exp.EQ) and isinstance(item.this, exp.Column)):
                raise UnsupportedSqlError(f"UPDATE SET {item.sql()}", "")
            col = item.this.name.lower()
            if col not in tcols:
                raise SqlError(f"MERGE: UPDATE SET {item.this.name!r} is not a column of {name}")
            updates[tcols[col]] = item.expression
    elif matched is not None:
        if not (isinstance(matched, exp.Var) and str(matched.this).upper() == "DELETE"):
            raise UnsupportedSqlError(f"WHEN MATCHED THEN {matched.sql()}", "")
        when_matched = "delete"
    inserts: dict[str, exp.Expression] = {}
    when_not_matched = None
    if not_matched is not None:
        if not isinstance(not_matched, exp.Insert):
            raise UnsupportedSqlError(f"WHEN NOT MATCHED THEN {not_matched.sql()}", "")
        when_not_matched = "insert"
        if isinstance(not_matched.this, exp.Star):
            inserts = {n: _col(s_alias, n) for n, _ in target}
        else:
            cols = [c.name for c in not_matched.this.expressions]
            values = list(not_matched.expression.expressions) if not_matched.expression else []
            if len(cols) != len(values):
                raise SqlError(f"MERGE: INSERT names {len(cols)} columns but gives {len(values)} values")
            for c, v in zip(cols, values, strict=True):
                if c.lower() not in tcols:
                    raise SqlError(f"MERGE: INSERT column {c!r} is not a column of {name}")
                inserts[tcols[c.lower()]] = v

    hit = exp.column(_HIT, table=t_alias, quoted=True)
    projections = []
    for col_name, _ in target:
        matched_expr = updates.get(col_name, _col(t_alias, col_name)) if when_matched else exp.null()
        insert_expr = inserts.get(col_name, exp.null()) if when_not_matched else exp.null()
        case = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=hit.copy(), expression=exp.null())),
                                     true=matched_expr.copy())], default=insert_expr.copy())
        projections.append(exp.alias_(case, col_name, quoted=True))
    target_table = exp.Table(this=target_node.this.copy(), db=target_node.args.get("db"),
                             catalog=target_node.args.get("catalog"))
    inner = exp.select("*", exp.alias_(exp.true(), _HIT, quoted=True)).from_(target_table)
    source = using.copy()
    query = (
        exp.select(*projections)
        .from_(source)
        .join(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(t_alias))),
              on=ast.args["on"].copy(), join_type="LEFT")
    )
    if when_matched is None:
        query = query.where(exp.Is(this=hit.copy(), expression=exp.null()))
    elif when_not_matched is None:
        query = query.where(exp.Not(this=exp.Is(this=hit.copy(), expression=exp.null())))
    compiled = ctx.compile(query)
    df = _cast(compiled.df, target)
    location = info.table.location
    assert location is not None
    with spark_errors(ast=ast, source=ctx.statement.source, dialect=ctx.statement.dialect):
        result = ctx.delta.merge(df, location, on=keys, when_matched=when_matched,
                                 when_not_matched=when_not_matched)
    _refresh(ctx, info, result.version)
    return Outcome(
        message_result([("rows_updated", "bigint"), ("rows_deleted", "bigint"), ("rows_inserted", "bigint")],
                       (result.rows_updated, result.rows_deleted, result.rows_inserted)),
        message=(f"merged into {name}: {result.rows_updated:,} updated, {result.rows_deleted:,} deleted, "
                 f"{result.rows_inserted:,} inserted (version {result.version})"),
        spark_sql=compiled.spark_sql,
    )


# --------------------------------------------------------------------------- DELETE


def delete(ctx: ExecutionContext) -> Outcome:
    """DELETE FROM db.t [WHERE condition] (no subqueries in the condition)."""
    ast = ctx.statement.ast
    name = ctx.statement.name
    assert isinstance(ast, exp.Delete) and name is not None
    info = _delta_target(ctx, name, "DELETE")
    where = ast.args.get("where")
    if where is not None and where.find(exp.Query) is not None:
        raise UnsupportedSqlError("DELETE … WHERE with a subquery",
                                  "compute the keys first, e.g. with MERGE … THEN DELETE")
    condition = where.this.copy() if where is not None else exp.true()
    alias = ast.this.alias
    for col in condition.find_all(exp.Column):
        if col.table and col.table.lower() in {name.table, (alias or "").lower()}:
            col.set("table", None)
            col.set("db", None)
    predicate = to_spark_sql(condition, ctx.statement.dialect)
    location = info.table.location
    assert location is not None
    before = ctx.delta.snapshot(location)
    with spark_errors(ast=ast, source=ctx.statement.source, dialect=ctx.statement.dialect):
        rows = ctx.delta.read(location).where(predicate).count()
        result = ctx.delta.delete(location, predicate)
    ctx.resolver.sources.setdefault(str(name), _source(info, before.version()))
    _refresh(ctx, info, result.version)
    return Outcome(
        message_result([("rows", "bigint")], (rows,)),
        message=f"deleted {rows:,} rows from {name} (version {result.version})" if result.committed
        else f"no rows of {name} match; nothing deleted",
    )


def _source(info: TableInfo, version: int) -> SourceTable:
    return SourceTable(str(info.name), "delta", info.table.location, version)
