"""Read raw (non-Delta) catalog tables: JSON, CSV, Parquet and ORC files under a location.

Everything comes from the catalog entry: columns and their types, the SerDe and its options
(CSV delimiter, quote and escape characters, header lines to skip; JSON malformed-record
policy), and for partitioned tables the partitions, pruned through the catalog with a Glue
expression built from the query's filters. Files are listed once (their sizes are the bytes
a query scans); names starting with ``_`` or ``.`` are skipped as Hive and Spark do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import pyarrow.fs as pafs

from catalog.formats import OPEN_CSV_SERDE
from catalog.model import Param, Partition, Table
from catalog.sql.errors import UnsupportedSqlError
from catalog.sql.pushdown import Filter
from catalog.types import to_spark_ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = [
    "RAW_FORMATS",
    "RawScan",
    "ScannedFile",
    "list_data_files",
    "partition_expression",
    "plan_raw_table",
    "raw_format",
    "read_raw_table",
    "reader_options",
    "spark_schema",
]

RAW_FORMATS = ("parquet", "json", "csv", "orc")
_SERDE_FORMATS = {
    "parquetHiveSerDe": "parquet",
    "jsonserde": "json",
    "lazysimpleserde": "csv",
    "opencsvserde": "csv",
    "orcserde": "orc",
    "avroserde": "avro",
}


@dataclass(frozen=True)
class ScannedFile:
    """A data file a query reads, with its size in bytes (and modification time when listed)."""

    path: str
    size: int
    modified: float | None = None


def raw_format(table: Table) -> str:
    """``parquet``, ``json``, ``csv`` or ``orc`` from the classification or the SerDe."""
    fmt = (table.classification or "").lower()
    if not fmt:
        serde = table.storage_descriptor.serde_info
        library = (serde.serialization_library or "") if serde else ""
        short = library.rsplit(".", 1)[-1].lower()
        fmt = next((v for k, v in _SERDE_FORMATS.items() if k.lower() == short), "")
    if fmt not in RAW_FORMATS:
        raise UnsupportedSqlError(
            f"reading {table.qualified_name} (format {fmt or 'unknown'!r})",
            f"readable formats: delta, {', '.join(RAW_FORMATS)}",
        )
    return fmt


def reader_options(table: Table) -> dict[str, str]:
    """Spark reader options equivalent to the table's SerDe and parameters."""
    fmt = raw_format(table)
    serde = table.storage_descriptor.serde_info
    params: Mapping[str, str] = serde.parameters if serde else {}
    library = (serde.serialization_library or "") if serde else ""
    if fmt == "csv":
        skip = int(table.parameters.get(Param.SKIP_HEADER, "0") or 0)
        if skip > 1:
            raise UnsupportedSqlError(
                f"{Param.SKIP_HEADER}={skip} on {table.qualified_name}", "Spark skips one header line"
            )
        opts = {"header": str(skip == 1).lower(), "mode": "PERMISSIVE"}
        if library == OPEN_CSV_SERDE:
            opts["sep"] = params.get("separatorChar", ",")
            opts["quote"] = params.get("quoteChar", '"')
            # An explicit escapeChar wins; otherwise a doubled quote ("") escapes, as in RFC 4180.
            opts["escape"] = params.get("escapeChar", opts["quote"])
        else:  # LazySimpleSerDe: no quoting, field.delim (Glue) or serialization.format
            opts["sep"] = params.get("field.delim") or table.parameters.get(Param.DELIMITER) or ","
            opts["quote"] = "\u0000"
            if "escape.delim" in params:
                opts["escape"] = params["escape.delim"]
        if "serialization.null.format" in params:
            opts["nullValue"] = params["serialization.null.format"]
        return opts
    if fmt == "json":
        lenient = params.get("ignore.malformed.json", "false").lower() == "true"
        return {"mode": "PERMISSIVE" if lenient else "FAILFAST"}
    return {}


def spark_schema(columns: Sequence[Any]) -> StructType:
    """A Spark StructType from catalog columns (Glue types)."""
    from pyspark.sql.types import StructType

    ddl = ", ".join(f"`{c.name.replace('`', '``')}` {to_spark_ddl(c.type)}" for c in columns)
    return cast(StructType, StructType.fromDDL(ddl)) if ddl else StructType([])


def _hidden(relative: str) -> bool:
    return any(part.startswith(("_", ".")) or part.endswith("$folder$")
               for part in relative.split("/") if part)


def list_data_files(profile: StorageProfile, location: str) -> list[ScannedFile]:
    """Every non-empty, non-hidden file under ``location`` (recursive), sorted by path."""
    fs = profile.filesystem()
    root = profile.fs_path(location).rstrip("/")
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    native_root = location.rstrip("/")
    out = []
    for info in infos:
        if info.type != pafs.FileType.File or not info.size:
            continue
        relative = info.path[len(root):].lstrip("/")
        if _hidden(relative):
            continue
        mtime = info.mtime.timestamp() if info.mtime is not None else None
        out.append(ScannedFile(f"{native_root}/{relative}", int(info.size), mtime))
    return sorted(out, key=lambda f: f.path)


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def partition_expression(table: Table, filters: Sequence[Filter]) -> str | None:
    """A Glue partition expression for the filters on ``table``'s partition keys."""
    keys = {k.name.lower(): k.name for k in table.partition_keys}
    terms = []
    for col, op, value in filters:
        key = keys.get(col.lower())
        if key is None:
            continue
        if op == "in":
            terms.append(f"{key} IN ({', '.join(_quote(v) for v in value)})")
        elif op == "not in":
            terms.append(f"{key} NOT IN ({', '.join(_quote(v) for v in value)})")
        else:
            terms.append(f"{key} {'<>' if op == '!=' else op} {_quote(value)}")
    return " AND ".join(terms) or None


def _partition_location(table: Table, partition: Partition) -> str:
    if partition.location:
        return partition.location.rstrip("/")
    spec = "/".join(f"{k.name}={v}" for k, v in zip(table.partition_keys, partition.values, strict=True))
    return f"{(table.location or '').rstrip('/')}/{spec}"


def _is_hive_dir(table: Table, partition: Partition, location: str) -> bool:
    root = unquote((table.location or "").rstrip("/"))
    spec = "/".join(f"{k.name}={v}" for k, v in zip(table.partition_keys, partition.values, strict=True))
    return unquote(location) == f"{root}/{spec}"


def _reader(spark: SparkSession, fmt: str, schema: StructType, options: Mapping[str, str]) -> Any:
    reader = spark.read.format(fmt).schema(schema)
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader


@dataclass(frozen=True)
class RawScan:
    """The files a read of a raw table opens, a cache key for them, and how to build the frame."""

    files: list[ScannedFile]
    key: tuple[Any, ...]
    build: Callable[[], DataFrame]


def plan_raw_table(
    spark: SparkSession,
    profile: StorageProfile,
    store: CatalogStore,
    table: Table,
    filters: Sequence[Filter] = (),
) -> RawScan:
    """List the files (pruned through the catalog's partitions) without touching Spark yet."""
    if not table.location:
        raise UnsupportedSqlError(f"reading {table.qualified_name}", "the table has no location")
    fmt = raw_format(table)
    options = reader_options(table)
    identity = json.dumps(table.to_table_input(), sort_keys=True, default=str)
    if not table.partition_keys:
        files = list_data_files(profile, table.location)
        return RawScan(files, (identity, tuple(files)),
                       lambda: _unpartitioned(spark, profile, table, fmt, options, files))
    expression = partition_expression(table, filters)
    partitions = store.list_partitions(table.database_name, table.name, expression=expression)
    listed = [(p, loc, list_data_files(profile, loc)) for p in partitions
              for loc in [_partition_location(table, p)]]
    listed = [item for item in listed if item[2]]
    files = [f for _, _, fs in listed for f in fs]
    key = (identity, tuple((p.values, loc, tuple(fs)) for p, loc, fs in listed))
    return RawScan(files, key, lambda: _partitioned(spark, profile, table, fmt, options, listed))


def _unpartitioned(spark: SparkSession, profile: StorageProfile, table: Table, fmt: str,
                   options: Mapping[str, str], files: list[ScannedFile]) -> DataFrame:
    schema = spark_schema(table.columns)
    if not files:
        return spark.createDataFrame([], schema)
    return cast("DataFrame", _reader(spark, fmt, schema, options).load([profile.to_spark_uri(f.path) for f in files]))


def _partitioned(spark: SparkSession, profile: StorageProfile, table: Table, fmt: str,
                 options: Mapping[str, str], listed: list[tuple[Partition, str, list[ScannedFile]]]) -> DataFrame:
    from pyspark.sql import functions as F

    full_schema = spark_schema(table.all_columns)
    files = [f for _, _, fs in listed for f in fs]
    if not files:
        return spark.createDataFrame([], full_schema)
    spark_uri = profile.to_spark_uri
    hive = all(
        _is_hive_dir(table, p, loc) and all(f.path.rsplit("/", 1)[0] == loc for f in fs)
        for p, loc, fs in listed
    )
    if hive:  # Spark reads the partition values from the paths, typed by the catalog schema
        base = {**options, "basePath": spark_uri((table.location or "").rstrip("/"))}
        return cast("DataFrame", _reader(spark, fmt, full_schema, base).load([spark_uri(f.path) for f in files]))
    names = [c.name for c in table.all_columns]
    data_schema = spark_schema(table.columns)
    frames = []
    for partition, _, part_files in listed:
        frame = _reader(spark, fmt, data_schema, options).load([spark_uri(f.path) for f in part_files])
        for key, value in zip(table.partition_keys, partition.values, strict=True):
            frame = frame.withColumn(key.name, F.lit(value).cast(to_spark_ddl(key.type)))
        frames.append(frame.select(*names))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return cast("DataFrame", out)


def read_raw_table(
    spark: SparkSession,
    profile: StorageProfile,
    store: CatalogStore,
    table: Table,
    filters: Sequence[Filter] = (),
) -> tuple[DataFrame, list[ScannedFile]]:
    """The table as a DataFrame (data columns, then partition columns) and the files it reads."""
    scan = plan_raw_table(spark, profile, store, table, filters)
    return scan.build(), scan.files
