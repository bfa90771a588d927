"""The Delta table store: Spark does the data work, ``deltalake`` commits.

Writes run as Spark tasks that put Parquet files at their final place under the table
root and return file metadata with statistics; the driver commits them in one Delta
transaction (``create_table_with_add_actions`` / ``create_write_transaction``). Reads resolve
the snapshot's files with ``deltalake`` (partition pruning, min/max skipping) and hand them to
Spark's native Parquet reader. The Delta log is the only truth: files not in it don't exist.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.exceptions import TableNotFoundError as _DeltaMissing
from deltalake.transaction import (
    AddAction,
    CommitProperties,
    RemoveAction,
    Transaction,
    create_table_with_add_actions,
)

from lake.delta._ownership import CREATED_IN, NON_EMPTY, check_new_location
from lake.delta._scan import Filter, ScanPlan, filters_to_column, plan_files
from lake.delta._schema import (
    SchemaMode,
    arrow_to_spark,
    delta_arrow_schema,
    plan_schema,
    spark_to_arrow,
)
from lake.delta._travel import check_version_files
from lake.delta._txn import AppTransactions, all_done, transaction_list
from lake.delta._writer import FILE_META_SCHEMA, TaskWriteSpec, make_task_writer
from lake.delta.errors import (
    ConcurrentCommitError,
    InvalidWriteError,
    LocationNotEmptyError,
    TableExistsError,
)
from lake.delta.maintenance import (
    DEFAULT_MIN_RETENTION_HOURS,
    OptimizeResult,
    PurgeResult,
    VacuumResult,
    purge_table,
    table_history,
    vacuum_table,
)
from lake.delta.maintenance import optimize as _optimize
from lake.delta.merge import MergeResult
from lake.delta.merge import merge as _merge
from lake.delta.translate import first_line, missing_table, time_travel_error, translating
from lake.storage import StorageProfile
from lake.storage import uris as _uris

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["DeltaTableStore", "WriteMode", "WriteResult"]

WriteMode = Literal["append", "overwrite", "create", "error"]
_MODES = ("append", "overwrite", "create", "error")


@dataclass(frozen=True)
class WriteResult:
    """What a write committed (``committed=False``: an idempotent no-op)."""

    table: str
    version: int | None
    committed: bool
    files_added: int = 0
    files_removed: int = 0
    rows: int = 0


@dataclass(frozen=True)
class _Files:
    adds: list[AddAction]
    rows: int


@translating
class DeltaTableStore:
    """Read and write Delta tables of one lake (a storage profile) with one SparkSession.

    ``vacuum_min_retention_hours`` is the shortest VACUUM retention allowed without ``force``
    (the setting ``delta.vacuum_min_retention_hours``). Every public method raises lakeforge
    errors only: delta-rs, storage and Spark errors are translated (:mod:`lake.delta.translate`).
    """

    def __init__(
        self,
        spark: SparkSession,
        profile: StorageProfile,
        *,
        max_rows_per_file: int = 5_000_000,
        before_commit: Callable[[str, list[AddAction]], None] | None = None,
        vacuum_min_retention_hours: float = DEFAULT_MIN_RETENTION_HOURS,
    ) -> None:
        self.spark = spark
        self.profile = profile
        self.max_rows_per_file = max_rows_per_file
        self.vacuum_min_retention_hours = vacuum_min_retention_hours
        self._before_commit = before_commit

    # ----------------------------------------------------------------- lookup
    def uri(self, table: str) -> str:
        """The native URI of ``table`` (relative names are under the lake root)."""
        return self.profile.resolve(table)

    def exists(self, table: str) -> bool:
        return DeltaTable.is_deltatable(self.uri(table), storage_options=self._opts())

    def snapshot(
        self, table: str, *, version: int | None = None, timestamp: datetime | str | None = None
    ) -> DeltaTable:
        """The ``deltalake`` table at the latest, a given version or a given time.

        Time travel to a version whose data files VACUUM deleted raises
        :class:`~lake.delta.errors.VersionVacuumedError` naming when, and which versions are readable.
        """
        uri = self.uri(table)
        try:
            dt = DeltaTable(uri, storage_options=self._opts())
            if version is not None:
                dt.load_as_version(version)
            elif timestamp is not None:
                dt.load_as_version(timestamp)
        except _DeltaMissing:
            raise missing_table(self.profile, uri) from None
        except DeltaError as exc:
            if version is not None or timestamp is not None:
                raise time_travel_error(self.profile, uri, version, timestamp, exc) from None
            raise
        if version is not None or timestamp is not None:
            check_version_files(self.profile, uri, dt)
        return dt

    def schema(self, table: str) -> pa.Schema:
        return delta_arrow_schema(self.snapshot(table).schema())

    def _opts(self) -> dict[str, str]:
        return self.profile.storage_options()

    def _try_snapshot(self, uri: str) -> DeltaTable | None:
        try:
            if not DeltaTable.is_deltatable(uri, storage_options=self._opts()):
                return None
        except OSError:  # a local file where the table would go: not a table (the write refuses it)
            if self.profile.filesystem().get_file_info(self.profile.fs_path(uri)).type == pafs.FileType.File:
                return None
            raise
        return DeltaTable(uri, storage_options=self._opts())

    # ------------------------------------------------------------------ write
    def write(
        self,
        df: DataFrame,
        table: str,
        *,
        mode: WriteMode = "append",
        partition_by: Sequence[str] | None = None,
        schema_mode: SchemaMode = None,
        replace_where: Sequence[Filter] | str | None = None,
        overwrite_partitions: bool = False,
        app_id: str | None = None,
        app_version: int | None = None,
        commit_metadata: dict[str, Any] | None = None,
        allow_non_empty: bool = False,
        app_transactions: AppTransactions | None = None,
    ) -> WriteResult:
        """Write ``df`` to ``table`` and commit once.

        ``mode``: ``create``/``error`` (fail if it exists), ``append``, ``overwrite`` (all
        data; with ``overwrite_partitions`` only the partitions present in ``df``; with
        ``replace_where`` only the rows matching the predicate, which every new row must
        satisfy). ``app_id``/``app_version`` make the commit idempotent: a version already
        committed for that app id is a no-op. ``app_transactions`` records several
        ``(app id, version)`` pairs in the one commit; the write is skipped only when *every*
        app id already has a version ≥ the one given. Otherwise (none or only some are there)
        the write happens and each app id is set to the version given — even one that was
        higher: callers that advance several ids together (ETL bookmarks) always pass them all.

        A write that creates the table refuses a location that is not empty
        (:class:`~lake.delta.errors.LocationNotEmptyError`) unless ``allow_non_empty``; the files
        found there are then left alone: VACUUM and PURGE only ever delete files the table wrote.
        """
        uri = self.uri(table)
        if mode not in _MODES:
            raise InvalidWriteError(uri, f"unknown mode {mode!r}; valid: {', '.join(_MODES)}")
        txns = transaction_list(uri, app_id, app_version, app_transactions)
        if (overwrite_partitions or replace_where is not None) and mode != "overwrite":
            raise InvalidWriteError(uri, "overwrite_partitions/replace_where need mode='overwrite'")
        if overwrite_partitions and replace_where is not None:
            raise InvalidWriteError(uri, "choose overwrite_partitions or replace_where, not both")
        dt = self._try_snapshot(uri)
        if dt is not None and mode in ("create", "error"):
            raise TableExistsError(uri)
        created_in = None
        if dt is None:
            try:
                created_in = check_new_location(self.profile, uri)
            except LocationNotEmptyError:
                if not allow_non_empty:
                    raise
                created_in = NON_EMPTY
        if dt is not None and all_done(dt, txns):
            return WriteResult(uri, dt.version(), committed=False)

        existing = delta_arrow_schema(dt.schema()) if dt is not None else None
        pcols = self._partition_columns(uri, dt, partition_by, df.columns)
        plan = plan_schema(uri, existing, spark_to_arrow(df.schema), schema_mode,
                           overwrite=mode == "overwrite")
        data = _conform(df, plan.table_schema, plan.casts, plan.fill_null)
        if dt is not None and overwrite_partitions and not pcols:
            raise InvalidWriteError(uri, "overwrite_partitions needs a partitioned table")
        predicate = _predicate(replace_where) if replace_where is not None else None
        if predicate is not None:
            _check_predicate(uri, data, predicate)

        files = self._write_files(data, uri, pcols)
        removes: list[RemoveAction] = []
        extra: list[AddAction] = []
        if dt is not None and overwrite_partitions:
            removes = _removes_for_partitions(dt, pcols, files.adds)
        elif dt is not None and predicate is not None:
            removes, extra = self._rewrite_without(dt, uri, pcols, predicate)
        adds = files.adds + extra
        if self._before_commit is not None:
            self._before_commit(uri, adds)
        meta = {**(commit_metadata or {}), CREATED_IN: created_in} if created_in else commit_metadata
        props = _props(None, None, "WRITE", mode, meta, txns=txns)
        if dt is None:
            version = self._create(uri, plan.table_schema, adds, pcols, props, mode)
            if version is None:  # someone created it first: commit as an append to theirs
                return self.write(df, table, mode="append" if mode != "overwrite" else mode,
                                  partition_by=partition_by, schema_mode=schema_mode,
                                  app_transactions=txns,
                                  commit_metadata=commit_metadata, allow_non_empty=True)
        else:
            dt.update_incremental()
            if all_done(dt, txns):
                return WriteResult(uri, dt.version(), committed=False)
            if plan.evolved and existing is not None and schema_mode == "merge":
                _add_columns(dt, existing, plan.table_schema)
            full_overwrite = mode == "overwrite" and not overwrite_partitions and predicate is None
            version = self._commit(
                dt, uri, [*adds, *removes], "overwrite" if full_overwrite else "append",
                plan.table_schema, pcols, props,
            )
        return WriteResult(uri, version, True, len(adds), len(removes), files.rows)

    def _partition_columns(
        self,
        uri: str,
        dt: DeltaTable | None,
        requested: Sequence[str] | None,
        columns: Sequence[str],
    ) -> list[str]:
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

    def _write_files(self, df: DataFrame, uri: str, partition_by: Sequence[str]) -> _Files:
        """Run the Spark write tasks; returns the add actions (nothing committed yet)."""
        spec = TaskWriteSpec(
            fs_spec=self.profile.task_spec(),
            root=self.profile.fs_path(uri),
            partition_by=tuple(partition_by),
            max_rows_per_file=self.max_rows_per_file,
        )
        if not _uris.is_s3(uri):
            self.profile.filesystem().create_dir(spec.root, recursive=True)
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
        return _Files(adds, sum(json.loads(r["stats"])["numRecords"] for r in rows))

    def _create(
        self,
        uri: str,
        schema: pa.Schema,
        adds: list[AddAction],
        partition_by: Sequence[str],
        props: CommitProperties,
        mode: str,
    ) -> int | None:
        from deltalake import Schema

        try:
            create_table_with_add_actions(
                uri, Schema.from_arrow(schema), adds, mode="error",
                partition_by=list(partition_by) or None, storage_options=self._opts(),
                commit_properties=props,
            )
        except DeltaError as exc:
            if DeltaTable.is_deltatable(uri, storage_options=self._opts()):  # another writer created it first
                if mode in ("append", "overwrite"):
                    return None
                raise TableExistsError(uri) from None
            raise _commit_error(uri, None, exc) from None
        return 0

    def _commit(
        self,
        dt: DeltaTable,
        uri: str,
        actions: list[Any],
        mode: str,
        schema: pa.Schema,
        partition_by: Sequence[str],
        props: CommitProperties,
    ) -> int:
        read_version = dt.version()
        try:
            dt.create_write_transaction(
                actions, mode, schema, partition_by=list(partition_by) or None,
                commit_properties=props,
            )
        except (CommitFailedError, DeltaError) as exc:
            raise _commit_error(uri, dt.version(), exc) from None
        return self._committed_version(uri, props, read_version)

    def _committed_version(self, uri: str, props: CommitProperties, read_version: int) -> int:
        """The version our commit got: concurrent writers may have committed before or after it.

        Reads the commit files themselves (``history()`` can misnumber entries while other
        writers are mid-commit) and matches our ``lakeforge.commitId``.
        """
        token = (props.custom_metadata or {}).get("lakeforge.commitId")
        latest = DeltaTable(uri, storage_options=self._opts()).version()
        fs = self.profile.filesystem()
        log = f"{self.profile.fs_path(uri)}/_delta_log"
        for version in range(latest, read_version, -1):
            with fs.open_input_stream(f"{log}/{version:020d}.json") as fh:
                for line in fh.read().decode().splitlines():
                    info = json.loads(line).get("commitInfo")
                    if info is not None:
                        if info.get("lakeforge.commitId") == token:
                            return version
                        break
        raise ConcurrentCommitError(uri, latest, "committed, but the commit was not found in the log")

    def _rewrite_without(
        self, dt: DeltaTable, uri: str, pcols: Sequence[str], predicate: Column
    ) -> tuple[list[RemoveAction], list[AddAction]]:
        """Remove the rows matching ``predicate``: drop whole files, rewrite partial ones."""
        from pyspark.sql import functions as F

        plan = self._plan(dt, None)
        if not plan.files:
            return [], []
        data = self._read_plan(dt, plan).withColumn("_lf_file", F.input_file_name())
        counts = (
            data.groupBy("_lf_file")
            .agg(F.count(F.lit(1)).alias("n"), F.sum(F.when(predicate, 1).otherwise(0)).alias("hit"))
            .where("hit > 0")
            .collect()
        )
        touched = {_uris.to_native(r["_lf_file"]): (r["n"], r["hit"]) for r in counts}
        partial = [f for f, (n, hit) in touched.items() if hit < n]
        extra: list[AddAction] = []
        if partial:
            keep = data.where(F.col("_lf_file").isin([self.profile.to_spark_uri(f) for f in partial]))
            keep = keep.where(~predicate | predicate.isNull()).drop("_lf_file")
            extra = self._write_files(keep, uri, pcols).adds
        return _removes_for_files(dt, set(touched)), extra

    # ------------------------------------------------------------------- read
    def plan_scan(
        self,
        table: str,
        *,
        filters: Sequence[Filter] | None = None,
        version: int | None = None,
        timestamp: datetime | str | None = None,
    ) -> ScanPlan:
        """The files a read with ``filters`` opens after pruning and skipping."""
        return self._plan(self.snapshot(table, version=version, timestamp=timestamp), filters)

    def _plan(self, dt: DeltaTable, filters: Sequence[Filter] | None) -> ScanPlan:
        actions = pa.table(dt.get_add_actions(flatten=True))
        schema = delta_arrow_schema(dt.schema())
        return plan_files(actions, _table_root(dt), dt.metadata().partition_columns, filters,
                          schema.names)

    def read(
        self,
        table: str,
        *,
        version: int | None = None,
        timestamp: datetime | str | None = None,
        filters: Sequence[Filter] | None = None,
        columns: Sequence[str] | None = None,
    ) -> DataFrame:
        """A Spark DataFrame of the snapshot, reading only files that may match ``filters``."""
        dt = self.snapshot(table, version=version, timestamp=timestamp)
        df = self._read_plan(dt, self._plan(dt, filters))
        if filters:
            df = df.where(filters_to_column(filters))
        return df.select(*columns) if columns else df

    def read_plan(self, table: str | DeltaTable, plan: ScanPlan) -> DataFrame:
        """A Spark DataFrame of exactly the files of ``plan`` (e.g. a change set's added files).

        ``table`` is a table name/URI (its latest snapshot gives the schema and partition
        columns) or an open snapshot. The files need not be in that snapshot: a plan of files
        added by earlier commits reads them as long as VACUUM has not deleted them.
        """
        return self._read_plan(self.snapshot(table) if isinstance(table, str) else table, plan)

    def _read_plan(self, dt: DeltaTable, plan: ScanPlan) -> DataFrame:
        from pyspark.sql import functions as F

        schema = delta_arrow_schema(dt.schema())
        spark_schema = arrow_to_spark(schema)
        if not plan.files:
            return self.spark.createDataFrame([], spark_schema)
        pcols = list(dt.metadata().partition_columns)
        data_schema = arrow_to_spark(pa.schema([f for f in schema if f.name not in pcols]))
        reader = self.spark.read.schema(data_schema)
        if not pcols:
            return reader.parquet(*[self.profile.to_spark_uri(f) for f in plan.files]).select(*schema.names)
        root = _table_root(dt)
        if all(_hive_style(root, f, pcols, v) for f, v in zip(plan.files, plan.partition_values, strict=True)):
            return (
                self.spark.read.schema(arrow_to_spark(pa.schema([*data_schema_fields(schema, pcols)])))
                .option("basePath", self.profile.to_spark_uri(root))
                .parquet(*[self.profile.to_spark_uri(f) for f in plan.files])
                .select(*schema.names)
            )
        groups: dict[tuple[Any, ...], list[str]] = {}
        for path, values in zip(plan.files, plan.partition_values, strict=True):
            groups.setdefault(tuple(values[c] for c in pcols), []).append(path)
        frames = []
        for key, paths in groups.items():
            frame = reader.parquet(*[self.profile.to_spark_uri(p) for p in paths])
            for col, value in zip(pcols, key, strict=True):
                frame = frame.withColumn(col, F.lit(value).cast(spark_schema[col].dataType))
            frames.append(frame.select(*schema.names))
        out = frames[0]
        for frame in frames[1:]:
            out = out.unionByName(frame)
        return out

    # ------------------------------------------------------- history, upkeep
    def history(self, table: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Commit history, newest first (read by delta-rs alone)."""
        return table_history(self.profile, self.uri(table), limit)

    def merge(self, source: DataFrame, table: str, on: Sequence[str], **kwargs: Any) -> MergeResult:
        """Upsert/delete by key; see :func:`lake.delta.merge.merge`."""
        return _merge(self, source, table, on, **kwargs)

    def optimize(self, table: str, *, target_size_mb: int = 128) -> OptimizeResult:
        return _optimize(self, table, target_size_mb=target_size_mb)

    def vacuum(
        self, table: str, *, retain_hours: float = DEFAULT_MIN_RETENTION_HOURS, dry_run: bool = False,
        force: bool = False,
    ) -> VacuumResult:
        """Delete removed files and our writers' orphans; see :mod:`lake.delta.maintenance`.

        A retention below ``vacuum_min_retention_hours`` needs ``force=True``.
        """
        return vacuum_table(self.profile, self.uri(table), retain_hours=retain_hours, dry_run=dry_run,
                            force=force, min_retention_hours=self.vacuum_min_retention_hours)

    def purge(self, table: str) -> PurgeResult:
        """Delete every data file the log ever referenced, then the log (other files stay)."""
        return purge_table(self.profile, self.uri(table))

    def delete(self, table: str, predicate: Sequence[Filter] | str) -> WriteResult:
        """Delete the rows matching ``predicate`` (files rewritten by Spark, one commit)."""
        uri = self.uri(table)
        dt = self.snapshot(table)
        pcols = list(dt.metadata().partition_columns)
        removes, adds = self._rewrite_without(dt, uri, pcols, _predicate(predicate))
        if not removes:
            return WriteResult(uri, dt.version(), committed=False)
        version = self._commit(dt, uri, [*adds, *removes], "append",
                               delta_arrow_schema(dt.schema()), pcols,
                               _props(None, None, "DELETE", "delete", None))
        return WriteResult(uri, version, True, len(adds), len(removes), 0)


def _add_columns(dt: DeltaTable, existing: pa.Schema, wanted: pa.Schema) -> None:
    """Schema evolution: add the new (nullable) columns to the table's metadata."""
    from deltalake import Schema

    new = pa.schema([f for f in wanted if f.name not in existing.names])
    dt.alter.add_columns(list(Schema.from_arrow(new).fields))
    dt.update_incremental()


def _props(
    app_id: str | None, app_version: int | None, operation: str, mode: str,
    extra: dict[str, Any] | None, *, txns: AppTransactions = (),
) -> CommitProperties:
    meta: dict[str, Any] = {"lakeforge.operation": operation, "lakeforge.mode": mode,
                            "lakeforge.commitId": uuid.uuid4().hex}
    meta.update(extra or {})
    pairs = [*([(app_id, app_version)] if app_id is not None and app_version is not None else []), *txns]
    actions = [Transaction(app, version) for app, version in pairs] or None
    return CommitProperties(custom_metadata=meta, app_transactions=actions, max_commit_retries=50)


def _commit_error(uri: str, version: int | None, exc: Exception) -> Exception:
    """By type: delta-rs raises ``CommitFailedError`` for conflicts, existing versions and exhausted retries."""
    if isinstance(exc, CommitFailedError):
        return ConcurrentCommitError(uri, version, first_line(exc))
    return InvalidWriteError(uri, f"commit failed: {first_line(exc)}")


def data_schema_fields(schema: pa.Schema, pcols: Sequence[str]) -> list[pa.Field]:
    """Data columns first, partition columns last (the order Spark's discovery produces)."""
    return [f for f in schema if f.name not in pcols] + [schema.field(c) for c in pcols]


def _hive_style(root: str, path: str, pcols: Sequence[str], values: dict[str, str | None]) -> bool:
    from lake.delta._paths import partition_dir

    return path.startswith(f"{root}/{partition_dir(pcols, values)}/")


def _table_root(dt: DeltaTable) -> str:
    return _uris.to_native(dt.table_uri).rstrip("/")


def _conform(df: DataFrame, schema: pa.Schema, casts: dict[str, pa.DataType], fill: list[str]) -> DataFrame:
    """Cast widened columns, add missing ones as nulls, order columns as the table does."""
    from pyspark.sql import functions as F

    spark_schema = arrow_to_spark(schema)
    cols = []
    for field in spark_schema:
        if field.name in fill:
            cols.append(F.lit(None).cast(field.dataType).alias(field.name))
        elif field.name in casts:
            cols.append(F.col(field.name).cast(field.dataType).alias(field.name))
        else:
            cols.append(F.col(field.name))
    return df.select(*cols)


def _predicate(replace_where: Sequence[Filter] | str) -> Column:
    from pyspark.sql import functions as F

    if isinstance(replace_where, str):
        return F.expr(replace_where)
    return filters_to_column(list(replace_where))


def _check_predicate(uri: str, df: DataFrame, predicate: Column) -> None:
    bad = df.where(~predicate | predicate.isNull()).limit(1).count()
    if bad:
        raise InvalidWriteError(uri, "replace_where: some written rows do not match the predicate")


def _removes_where(
    dt: DeltaTable, matches: Callable[[str, dict[str, str | None]], bool]
) -> list[RemoveAction]:
    """Remove actions for the snapshot's files for which ``matches(uri, partition values)``."""
    root = _table_root(dt)
    now = int(time.time() * 1000)
    out = []
    for row in pa.table(dt.get_add_actions(flatten=False)).to_pylist():
        path = unquote(row["path"])
        values = _partition_strings(row.get("partition"))
        if matches(f"{root}/{path}", values or {}):
            out.append(RemoveAction(path, True, now, row["size_bytes"], values))
    return out


def _removes_for_files(dt: DeltaTable, files: set[str]) -> list[RemoveAction]:
    return _removes_where(dt, lambda uri, _values: uri in files)


def _removes_for_partitions(dt: DeltaTable, pcols: Sequence[str], adds: list[AddAction]) -> list[RemoveAction]:
    wanted = {tuple(a.partition_values.get(c) for c in pcols) for a in adds}
    return _removes_where(dt, lambda _uri, values: tuple(values.get(c) for c in pcols) in wanted)


def _partition_strings(values: dict[str, Any] | None) -> dict[str, str | None] | None:
    from lake.delta._paths import partition_value_string

    if values is None:
        return None
    return {k: partition_value_string(v) for k, v in values.items()}
