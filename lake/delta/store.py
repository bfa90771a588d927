"""The Delta table store: Spark does the data work, ``deltalake`` commits.

Writes run as Spark tasks that put Parquet files at their final place under the table
root and return file metadata with statistics; the driver commits them in one Delta
transaction. Reads resolve the snapshot's files with ``deltalake`` (partition pruning,
min/max skipping) and hand them to Spark's native Parquet reader. The Delta log is the only
truth: files not in it don't exist.

This module is the façade; the work is in :mod:`lake.delta.read`, :mod:`lake.delta.write`,
:mod:`lake.delta.commit`, :mod:`lake.delta.merge` and :mod:`lake.delta.maintenance`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.transaction import AddAction

from lake.delta._scan import Filter, ScanPlan, filters_to_column
from lake.delta._schema import SchemaMode, delta_arrow_schema
from lake.delta._txn import AppTransactions, transaction_list
from lake.delta.commit import DataFiles, WriteResult, commit_files
from lake.delta.errors import InvalidWriteError
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
from lake.delta.read import open_snapshot, plan_snapshot, read_files, table_root
from lake.delta.translate import translating
from lake.delta.write import WriteMode, predicate_column, rewrite_without, stage_files, write_table
from lake.storage import StorageProfile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["DataFiles", "DeltaTableStore", "WriteMode", "WriteResult"]


@translating
class DeltaTableStore:
    """Read and write Delta tables of one lake (a storage profile) with one SparkSession.

    ``before_commit(uri, adds)`` runs after a write's files exist and before they are committed
    (raising there commits nothing). ``vacuum_min_retention_hours`` is the shortest VACUUM
    retention allowed without ``force``. Every public method raises lakeforge errors only:
    delta-rs, storage and Spark errors are translated (:mod:`lake.delta.translate`).
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
        self.before_commit = before_commit

    # ----------------------------------------------------------------- lookup
    def uri(self, table: str) -> str:
        """The native URI of ``table`` (relative names are under the lake root)."""
        return self.profile.resolve(table)

    def exists(self, table: str) -> bool:
        return DeltaTable.is_deltatable(self.uri(table), storage_options=self.profile.storage_options())

    def snapshot(
        self, table: str, *, version: int | None = None, timestamp: datetime | str | None = None
    ) -> DeltaTable:
        """The ``deltalake`` table at the latest, a given version or a given time.

        Time travel to a version whose data files VACUUM deleted raises
        :class:`~lake.delta.errors.VersionVacuumedError` naming when, and which versions are readable.
        """
        return open_snapshot(self.profile, self.uri(table), version=version, timestamp=timestamp)

    def schema(self, table: str) -> pa.Schema:
        return delta_arrow_schema(self.snapshot(table).schema())

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
        txns = transaction_list(self.uri(table), app_id, app_version, app_transactions)
        return write_table(self, df, table, mode=mode, partition_by=partition_by, schema_mode=schema_mode,
                           replace_where=replace_where, overwrite_partitions=overwrite_partitions, txns=txns,
                           commit_metadata=commit_metadata, allow_non_empty=allow_non_empty)

    def write_files(self, df: DataFrame, table: str, *, partition_by: Sequence[str] | None = None) -> DataFiles:
        """Write ``df`` as Parquet data files of ``table`` without committing them (see :meth:`commit`).

        The data is conformed to the table's schema (widening casts, missing nullable columns);
        for a new table ``partition_by`` chooses its partitioning and the location must be
        empty. Files never committed are orphans that VACUUM deletes.
        """
        return stage_files(self, df, table, partition_by)

    def commit(
        self,
        table: str | DeltaTable,
        adds: DataFiles | Sequence[AddAction] = (),
        removes: Collection[str] = (),
        *,
        mode: WriteMode = "append",
        schema: pa.Schema | None = None,
        partition_by: Sequence[str] | None = None,
        app_transactions: AppTransactions | None = None,
        commit_metadata: dict[str, Any] | None = None,
        operation: str = "COMMIT",
    ) -> WriteResult:
        """Commit added data files and the removal of table files in one Delta transaction.

        ``table`` is a name/URI or the snapshot the change was planned on; ``adds`` come from
        :meth:`write_files`; ``removes`` are file URIs of that snapshot (``ScanPlan.files``).
        If another commit removed one of them first, :class:`~lake.delta.errors.ConcurrentCommitError`
        (transient: plan again). ``mode``: ``append``; ``overwrite`` (every current file is
        removed); ``create``/``error`` (the table must not exist). A missing table is created
        with ``schema``/``partition_by`` (default: the files'). ``schema`` may add nullable
        columns to an existing table. ``app_transactions`` as for :meth:`write`: when every app
        id is already at its version the commit is skipped (``committed=False``); a commit of
        nothing but app transactions is made. ``operation`` is recorded in the commit's metadata.
        """
        return commit_files(self, table, adds, removes, mode=mode, schema=schema, partition_by=partition_by,
                            app_transactions=app_transactions, commit_metadata=commit_metadata,
                            operation=operation)

    # ------------------------------------------------------------------- read
    def plan_scan(
        self,
        table: str | DeltaTable,
        *,
        filters: Sequence[Filter] | None = None,
        version: int | None = None,
        timestamp: datetime | str | None = None,
    ) -> ScanPlan:
        """The files a read with ``filters`` opens after pruning and skipping, with their sizes,
        partition values and statistics. ``table`` is a name/URI (at ``version``/``timestamp``)
        or an open snapshot."""
        if isinstance(table, DeltaTable):
            if version is not None or timestamp is not None:
                raise InvalidWriteError(table_root(table), "version/timestamp go with a table name, "
                                                           "not with an open snapshot")
            return plan_snapshot(table, filters)
        return plan_snapshot(self.snapshot(table, version=version, timestamp=timestamp), filters)

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
        df = read_files(self.spark, self.profile, dt, plan_snapshot(dt, filters))
        if filters:
            df = df.where(filters_to_column(filters))
        return df.select(*columns) if columns else df

    def read_plan(self, table: str | DeltaTable, plan: ScanPlan) -> DataFrame:
        """A Spark DataFrame of exactly the files of ``plan`` (e.g. a change set's added files).

        ``table`` is a table name/URI (its latest snapshot gives the schema and partition
        columns) or an open snapshot. The files need not be in that snapshot: a plan of files
        added by earlier commits reads them as long as VACUUM has not deleted them.
        """
        dt = self.snapshot(table) if isinstance(table, str) else table
        return read_files(self.spark, self.profile, dt, plan)

    # ------------------------------------------------------- history, upkeep
    def history(self, table: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Commit history, newest first (read by delta-rs alone)."""
        return table_history(self.profile, self.uri(table), limit)

    def merge(self, source: DataFrame, table: str, on: Sequence[str], **kwargs: Any) -> MergeResult:
        """Upsert/delete by key; see :func:`lake.delta.merge.merge`."""
        return _merge(self, source, table, on, **kwargs)

    def delete(self, table: str, predicate: Sequence[Filter] | str) -> WriteResult:
        """Delete the rows matching ``predicate`` (files rewritten by Spark, one commit)."""
        uri = self.uri(table)
        dt = self.snapshot(table)
        pcols = list(dt.metadata().partition_columns)
        touched, kept = rewrite_without(self, dt, uri, pcols, predicate_column(predicate))
        if not touched:
            return WriteResult(uri, dt.version(), committed=False)
        return self.commit(dt, kept, touched, operation="DELETE")

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
