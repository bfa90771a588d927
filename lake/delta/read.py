"""Reading Delta tables: snapshots (time travel included), scan plans, and Spark reads of a plan.

The snapshot's file list comes from ``deltalake``; Spark's native Parquet reader opens exactly
those files. Partition values come from the log, not from paths, so files outside Hive-style
directories (written by other Delta writers) read correctly too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.exceptions import TableNotFoundError as _DeltaMissing

from lake.delta._paths import partition_dir
from lake.delta._scan import Filter, ScanPlan, plan_files
from lake.delta._schema import arrow_to_spark, delta_arrow_schema
from lake.delta._travel import check_version_files
from lake.delta.translate import missing_table, time_travel_error
from lake.storage import StorageProfile
from lake.storage import uris as _uris

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["native_file_uri", "open_snapshot", "plan_snapshot", "read_files", "table_root", "try_snapshot"]


def open_snapshot(
    profile: StorageProfile, uri: str, *, version: int | None = None, timestamp: datetime | str | None = None
) -> DeltaTable:
    """The table at ``uri`` at the latest, a given version or a given time.

    Time travel to a version whose files VACUUM deleted raises
    :class:`~lake.delta.errors.VersionVacuumedError`.
    """
    try:
        dt = DeltaTable(uri, storage_options=profile.storage_options())
        if version is not None:
            dt.load_as_version(version)
        elif timestamp is not None:
            dt.load_as_version(timestamp)
    except _DeltaMissing:
        raise missing_table(profile, uri) from None
    except DeltaError as exc:
        if version is not None or timestamp is not None:
            raise time_travel_error(profile, uri, version, timestamp, exc) from None
        raise
    if version is not None or timestamp is not None:
        check_version_files(profile, uri, dt)
    return dt


def try_snapshot(profile: StorageProfile, uri: str) -> DeltaTable | None:
    """The latest snapshot, or ``None`` when there is no table (a file in the way counts as none)."""
    options = profile.storage_options()
    try:
        if not DeltaTable.is_deltatable(uri, storage_options=options):
            return None
    except OSError:  # a local file where the table would go: not a table (a write refuses it)
        if profile.filesystem().get_file_info(profile.fs_path(uri)).type == pafs.FileType.File:
            return None
        raise
    return DeltaTable(uri, storage_options=options)


def table_root(dt: DeltaTable) -> str:
    """The native URI of the snapshot's table, without a trailing slash."""
    return _uris.to_native(dt.table_uri).rstrip("/")


def native_file_uri(spark_uri: str) -> str:
    """A data file's URI as Spark's ``input_file_name()`` gives it → as a scan plan lists it."""
    return unquote(_uris.to_native(spark_uri))


def plan_snapshot(dt: DeltaTable, filters: Sequence[Filter] | None) -> ScanPlan:
    """The files of ``dt`` a read with ``filters`` opens (partition pruning, min/max skipping)."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    names = delta_arrow_schema(dt.schema()).names
    return plan_files(actions, table_root(dt), dt.metadata().partition_columns, filters, names)


def read_files(spark: SparkSession, profile: StorageProfile, dt: DeltaTable, plan: ScanPlan) -> DataFrame:
    """A Spark DataFrame of exactly the files of ``plan``, in the schema of ``dt``."""
    from pyspark.sql import functions as F

    schema = delta_arrow_schema(dt.schema())
    spark_schema = arrow_to_spark(schema)
    if not plan.files:
        return spark.createDataFrame([], spark_schema)
    pcols = list(dt.metadata().partition_columns)
    data_schema = arrow_to_spark(pa.schema([f for f in schema if f.name not in pcols]))
    reader = spark.read.schema(data_schema)
    if not pcols:
        return reader.parquet(*[profile.to_spark_uri(f) for f in plan.files]).select(*schema.names)
    root = table_root(dt)
    if all(_hive_style(root, f, pcols, v) for f, v in zip(plan.files, plan.partition_values, strict=True)):
        return (
            spark.read.schema(arrow_to_spark(pa.schema(_data_schema_fields(schema, pcols))))
            .option("basePath", profile.to_spark_uri(root))
            .parquet(*[profile.to_spark_uri(f) for f in plan.files])
            .select(*schema.names)
        )
    groups: dict[tuple[Any, ...], list[str]] = {}
    for path, values in zip(plan.files, plan.partition_values, strict=True):
        groups.setdefault(tuple(values[c] for c in pcols), []).append(path)
    frames = []
    for key, paths in groups.items():
        frame = reader.parquet(*[profile.to_spark_uri(p) for p in paths])
        for col, value in zip(pcols, key, strict=True):
            frame = frame.withColumn(col, F.lit(value).cast(spark_schema[col].dataType))
        frames.append(frame.select(*schema.names))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def _data_schema_fields(schema: pa.Schema, pcols: Sequence[str]) -> list[pa.Field]:
    """Data columns first, partition columns last (the order Spark's discovery produces)."""
    return [f for f in schema if f.name not in pcols] + [schema.field(c) for c in pcols]


def _hive_style(root: str, path: str, pcols: Sequence[str], values: dict[str, str | None]) -> bool:
    return path.startswith(f"{root}/{partition_dir(pcols, values)}/")
