"""The bronze Delta table of a stream: typed columns plus ingestion metadata.

Each micro-batch is one append through :class:`~lake.delta.DeltaTableStore` carrying the
transaction ``(app id, batch id)``: a replayed batch that was already committed is a
no-op, and files a killed attempt left behind are not in the Delta log, so no reader
sees them. The table is partitioned by ``event_date`` (event time, or arrival time when
a record has no valid event time); new fields are merged into the schema as they appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lake.stream.ingest.coerce import RESCUED, TIMESTAMP, Coerced, coerce_objects
from lake.stream.ingest.parse import ValidRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lake.delta import DeltaTableStore, WriteResult

__all__ = [
    "CHECKPOINT_INTERVAL",
    "METADATA_FIELDS",
    "PARTITION_COLUMN",
    "BronzeBatch",
    "BronzeWriter",
    "ensure_checkpoint_interval",
]

PARTITION_COLUMN = "event_date"
METADATA_FIELDS = (
    pa.field(RESCUED, pa.string()),
    pa.field("_stream", pa.string()),
    pa.field("_shard_id", pa.string()),
    pa.field("_sequence_number", pa.string()),
    pa.field("_partition_key", pa.string()),
    pa.field("_arrival_time", TIMESTAMP),
    pa.field("_batch_id", pa.int64()),
    pa.field(PARTITION_COLUMN, pa.date32()),
)
RESERVED = tuple(f.name for f in METADATA_FIELDS)
CHECKPOINT_INTERVAL = 10


def ensure_checkpoint_interval(dt: Any) -> None:
    """Checkpoint every :data:`CHECKPOINT_INTERVAL` commits (a commit per batch adds up).

    A snapshot load reads the last checkpoint plus the commits after it; Delta's default of
    100 would make every batch read up to 100 small JSON objects.
    """
    config = dt.metadata().configuration or {}
    if config.get("delta.checkpointInterval") != str(CHECKPOINT_INTERVAL):
        dt.alter.set_table_properties({"delta.checkpointInterval": str(CHECKPOINT_INTERVAL)})


@dataclass(frozen=True)
class BronzeBatch:
    """A batch typed for bronze (not yet written)."""

    table: pa.Table
    added_columns: list[str]
    rescued_records: int


class BronzeWriter:
    """Builds and commits the bronze rows of one stream for one ingest job."""

    def __init__(
        self,
        spark: SparkSession,
        store: DeltaTableStore,
        table: str,
        *,
        app_id: str,
        event_time_field: str,
    ) -> None:
        self.spark = spark
        self.store = store
        self.table = table
        self.app_id = app_id
        self.event_time_field = event_time_field
        self._dt: Any = None

    def refresh(self) -> None:
        """Load the table's latest state (once per batch; the getters below reuse it)."""
        if self._dt is None:
            if self.store.exists(self.table):
                self._dt = self.store.snapshot(self.table)
                ensure_checkpoint_interval(self._dt)
        else:
            self._dt.update_incremental()

    def committed_version(self) -> int | None:
        """The last batch id this job committed to the table (``None``: none yet)."""
        return None if self._dt is None else self._dt.transaction_version(self.app_id)

    def version(self) -> int | None:
        return None if self._dt is None else int(self._dt.version())

    def schema(self) -> pa.Schema | None:
        return None if self._dt is None else pa.schema(self._dt.schema().to_arrow())

    def build(
        self, valid: Sequence[ValidRecord], moments: Sequence[datetime], batch_id: int
    ) -> BronzeBatch:
        """Type ``valid`` records against the current table schema."""
        coerced: Coerced = coerce_objects(
            [r.obj for r in valid], self.schema(), reserved=RESERVED,
            event_time_field=self.event_time_field,
        )
        arrays: list[pa.Array] = [
            pa.array(coerced.columns[f.name], type=f.type) for f in coerced.schema
        ]
        metas = [r.meta for r in valid]
        arrays += [
            pa.array(coerced.rescued, type=pa.string()),
            pa.array([m.stream for m in metas], type=pa.string()),
            pa.array([m.shard_id for m in metas], type=pa.string()),
            pa.array([m.sequence_number for m in metas], type=pa.string()),
            pa.array([m.partition_key for m in metas], type=pa.string()),
            pa.array([m.arrival_us for m in metas], type=pa.int64()).cast(TIMESTAMP),
            pa.array([batch_id] * len(metas), type=pa.int64()),
            pa.array([m.date() for m in moments], type=pa.date32()),
        ]
        schema = pa.schema([*coerced.schema, *METADATA_FIELDS])
        rescued = sum(1 for r in coerced.rescued if r is not None)
        return BronzeBatch(pa.Table.from_arrays(arrays, schema=schema), coerced.added, rescued)

    def write(self, batch: BronzeBatch, batch_id: int, metadata: dict[str, Any]) -> WriteResult:
        """Append ``batch`` as the job's transaction ``batch_id`` (no-op if already there)."""
        df = self.spark.createDataFrame(batch.table)
        result = self.store.write(
            df, self.table, mode="append", partition_by=[PARTITION_COLUMN], schema_mode="merge",
            app_id=self.app_id, app_version=batch_id, commit_metadata=metadata,
        )
        return result
