"""Read a Delta snapshot into Arrow without Spark, through pyarrow's own Parquet reader.

delta-rs' ``to_pyarrow_table()`` / ``to_pyarrow_dataset()`` scan with threads that can abort
the interpreter at exit ("terminate called without an active exception", exit 134 —
delta-io/delta-rs#2184, apache/arrow#34314). Here delta-rs only lists the snapshot's files
(the log is the truth) and pyarrow reads them, adding partition values from the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

from lake.storage import StorageProfile

__all__ = ["read_arrow", "snapshot_to_arrow"]


def read_arrow(
    uri: str, profile: StorageProfile, *, version: int | None = None, columns: Sequence[str] | None = None
) -> pa.Table:
    """The rows of the Delta table at ``uri`` (optionally at ``version``, only ``columns``)."""
    from lake.delta.translate import delta_errors

    location = profile.resolve(uri)
    with delta_errors(profile, location):
        dt = DeltaTable(location, storage_options=profile.storage_options() or None, version=version)
        return snapshot_to_arrow(dt, profile, columns=columns)


def snapshot_to_arrow(dt: DeltaTable, profile: StorageProfile, *, columns: Sequence[str] | None = None) -> pa.Table:
    """The rows of an open snapshot, read file by file with pyarrow."""
    schema = pa.schema(dt.schema().to_arrow())
    if columns is not None:
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise KeyError(f"no column {missing[0]!r} in {dt.table_uri}; columns: {schema.names}")
        schema = pa.schema([schema.field(c) for c in columns])
    partitions = [c for c in dt.metadata().partition_columns if c in schema.names]
    data_columns = [n for n in schema.names if n not in partitions]
    actions = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    fs, root = profile.filesystem(), profile.fs_path(dt.table_uri).rstrip("/")
    pieces = []
    for action in actions:
        piece = pq.read_table(f"{root}/{unquote(action['path'])}", filesystem=fs, columns=data_columns)
        for name in partitions:
            value = action.get(f"partition.{name}")
            piece = piece.append_column(name, pa.array([value] * piece.num_rows, type=schema.field(name).type))
        pieces.append(piece.select(schema.names).cast(schema))
    return pa.concat_tables(pieces) if pieces else schema.empty_table()
