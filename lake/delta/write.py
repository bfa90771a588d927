"""Writing Delta tables: plan the schema and partitioning, write Parquet files with Spark, commit once.

Spark tasks put Parquet files at their final place under the table root and return file
metadata with statistics (:mod:`lake.delta._writer`); the driver commits them in one Delta
transaction (:mod:`lake.delta.commit`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from deltalake import DeltaTable
from deltalake.transaction import AddAction, RemoveAction

from lake.delta._ownership import CREATED_IN, NON_EMPTY, check_new_location
from lake.delta._scan import Filter, filters_to_column
from lake.delta._schema import SchemaMode, SchemaPlan, arrow_to_spark, delta_arrow_schema, plan_schema, spark_to_arrow
from lake.delta._txn import AppTransactions, all_done
from lake.delta._writer import FILE_META_SCHEMA, TaskWriteSpec, make_task_writer
from lake.delta.commit import (
    MODES,
    DataFiles,
    WriteResult,
    add_columns,
    commit_actions,
    commit_properties,
    create_table,
    removes_for_files,
    removes_for_partitions,
)
from lake.delta.errors import InvalidWriteError, LocationNotEmptyError, TableExistsError
from lake.delta.read import native_file_uri, plan_snapshot, read_files, try_snapshot
from lake.storage import uris as _uris

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lake.delta.store import DeltaTableStore
    from lake.storage import StorageProfile

__all__ = ["WriteMode", "conform", "predicate_column", "rewrite_without", "stage_files", "write_files", "write_table"]

WriteMode = Literal["append", "overwrite", "create", "error"]


def write_table(
    store: DeltaTableStore, df: DataFrame, table: str, *, mode: WriteMode, partition_by: Sequence[str] | None,
    schema_mode: SchemaMode, replace_where: Sequence[Filter] | str | None, overwrite_partitions: bool,
    txns: AppTransactions, commit_metadata: dict[str, Any] | None, allow_non_empty: bool,
) -> WriteResult:
    """Write ``df`` to ``table`` and commit once; see :meth:`~lake.delta.store.DeltaTableStore.write`."""
    uri = store.uri(table)
    if mode not in MODES:
        raise InvalidWriteError(uri, f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
    if (overwrite_partitions or replace_where is not None) and mode != "overwrite":
        raise InvalidWriteError(uri, "overwrite_partitions/replace_where need mode='overwrite'")
    if overwrite_partitions and replace_where is not None:
        raise InvalidWriteError(uri, "choose overwrite_partitions or replace_where, not both")
    dt = try_snapshot(store.profile, uri)
    if dt is not None and mode in ("create", "error"):
        raise TableExistsError(uri)
    created_in = None
    if dt is None:
        try:
            created_in = check_new_location(store.profile, uri)
        except LocationNotEmptyError:
            if not allow_non_empty:
                raise
            created_in = NON_EMPTY
    if dt is not None and all_done(dt, txns):
        return WriteResult(uri, dt.version(), committed=False)

    existing = delta_arrow_schema(dt.schema()) if dt is not None else None
    pcols = partition_columns(uri, dt, partition_by, df.columns)
    plan = plan_schema(uri, existing, spark_to_arrow(df.schema), schema_mode, overwrite=mode == "overwrite")
    data = conform(df, plan)
    if dt is not None and overwrite_partitions and not pcols:
        raise InvalidWriteError(uri, "overwrite_partitions needs a partitioned table")
    predicate = predicate_column(replace_where) if replace_where is not None else None
    if predicate is not None:
        _check_predicate(uri, data, predicate)

    files = write_files(data, store.profile, uri, pcols, store.max_rows_per_file)
    removes: list[RemoveAction] = []
    extra: list[AddAction] = []
    if dt is not None and overwrite_partitions:
        removes = removes_for_partitions(dt, pcols, files.adds)
    elif dt is not None and predicate is not None:
        touched, extra = rewrite_without(store, dt, uri, pcols, predicate)
        removes = removes_for_files(dt, touched)
    adds = files.adds + extra
    if store.before_commit is not None:
        store.before_commit(uri, adds)
    meta = {**(commit_metadata or {}), CREATED_IN: created_in} if created_in else commit_metadata
    props = commit_properties("WRITE", mode, meta, txns)
    if dt is None:
        version = create_table(store.profile, uri, plan.table_schema, adds, pcols, props, mode)
        if version is None:  # someone created it first: write again as an append to theirs
            return write_table(store, df, table, mode="append" if mode != "overwrite" else mode,
                               partition_by=partition_by, schema_mode=schema_mode, replace_where=None,
                               overwrite_partitions=False, txns=txns, commit_metadata=commit_metadata,
                               allow_non_empty=True)
    else:
        dt.update_incremental()
        if all_done(dt, txns):
            return WriteResult(uri, dt.version(), committed=False)
        if plan.evolved and existing is not None and schema_mode == "merge":
            add_columns(dt, existing, plan.table_schema)
        full_overwrite = mode == "overwrite" and not overwrite_partitions and predicate is None
        version = commit_actions(store.profile, dt, uri, [*adds, *removes], "overwrite" if full_overwrite else "append",
                                 plan.table_schema, pcols, props)
    return WriteResult(uri, version, True, len(adds), len(removes), files.rows)


def stage_files(store: DeltaTableStore, df: DataFrame, table: str, partition_by: Sequence[str] | None) -> DataFiles:
    """Write ``df`` as data files of ``table`` without committing; see
    :meth:`~lake.delta.store.DeltaTableStore.write_files`."""
    uri = store.uri(table)
    dt = try_snapshot(store.profile, uri)
    created_in = check_new_location(store.profile, uri) if dt is None else None
    existing = delta_arrow_schema(dt.schema()) if dt is not None else None
    pcols = partition_columns(uri, dt, partition_by, df.columns)
    plan = plan_schema(uri, existing, spark_to_arrow(df.schema), None, overwrite=False)
    files = write_files(conform(df, plan), store.profile, uri, pcols, store.max_rows_per_file)
    return DataFiles(files.adds, files.rows, plan.table_schema, tuple(pcols), created_in)


def partition_columns(
    uri: str, dt: DeltaTable | None, requested: Sequence[str] | None, columns: Sequence[str]
) -> list[str]:
    """The partition columns a write uses: the table's, or ``requested`` for a new table."""
    current = list(dt.metadata().partition_columns) if dt is not None else None
    wanted = list(requested) if requested is not None else current or []
    if current is not None and requested is not None and wanted != current:
        # delta-rs keeps a table's partition columns on overwrite, so a new partitioning
        # would leave files and metadata disagreeing: that takes a new table.
        raise InvalidWriteError(
            uri, f"table is partitioned by {current}, the write asks for {wanted} "
            "(changing the partitioning needs a new table)", columns=wanted
        )
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InvalidWriteError(uri, f"partition columns {missing} are not in the data", columns=missing)
    return wanted


def write_files(
    df: DataFrame, profile: StorageProfile, uri: str, partition_by: Sequence[str], max_rows_per_file: int
) -> DataFiles:
    """Run the Spark write tasks: Parquet files under ``uri`` and their add actions (nothing committed)."""
    spec = TaskWriteSpec(
        fs_spec=profile.task_spec(),
        root=profile.fs_path(uri),
        partition_by=tuple(partition_by),
        max_rows_per_file=max_rows_per_file,
    )
    if not _uris.is_s3(uri):
        profile.filesystem().create_dir(spec.root, recursive=True)
    rows = df.mapInArrow(make_task_writer(spec), FILE_META_SCHEMA).collect()
    adds = [
        AddAction(
            path=r["path"],
            size=r["size"],
            partition_values=json.loads(r["partition_values"]),
            modification_time=r["modification_time"],
            data_change=True,
            stats=r["stats"],
        )
        for r in rows
    ]
    return DataFiles(adds, sum(json.loads(r["stats"])["numRecords"] for r in rows))


def rewrite_without(
    store: DeltaTableStore, dt: DeltaTable, uri: str, pcols: Sequence[str], predicate: Column
) -> tuple[set[str], list[AddAction]]:
    """Files of ``dt`` holding rows that match ``predicate`` (URIs) and new files with their other rows."""
    from pyspark.sql import functions as F

    plan = plan_snapshot(dt, None)
    if not plan.files:
        return set(), []
    data = read_files(store.spark, store.profile, dt, plan).withColumn("_lf_file", F.input_file_name())
    counts = (
        data.groupBy("_lf_file")
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.when(predicate, 1).otherwise(0)).alias("hit"))
        .where("hit > 0")
        .collect()
    )
    partial = [r["_lf_file"] for r in counts if r["hit"] < r["n"]]
    extra: list[AddAction] = []
    if partial:
        keep = data.where(F.col("_lf_file").isin(partial))
        keep = keep.where(~predicate | predicate.isNull()).drop("_lf_file")
        extra = write_files(keep, store.profile, uri, pcols, store.max_rows_per_file).adds
    return {native_file_uri(r["_lf_file"]) for r in counts}, extra


def conform(df: DataFrame, plan: SchemaPlan) -> DataFrame:
    """Cast widened columns, add missing ones as nulls, order columns as the table does."""
    from pyspark.sql import functions as F

    cols = []
    for field in arrow_to_spark(plan.table_schema):
        if field.name in plan.fill_null:
            cols.append(F.lit(None).cast(field.dataType).alias(field.name))
        elif field.name in plan.casts:
            cols.append(F.col(field.name).cast(field.dataType).alias(field.name))
        else:
            cols.append(F.col(field.name))
    return df.select(*cols)


def predicate_column(where: Sequence[Filter] | str) -> Column:
    """A SQL predicate string or filter tuples as a Spark ``Column``."""
    from pyspark.sql import functions as F

    if isinstance(where, str):
        return F.expr(where)
    return filters_to_column(list(where))


def _check_predicate(uri: str, df: DataFrame, predicate: Column) -> None:
    bad = df.where(~predicate | predicate.isNull()).limit(1).count()
    if bad:
        raise InvalidWriteError(uri, "replace_where: some written rows do not match the predicate")
