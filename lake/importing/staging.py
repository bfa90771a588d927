"""Stage Arrow batches as Parquet under ``<lake>/_staging/`` for Spark to read, then remove them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lake.storage import StorageProfile
from lake.storage import uris as _uris
from lake.storage.translate import storage_errors

__all__ = ["StagedFiles", "spark_compatible", "staged"]

_ROWS_PER_FILE = 1_000_000


class StagedFiles:
    """Parquet files written under one staging folder of the lake."""

    def __init__(self, profile: StorageProfile, uri: str) -> None:
        self.profile = profile
        self.uri = uri
        self.rows = 0
        self.files = 0

    def write(self, batches: Iterable[pa.RecordBatch]) -> None:
        """Write ``batches``; storage failures are lakeforge errors, the source's errors its own."""
        fs, root = self.profile.filesystem(), self.profile.fs_path(self.uri)
        with storage_errors(self.profile, self.uri):
            fs.create_dir(root, recursive=True)
        writer: pq.ParquetWriter | None = None
        in_file = 0
        try:
            for batch in batches:
                batch = spark_compatible(batch)
                with storage_errors(self.profile, self.uri):
                    if writer is None or in_file >= _ROWS_PER_FILE:
                        if writer is not None:
                            writer.close()
                        writer = pq.ParquetWriter(fs.open_output_stream(f"{root}/part-{self.files:05d}.parquet"),
                                                  batch.schema)
                        self.files += 1
                        in_file = 0
                    writer.write_batch(batch)
                in_file += batch.num_rows
                self.rows += batch.num_rows
        finally:
            if writer is not None:
                with storage_errors(self.profile, self.uri):
                    writer.close()

    def remove(self) -> None:
        fs, root = self.profile.filesystem(), self.profile.fs_path(self.uri)
        with contextlib.suppress(FileNotFoundError, OSError):
            fs.delete_dir(root)


@contextlib.contextmanager
def staged(profile: StorageProfile, purpose: str) -> Iterator[StagedFiles]:
    """A fresh staging folder, removed afterwards whatever happens."""
    uri = _uris.join(profile.lake_uri, "_staging", f"{purpose}-{uuid.uuid4().hex[:12]}")
    files = StagedFiles(profile, uri)
    try:
        yield files
    finally:
        files.remove()


def spark_compatible(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Types Spark reads as Delta can store: timestamps in UTC microseconds; time and null as string."""
    fields, arrays, changed = [], [], False
    for f, column in zip(batch.schema, batch.columns, strict=True):
        target = _target(f.type)
        if target is not None:
            column, f, changed = column.cast(target), pa.field(f.name, target, f.nullable), True
        fields.append(f)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields)) if changed else batch


def _target(t: pa.DataType) -> pa.DataType | None:
    if pa.types.is_timestamp(t) and (t.tz is None or t.unit != "us"):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_time(t) or pa.types.is_null(t):
        return pa.string()
    if pa.types.is_large_string(t):
        return pa.string()
    return None


