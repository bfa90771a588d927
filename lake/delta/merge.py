"""MERGE executed by Spark: only files holding matching keys are rewritten, one commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from lake.delta._schema import delta_arrow_schema, plan_schema, spark_to_arrow
from lake.delta._txn import AppTransactions, all_done, transaction_list
from lake.delta.errors import MergeError
from lake.delta.read import native_file_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lake.delta.store import DeltaTableStore

__all__ = ["MergeResult", "merge"]

_BROADCAST_ROWS = 200_000  # sources up to this size are broadcast to find the keys already in the table


@dataclass(frozen=True)
class MergeResult:
    """What a MERGE changed (``committed=False``: skipped, its app transactions were already there)."""

    table: str
    version: int | None
    rows_updated: int
    rows_deleted: int
    rows_inserted: int
    files_removed: int
    files_added: int
    committed: bool = True
    rows_written: int = 0


def merge(
    store: DeltaTableStore,
    source: DataFrame,
    table: str,
    on: Sequence[str],
    *,
    when_matched: Literal["update", "delete"] | None = "update",
    when_not_matched: Literal["insert"] | None = "insert",
    app_transactions: AppTransactions | None = None,
    commit_metadata: dict[str, Any] | None = None,
) -> MergeResult:
    """Upsert, insert or delete ``source`` rows into ``table`` by the key columns ``on``.

    ``when_matched``: ``update`` replaces a matching row, ``delete`` removes it, ``None``
    leaves it as it is — with ``when_not_matched="insert"`` that is an insert-only MERGE
    (``WHEN NOT MATCHED THEN INSERT``): existing files are never rewritten, only new keys are
    added. ``app_transactions`` are ``(app id, version)`` pairs recorded in the commit; when
    every app id already has a version ≥ the one given the MERGE is skipped
    (``committed=False``), and a MERGE that changes no row still commits them (an empty
    commit), so a caller's bookmark moves on.
    """
    from pyspark.sql import functions as F

    from lake.delta.write import conform, write_files

    dt = store.snapshot(table)
    uri = store.uri(table)
    keys = list(on)
    if not keys:
        raise MergeError(uri, "at least one key column is required")
    if when_matched is None and when_not_matched is None:
        raise MergeError(uri, "nothing to do: give when_matched and/or when_not_matched")
    txns = transaction_list(uri, None, None, app_transactions)
    if all_done(dt, txns):
        return MergeResult(uri, dt.version(), 0, 0, 0, 0, 0, committed=False)
    schema = delta_arrow_schema(dt.schema())
    missing = [k for k in keys if k not in source.columns or k not in schema.names]
    if missing:
        raise MergeError(uri, f"key columns {missing} missing from the source or the table")
    plan = plan_schema(uri, schema, spark_to_arrow(source.schema), None, overwrite=False)
    src = conform(source, plan).persist()
    inserts = None
    try:
        bounds = _key_bounds(src, keys, uri)
        filters = []
        for k in keys:
            if bounds[f"lo_{k}"] is not None:
                filters += [(k, ">=", bounds[f"lo_{k}"]), (k, "<=", bounds[f"hi_{k}"])]
        scan = store.plan_scan(dt, filters=filters)
        touched: list[str] = []
        matched_rows = 0
        parts = []
        if when_matched is not None:
            target = store.read_plan(dt, scan).withColumn("_lf_file", F.input_file_name())
            src_keys = src.select(*keys).withColumn("_lf_match", F.lit(True))
            hits = target.join(src_keys, keys, "inner")
            touched = [r["_lf_file"] for r in hits.select("_lf_file").distinct().collect()]
            matched_rows = hits.count()
            affected = target.where(F.col("_lf_file").isin(touched)).drop("_lf_file")
            parts.append(affected.join(src_keys, keys, "left_anti").select(*schema.names))
            if when_matched == "update":
                parts.append(src.join(affected.select(*keys).distinct(), keys, "left_semi").select(*schema.names))
        if when_not_matched == "insert":
            existing_keys = store.read_plan(dt, scan).select(*keys)
            if (bounds["_lf_rows"] or 0) <= _BROADCAST_ROWS:  # a small source (an incremental batch): no shuffle
                present = existing_keys.join(F.broadcast(src.select(*keys)), keys, "left_semi")
                inserts = src.join(F.broadcast(present), keys, "left_anti").select(*schema.names)
            else:
                inserts = src.join(existing_keys, keys, "left_anti").select(*schema.names)
            if when_matched is not None:
                inserts = inserts.persist()
            parts.append(inserts)
        pcols = list(dt.metadata().partition_columns)
        meta = {**(commit_metadata or {}), "lakeforge.keys": keys}
        files = None
        if when_matched is None and inserts is not None:  # insert-only: the write itself finds the new keys
            files = write_files(inserts, store.profile, uri, pcols, store.max_rows_per_file)
            n_inserted = files.rows
        else:
            n_inserted = inserts.count() if inserts is not None else 0
        if not touched and n_inserted == 0:
            if not txns:
                return MergeResult(uri, dt.version(), 0, 0, 0, 0, 0, committed=False)
            done = store.commit(dt, app_transactions=txns, commit_metadata=meta, operation="MERGE")
            return MergeResult(uri, done.version, 0, 0, 0, 0, 0, committed=done.committed)
        if files is None:
            out = parts[0]
            for part in parts[1:]:
                out = out.unionByName(part)
            files = write_files(out, store.profile, uri, pcols, store.max_rows_per_file)
        done = store.commit(dt, files, {native_file_uri(f) for f in touched}, app_transactions=txns,
                            commit_metadata=meta, operation="MERGE")
        if not done.committed:
            return MergeResult(uri, done.version, 0, 0, 0, 0, 0, committed=False)
        return MergeResult(
            uri, done.version,
            rows_updated=matched_rows if when_matched == "update" else 0,
            rows_deleted=matched_rows if when_matched == "delete" else 0,
            rows_inserted=n_inserted,
            files_removed=done.files_removed, files_added=done.files_added, rows_written=done.rows,
        )
    finally:
        if inserts is not None:
            inserts.unpersist()
        src.unpersist()


def _key_bounds(src: DataFrame, keys: list[str], uri: str) -> Any:
    """The source's row count and keys' min/max (for file skipping) in one aggregate; several rows per
    key is an error."""
    from pyspark.sql import functions as F

    grouped = src.groupBy(*keys).agg(F.count(F.lit(1)).alias("_lf_copies"))
    row = grouped.agg(F.max("_lf_copies").alias("_lf_copies"), F.sum("_lf_copies").alias("_lf_rows"),
                      *[F.min(k).alias(f"lo_{k}") for k in keys],
                      *[F.max(k).alias(f"hi_{k}") for k in keys]).collect()[0]
    if (row["_lf_copies"] or 0) > 1:
        dupe = grouped.where(F.col("_lf_copies") > 1).limit(1).collect()[0]
        raise MergeError(uri, f"several source rows match the same key { {k: dupe[k] for k in keys} }")
    return row
