"""Read a catalog table or view (optionally filtered) and record exactly what was read.

The input of a batch predict or a monitoring run is a ``db.table`` or ``db.view`` name plus
an optional ``WHERE`` expression in the chosen dialect. It is compiled by the SQL engine's
resolver, so views expand to the Delta tables they read; :attr:`ResolvedInput.sources` lists
every table read with its Delta version (a view's underlying tables included), and
:attr:`ResolvedInput.files` the raw (non-Delta) files, for lineage and idempotency keys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalog.inference.errors import InputResolutionError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["ResolvedInput", "resolve_input"]


@dataclass(frozen=True)
class ResolvedInput:
    """The input DataFrame, the query that made it, and what it read."""

    name: str
    where: str | None
    sql: str
    df: DataFrame
    sources: tuple[dict[str, Any], ...]
    files: tuple[tuple[str, int], ...]

    @property
    def delta_versions(self) -> dict[str, int]:
        """``{"db.table": version}`` of every Delta table read."""
        return {s["table"]: int(s["version"]) for s in self.sources if s.get("version") is not None}

    def fingerprint(self) -> str:
        """A digest of exactly what was read: Delta versions, raw files and sizes, the filter."""
        payload = {"name": self.name, "where": self.where, "delta": self.delta_versions,
                   "files": sorted(self.files)}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def resolve_input(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    name: str,
    *,
    where: str | None = None,
    dialect: str = "spark",
    delta: DeltaTableStore | None = None,
) -> ResolvedInput:
    """``SELECT * FROM name [WHERE where]`` through the catalog, with its lineage."""
    from sqlglot import exp

    from catalog.names import parse_table_name
    from catalog.sql.dialect import parse_sql, sqlglot_dialect
    from catalog.sql.query import compile_query
    from catalog.sql.resolve import Resolver
    from catalog.sql.statements import StatementText
    from lake.errors import LakeforgeError

    try:
        table = parse_table_name(name)
    except LakeforgeError as exc:
        raise InputResolutionError(name=name, reason=f"{exc}; give it as db.table") from None
    query = exp.select("*").from_(exp.Table(this=exp.to_identifier(table.table), db=exp.to_identifier(table.database)))
    if where is not None and where.strip():
        try:
            condition = parse_sql(f"SELECT 1 WHERE {where}", dialect).args.get("where")
        except LakeforgeError as exc:
            raise InputResolutionError(name=name, reason=f"--where {where!r} is not a {dialect} expression: {exc}") \
                from None
        if condition is None or "Select" in {type(n).__name__ for n in condition.this.walk()}:
            raise InputResolutionError(name=name, reason=f"--where {where!r} must be one boolean expression "
                                       "without subqueries")
        query = query.where(condition.this)
    sql = query.sql(dialect=sqlglot_dialect(dialect))
    resolver = Resolver(spark, store, profile, delta=delta, default_database=table.database)
    compiled = compile_query(query, resolver, source=StatementText(sql), dialect=dialect,
                             default_database=table.database)
    sources = tuple(s.to_json() for s in resolver.sources.values())
    files = tuple(sorted({(f.path, int(f.size)) for f in resolver.scanned
                          if not _is_delta_file(f.path, sources)}))
    return ResolvedInput(str(table), where, sql, compiled.df, sources, files)


def _is_delta_file(path: str, sources: tuple[dict[str, Any], ...]) -> bool:
    roots = [str(s["location"]).rstrip("/") + "/" for s in sources if s.get("version") is not None
             and s.get("location")]
    return any(path.startswith(root) for root in roots)
