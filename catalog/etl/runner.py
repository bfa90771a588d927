"""Run declared ETL tables: resolve the definition, bind the query to the rows to process, register.

For each run the query is compiled with its Delta sources bound to the DataFrames the ETL
engine hands over (the new rows of the incremental source, or each source's snapshot at the
recorded version); other names (static tables) resolve through the catalog as usual. After
the run the target, its quarantine table and ``quality.results`` are registered in the catalog.

    result = run_etl_table(spark, store, profile, "silver.heart_visits")
    results = run_all(spark, store, profile)          # dependency order; a failure skips dependents
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from catalog.delta import register_delta_table
from catalog.etl.declare import etl_table_parameters
from catalog.etl.definitions import EtlDefinition, get_definition, list_definitions
from catalog.etl.errors import EtlTableDroppedError
from catalog.etl.shape import query_shape
from catalog.etl.sources import SourcePlan, plan_sources
from catalog.names import TableName, parse_table_name
from catalog.sql.dialect import parse_sql
from catalog.sql.errors import DependencyCycleError
from catalog.sql.query import compile_query, referenced_tables
from catalog.sql.resolve import Resolver
from lake.errors import LakeforgeError
from lake.etl import RESULTS_CATALOG_NAME, EtlRunResult, EtlSpec, SourceSpec, run_etl
from lake.quality import QUARANTINE_SUFFIX

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["etl_spec", "run_all", "run_etl_table"]

_VIEW_SOURCES = "lakeforge.view.sources"


def etl_spec(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    definition: EtlDefinition,
    *,
    delta: DeltaTableStore | None = None,
) -> tuple[EtlSpec, SourcePlan]:
    """The engine's :class:`~lake.etl.EtlSpec` for a definition, sources resolved through the catalog."""
    ast = parse_sql(definition.query_spark, "spark")
    database = definition.database
    resolver = Resolver(spark, store, profile, delta=delta, default_database=database)
    infos = [resolver.describe(n) for n in referenced_tables(ast, database)]
    plan = plan_sources(query_shape(ast, database), infos)

    def build(frames: Mapping[str, DataFrame]) -> DataFrame:
        overrides = {parse_table_name(name): df for name, df in frames.items()}
        bound = Resolver(spark, store, profile, delta=delta, default_database=database)
        return compile_query(ast, bound, dialect="spark", default_database=database, overrides=overrides).df

    spec = EtlSpec(
        name=definition.name,
        location=definition.location,
        build=build,
        sources=tuple(SourceSpec(str(i.name), i.table.location or "") for i in plan.delta),
        incremental_source=str(plan.incremental) if plan.incremental is not None else None,
        key=definition.key,
        partition_by=definition.partitioned_by,
        row_rules=definition.row_rules(),
        suites=definition.suites(),
        definition_id=definition.definition_id,
        always_recompute=plan.always_recompute,
        quarantine_location=definition.quarantine_location,
    )
    return spec, plan


def run_etl_table(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    name: str | TableName,
    *,
    full_refresh: bool = False,
    delta: DeltaTableStore | None = None,
    publish_docs: bool = True,
) -> dict[str, Any]:
    """Run one declared ETL table; the JSON-able result (``status`` ``failed`` when a gate stopped it).

    Keys: run_id, table, status, mode, reason, generation, recovered, sources ({name: {from,
    to}}), files_read, rows_read, rows_written, rows_quarantined, duplicates, target_version,
    quarantine_version, rules (quality.results rows), docs_uri, docs_error, error, failed_rule,
    seconds, plus definition_id and quarantine_table.
    """
    from lake.delta import DeltaTableStore

    definition = get_definition(store, name)
    table = definition.table_name
    if not store.table_exists(table.database, table.table):
        raise EtlTableDroppedError(definition.name)
    delta = delta or DeltaTableStore(spark, profile)
    spec, plan = etl_spec(spark, store, profile, definition, delta=delta)
    result = run_etl(spark, profile, spec, full_refresh=full_refresh, store=delta, publish_docs=publish_docs,
                     raise_on_fail=False)
    _register(store, profile, definition, plan, result, delta)
    out = result.to_json()
    out["definition_id"] = definition.definition_id
    out["quarantine_table"] = definition.name + QUARANTINE_SUFFIX
    return out


def run_all(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    *,
    names: Sequence[str] | None = None,
    full_refresh: bool = False,
    delta: DeltaTableStore | None = None,
    publish_docs: bool = True,
) -> list[dict[str, Any]]:
    """Run every declared ETL table (or ``names``) in dependency order.

    A table whose upstream ETL table failed is not run (``status="skipped"``, naming it); a
    table that cannot run (a lakeforge error, e.g. a missing source) counts as failed and the
    others still run; a table dropped from the catalog is reported (``status="dropped"``), not run.
    """
    definitions = {d.name: d for d in list_definitions(store)}
    wanted = [str(parse_table_name(n)) for n in names] if names else list(definitions)
    for name in wanted:
        if name not in definitions:
            get_definition(store, name)  # raises EntityNotFoundError with suggestions
    order = dependency_order(store, [definitions[n] for n in wanted])
    failed: set[str] = set()
    out = []
    for definition in order:
        table = definition.table_name
        if not store.table_exists(table.database, table.table):
            out.append({"table": definition.name, "status": "dropped",
                        "reason": str(EtlTableDroppedError(definition.name))})
            continue
        upstream = sorted(failed & _reads(store, definition))
        if upstream:
            out.append({"table": definition.name, "status": "skipped",
                        "reason": f"upstream ETL table {', '.join(upstream)} failed"})
            failed.add(definition.name)
            continue
        try:
            result = run_etl_table(spark, store, profile, definition.name, full_refresh=full_refresh, delta=delta,
                                   publish_docs=publish_docs)
        except LakeforgeError as exc:
            result = {"table": definition.name, "status": "failed", "reason": "the run could not start or finish",
                      "error": str(exc), "error_type": type(exc).__name__}
        if result["status"] == "failed":
            failed.add(definition.name)
        out.append(result)
    return out


def dependency_order(store: CatalogStore, definitions: Sequence[EtlDefinition]) -> list[EtlDefinition]:
    """``definitions`` ordered so each runs after the ETL tables it reads (through views too)."""
    by_name = {d.name: d for d in definitions}
    graph: TopologicalSorter[str] = TopologicalSorter()
    for definition in sorted(definitions, key=lambda d: d.name):
        graph.add(definition.name, *sorted(n for n in _reads(store, definition) if n in by_name))
    try:
        return [by_name[n] for n in graph.static_order()]
    except CycleError as exc:
        raise DependencyCycleError([str(n) for n in (exc.args[1] if len(exc.args) > 1 else [])]) from None


def _reads(store: CatalogStore, definition: EtlDefinition) -> set[str]:
    """Every table the definition reads, directly or through views."""
    import json

    seen: set[str] = set()
    todo = [str(n) for n in referenced_tables(parse_sql(definition.query_spark, "spark"), definition.database)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        table = parse_table_name(name)
        if store.table_exists(table.database, table.table):
            entry = store.get_table(table.database, table.table)
            if entry.is_view:
                todo += json.loads(entry.parameters.get(_VIEW_SOURCES) or "[]")
    return seen


def _register(
    store: CatalogStore, profile: StorageProfile, definition: EtlDefinition, plan: SourcePlan,
    result: EtlRunResult, delta: DeltaTableStore,
) -> None:
    """Register the target, its quarantine table and quality.results (those that exist)."""
    import json

    from lake.etl import ResultsTable
    from lake.etl.spec import RESULTS_LOCATION

    name = definition.table_name
    if result.status == "succeeded" and result.target_version is not None:
        lineage = {"lakeforge.etl.run_id": result.run_id,
                   "lakeforge.etl.sources": json.dumps(result.sources, sort_keys=True)}
        register_delta_table(store, name.database, name.table, definition.location, profile,
                             parameters={**etl_table_parameters(definition, plan.mode), **lineage}, managed=True)
    if delta.exists(definition.quarantine_location):
        register_delta_table(store, name.database, name.table + QUARANTINE_SUFFIX, definition.quarantine_location,
                             profile, parameters={"lakeforge.etl.quarantine_of": definition.name}, managed=True)
    results = ResultsTable(profile, RESULTS_LOCATION)
    if results.exists():
        database, _, table = RESULTS_CATALOG_NAME.partition(".")
        register_delta_table(store, database, table, results.uri, profile,
                             parameters={"lakeforge.quality.results": "true"})
