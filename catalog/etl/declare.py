"""``CREATE OR REFRESH TABLE``: store an ETL table's definition in the catalog; never run it.

Declaring checks the query against the catalog (names, columns), the KEY and PARTITIONED BY
columns against its output, every EXPECT expression against its output (analysis only, no
job), and the table-rule files beside the SQL; it then stores the definition (collection
``etl_tables``) and, if the table has never been run, creates it empty with the query's schema
and registers it, so views and ETL tables declared after it in the same library resolve. The
data comes with the first run (``lake etl run``, ``jobs/etl.py``).

Re-declaring replaces the definition; a changed query, rule, key or partitioning makes the
next run a full refresh. A view of the same name (the library's old silver view, say) is
replaced by the table; a table that is not an ETL table is never taken over.
"""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.delta import register_delta_table
from catalog.etl.definitions import COLLECTION, EtlDefinition, find_rule_files, get_definition, put_definition
from catalog.etl.shape import query_shape
from catalog.etl.sources import plan_sources
from catalog.names import TableName
from catalog.sql.context import ExecutionContext, Outcome
from catalog.sql.dialect import to_spark_sql
from catalog.sql.errors import SqlError
from catalog.sql.etl_grammar import EtlTableStatement
from catalog.sql.query import compile_query, qualify_names
from lake.quality import QUARANTINE_SUFFIX, QualityError, RowRule, RuleAction, flag_rows

__all__ = ["ETL_PARAM", "declare_etl_table", "etl_table_parameters"]

ETL_PARAM = "lakeforge.etl"


def etl_table_parameters(definition: EtlDefinition, mode: str) -> dict[str, str]:
    """Catalog parameters marking a table as an ETL table (and naming its definition)."""
    return {ETL_PARAM: "true", "lakeforge.etl.definition": definition.definition_id, "lakeforge.etl.mode": mode}


def declare_etl_table(ctx: ExecutionContext) -> Outcome:
    """Handle ``CREATE OR REFRESH TABLE`` (see the module docstring)."""
    stmt = ctx.statement
    decl = stmt.options["etl"]
    assert isinstance(decl, EtlTableStatement) and stmt.name is not None
    name = stmt.name
    previous = _previous(ctx, name)
    existing = ctx.store.get_table(name.database, name.table) if ctx.store.table_exists(
        name.database, name.table) else None
    if existing is not None and not existing.is_view and previous is None \
            and existing.parameters.get(ETL_PARAM) != "true":
        raise SqlError(f"{name} is a table that is not an ETL table; DROP TABLE it first or pick another name")
    compiled = compile_query(decl.query, ctx.resolver, source=decl.query_source, dialect=stmt.dialect,
                             default_database=ctx.database)
    df = compiled.df
    if str(name) in ctx.resolver.sources:
        raise SqlError(f"ETL table {name} reads itself")
    key = _output_columns(df.columns, decl.key, "KEY", name)
    partitioned = _output_columns(df.columns, decl.partitioned_by, "PARTITIONED BY", name)
    _check_constraints(df, decl)
    rule_files = find_rule_files(ctx.source_dir, name)
    shape = query_shape(decl.query, ctx.database)
    sources = plan_sources(shape, [r.info for r in compiled.refs if r.info is not None])
    now = datetime.now(UTC).isoformat()
    location = previous.location if previous is not None else (
        existing.location if existing is not None and not existing.is_view and existing.location
        else ctx.warehouse_location(name))
    quarantine = previous.quarantine_location if previous is not None else ctx.warehouse_location(
        TableName(name.database, name.table + QUARANTINE_SUFFIX))
    definition = EtlDefinition(
        name=str(name), database=ctx.database, dialect=stmt.dialect, sql=stmt.text,
        query=decl.query_source.text, query_spark=to_spark_sql(qualify_names(decl.query, ctx.database), stmt.dialect),
        location=ctx.profile.resolve(location), quarantine_location=ctx.profile.resolve(quarantine),
        constraints=tuple(c.to_json() for c in decl.constraints), key=key, partitioned_by=partitioned,
        table_rules=tuple(rule_files),
        shape={**shape.to_json(), "mode": sources.mode, "mode_reason": sources.mode_reason},
        declared_at=previous.declared_at if previous is not None else now, updated_at=now, query_id=ctx.query_id,
    )
    created = _ensure_table(ctx, definition, df, partitioned)
    put_definition(ctx.store, definition)
    if existing is not None and existing.is_view:
        ctx.store.delete_table(name.database, name.table)
    register_delta_table(ctx.store, name.database, name.table, definition.location, ctx.profile,
                         parameters=etl_table_parameters(definition, sources.mode), managed=True)
    changed = previous is not None and previous.definition_id != definition.definition_id
    verb = "re-declared" if previous is not None else "declared"
    rules = f"{len(decl.constraints)} row rule{'s' if len(decl.constraints) != 1 else ''}"
    files = f", table rules from {', '.join(r.source.rsplit('/', 1)[-1] for r in rule_files)}" if rule_files else ""
    after = ("; the next run is a full refresh" if changed else "") + (" (created empty)" if created else "")
    return Outcome(
        message=f"{verb} ETL table {name}: {sources.mode_reason}; {rules}{files}{after}; "
                f"not run — run it with `lake etl run {name}`",
        spark_sql=compiled.spark_sql,
    )


def _previous(ctx: ExecutionContext, name: TableName) -> EtlDefinition | None:
    if str(name) not in ctx.store.list_documents(COLLECTION):
        return None
    return get_definition(ctx.store, name)


def _output_columns(columns: list[str], wanted: tuple[str, ...], clause: str, name: TableName) -> tuple[str, ...]:
    lower = {c.lower(): c for c in columns}
    missing = [c for c in wanted if c.lower() not in lower]
    if missing:
        raise SqlError(f"{clause} column(s) {missing} of {name} are not among the query's columns {columns}")
    return tuple(lower[c.lower()] for c in wanted)


def _check_constraints(df: object, decl: EtlTableStatement) -> None:
    """Every EXPECT must analyse against the query's output and be boolean (no Spark job runs)."""
    for constraint in decl.constraints:
        try:
            flag_rows(df, [RowRule(constraint.name, constraint.expression, RuleAction.parse(constraint.action))])  # type: ignore[arg-type]
        except QualityError as exc:
            where = f" (line {constraint.line}, column {constraint.column})" if constraint.line else ""
            raise SqlError(f"{exc}{where}") from None


def _ensure_table(ctx: ExecutionContext, definition: EtlDefinition, df: object, partitioned: tuple[str, ...]) -> bool:
    """Create the target empty with the query's schema unless it exists; True when created.

    A target that was never run and holds no data is re-created when its schema or partitioning
    changed; one with data this ETL table did not write is refused.
    """
    from lake.delta import purge_table

    location = definition.location
    empty = df.select(*[c for c in df.columns if c not in partitioned], *partitioned).limit(0)  # type: ignore[attr-defined]
    meta = {"lakeforge.etl.declared": definition.name, "lakeforge.query_id": ctx.query_id}
    if not ctx.delta.exists(location):
        ctx.delta.write(empty, location, mode="create", partition_by=list(partitioned), commit_metadata=meta)
        return True
    snapshot = ctx.delta.snapshot(location)
    from lake.etl.state import generation_app_id

    if snapshot.transaction_version(generation_app_id(definition.name)) is not None:
        return False  # it has run: a changed definition is applied by the next run (a full refresh)
    if len(snapshot.file_uris()):
        raise SqlError(
            f"{location} already holds a Delta table with data that ETL table {definition.name} did not write "
            "(left by DROP TABLE without PURGE?); remove it or move it away, then declare again"
        )
    current = [f.name for f in snapshot.schema().fields]
    wanted = list(empty.columns)
    if current != wanted or list(snapshot.metadata().partition_columns) != list(partitioned):
        purge_table(ctx.profile, location)
        ctx.delta.write(empty, location, mode="create", partition_by=list(partitioned), commit_metadata=meta,
                        allow_non_empty=True)
        return True
    return False
