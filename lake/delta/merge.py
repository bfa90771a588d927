"""MERGE executed by Spark: only files holding matching keys are rewritten, one commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lake.delta._schema import plan_schema, spark_to_arrow
from lake.delta.errors import MergeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lake.delta.store import DeltaTableStore

__all__ = ["MergeResult", "merge"]


@dataclass(frozen=True)
class MergeResult:
    """What a MERGE changed."""

    table: str
    version: int | None
    rows_updated: int
    rows_deleted: int
    rows_inserted: int
    files_removed: int
    files_added: int


def merge(
    store: DeltaTableStore,
    source: DataFrame,
    table: str,
    on: Sequence[str],
    *,
    when_matched: Literal["update", "delete"] | None = "update",
    when_not_matched: Literal["insert"] | None = "insert",
) -> MergeResult:
    """Upsert or delete ``source`` rows into ``table`` by the key columns ``on``."""
    from pyspark.sql import functions as F

    from lake.delta.store import _conform, _removes_for_files

    dt = store.snapshot(table)
    uri = store.uri(table)
    keys = list(on)
    if not keys:
        raise MergeError(uri, "at least one key column is required")
    from lake.delta._schema import delta_arrow_schema

    schema = delta_arrow_schema(dt.schema())
    missing = [k for k in keys if k not in source.columns or k not in schema.names]
    if missing:
        raise MergeError(uri, f"key columns {missing} missing from the source or the table")
    plan = plan_schema(uri, schema, spark_to_arrow(source.schema), None, overwrite=False)
    src = _conform(source, plan.table_schema, plan.casts, plan.fill_null).persist()
    try:
        dupes = src.groupBy(*keys).count().where("count > 1").limit(1).collect()
        if dupes:
            key = {k: dupes[0][k] for k in keys}
            raise MergeError(uri, f"several source rows match the same key {key}")
        bounds = src.agg(*[F.min(k).alias(f"lo_{k}") for k in keys],
                         *[F.max(k).alias(f"hi_{k}") for k in keys]).collect()[0]
        filters = []
        for k in keys:
            if bounds[f"lo_{k}"] is not None:
                filters += [(k, ">=", bounds[f"lo_{k}"]), (k, "<=", bounds[f"hi_{k}"])]
        scan = store._plan(dt, filters)
        target = store._read_plan(dt, scan).withColumn("_lf_file", F.input_file_name())
        src_keys = src.select(*keys).withColumn("_lf_match", F.lit(True))
        hits = target.join(src_keys, keys, "inner")
        touched = [r["_lf_file"] for r in hits.select("_lf_file").distinct().collect()]
        matched_rows = hits.count()
        affected = target.where(F.col("_lf_file").isin(touched)).drop("_lf_file")
        kept = affected.join(src_keys, keys, "left_anti").select(*schema.names)
        parts = [kept]
        if when_matched == "update":
            parts.append(src.join(affected.select(*keys).distinct(), keys, "left_semi").select(*schema.names))
        inserts = None
        if when_not_matched == "insert":
            existing_keys = store._read_plan(dt, scan).select(*keys)
            inserts = src.join(existing_keys, keys, "left_anti").select(*schema.names).persist()
            parts.append(inserts)
        n_inserted = inserts.count() if inserts is not None else 0
        if not touched and n_inserted == 0:
            return MergeResult(uri, dt.version(), 0, 0, 0, 0, 0)
        out = parts[0]
        for part in parts[1:]:
            out = out.unionByName(part)
        pcols = list(dt.metadata().partition_columns)
        files = store._write_files(out, uri, pcols)
        removes = _removes_for_files(dt, {store.profile.to_native_uri(f) for f in touched})
        from lake.delta.store import _props

        dt.update_incremental()
        version = store._commit(dt, uri, [*files.adds, *removes], "append", plan.table_schema,
                                pcols, _props(None, None, "MERGE", "merge", {"lakeforge.keys": keys}))
        if inserts is not None:
            inserts.unpersist()
        return MergeResult(
            uri, version,
            rows_updated=matched_rows if when_matched == "update" else 0,
            rows_deleted=matched_rows if when_matched == "delete" else 0,
            rows_inserted=n_inserted,
            files_removed=len(removes), files_added=len(files.adds),
        )
    finally:
        src.unpersist()
