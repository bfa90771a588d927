"""The Spark-task side of a write: Parquet files straight to their final place.

``make_task_writer`` returns a ``mapInArrow`` function. Each task streams its Arrow batches
into one open Parquet writer per partition value (rolling at ``max_rows_per_file``), writes
under ``<table root>/<partition dirs>/part-….parquet`` with no rename step, and yields one
metadata row per file: path relative to the root, size, partition values, stats, mtime.
Nothing is committed here; the driver commits all files in one Delta transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lake.delta._paths import data_file_name, partition_dir, partition_value_string
from lake.delta._stats import StatsAccumulator

__all__ = ["FILE_META_SCHEMA", "TaskWriteSpec", "make_task_writer"]

FILE_META_SCHEMA = (
    "path string, size long, partition_values string, stats string, modification_time long"
)
_BUFFER_ROWS = 131_072


@dataclass(frozen=True)
class TaskWriteSpec:
    """Everything a task needs to write files (picklable; carries credentials, never logged)."""

    fs_spec: dict[str, Any] = field(repr=False)
    root: str
    partition_by: tuple[str, ...] = ()
    max_rows_per_file: int = 5_000_000
    compression: str = "snappy"


class _FileWriter:
    def __init__(self, fs: Any, spec: TaskWriteSpec, relative: str, schema: pa.Schema,
                 partition_values: dict[str, str | None]) -> None:
        self.relative = relative
        self.partition_values = partition_values
        self.path = f"{spec.root}/{relative}"
        if spec.fs_spec["kind"] == "local":
            fs.create_dir(self.path.rsplit("/", 1)[0], recursive=True)
        self._stream = fs.open_output_stream(self.path)
        self._writer = pq.ParquetWriter(
            self._stream, schema, compression=spec.compression, version="2.6",
            coerce_timestamps="us", allow_truncated_timestamps=True,
        )
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self.stats = StatsAccumulator(schema)

    @property
    def rows(self) -> int:
        return self.stats.rows + self._buffered

    def write(self, table: pa.Table) -> None:
        self._buffer.append(table)
        self._buffered += table.num_rows
        if self._buffered >= _BUFFER_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            table = pa.concat_tables(self._buffer)
            self._writer.write_table(table)
            self.stats.update(table)
            self._buffer, self._buffered = [], 0

    def close(self, fs: Any) -> dict[str, Any]:
        self._flush()
        self._writer.close()
        self._stream.close()
        info = fs.get_file_info(self.path)
        return {
            "path": self.relative,
            "size": int(info.size),
            "partition_values": json.dumps(self.partition_values),
            "stats": self.stats.to_json(),
            "modification_time": int(time.time() * 1000),
        }


def _split(table: pa.Table, columns: tuple[str, ...]) -> Iterator[tuple[tuple[Any, ...], pa.Table]]:
    """Group ``table`` rows by the values of ``columns`` (hash grouping in Arrow)."""
    if not columns:
        yield (), table
        return
    index = pa.array(range(table.num_rows), type=pa.int64())
    grouped = table.select(list(columns)).append_column("__row", index).group_by(
        list(columns), use_threads=False
    ).aggregate([("__row", "list")])
    keys = [grouped.column(c).to_pylist() for c in columns]
    rows = grouped.column("__row_list")
    for i in range(grouped.num_rows):
        yield tuple(k[i] for k in keys), table.take(rows[i].values)


def make_task_writer(spec: TaskWriteSpec) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function writing one task's rows as Parquet data files."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        from lake.storage.s3 import filesystem_from_spec

        ctx = TaskContext.get()
        task = ctx.partitionId() if ctx is not None else 0
        fs = filesystem_from_spec(spec.fs_spec)
        open_files: dict[tuple[Any, ...], _FileWriter] = {}
        done: list[dict[str, Any]] = []
        data_schema: pa.Schema | None = None
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            if data_schema is None:
                data_schema = pa.schema([f for f in table.schema if f.name not in spec.partition_by])
            for key, part in _split(table, spec.partition_by):
                writer = open_files.get(key)
                if writer is None:
                    values = {c: partition_value_string(v) for c, v in zip(spec.partition_by, key, strict=True)}
                    prefix = partition_dir(spec.partition_by, values)
                    relative = f"{prefix}/{data_file_name(task)}" if prefix else data_file_name(task)
                    writer = _FileWriter(fs, spec, relative, data_schema, values)
                    open_files[key] = writer
                writer.write(part.drop_columns(list(spec.partition_by)) if spec.partition_by else part)
                if writer.rows >= spec.max_rows_per_file:
                    done.append(writer.close(fs))
                    del open_files[key]
        for writer in open_files.values():
            done.append(writer.close(fs))
        if done:
            yield pa.RecordBatch.from_pylist(done)

    return write
