"""Per-batch ingest metrics: a Delta table row per micro-batch and a progress line.

Rows are appended with ``deltalake`` directly (one small commit per batch, no Spark job
on the latency path) and carry the same ``(app id, batch id)`` transaction as bronze, so
a replayed batch does not add a second row. Columns added in later versions
(``records_lost``, ``uncounted_loss_gaps``) are merged into an existing table's schema.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import pyarrow as pa

from lake.storage import StorageProfile
from lake.stream.ingest.bronze import ensure_checkpoint_interval

__all__ = ["METRICS_SCHEMA", "BatchMetrics", "MetricsTable", "lost_text", "progress_line"]

_TS = pa.timestamp("us", tz="UTC")
METRICS_SCHEMA = pa.schema([
    ("job", pa.string()),
    ("stream", pa.string()),
    ("query_id", pa.string()),
    ("batch_id", pa.int64()),
    ("started_at", _TS),
    ("duration_ms", pa.int64()),
    ("read_ms", pa.int64()),
    ("raw_ms", pa.int64()),
    ("bronze_ms", pa.int64()),
    ("records_in", pa.int64()),
    ("valid_records", pa.int64()),
    ("error_records", pa.int64()),
    ("rescued_records", pa.int64()),
    ("bytes_in", pa.int64()),
    ("shards", pa.int64()),
    ("millis_behind_latest", pa.int64()),
    ("max_latency_ms", pa.int64()),
    ("min_event_time", _TS),
    ("max_event_time", _TS),
    ("max_arrival_time", _TS),
    ("new_columns", pa.string()),
    ("raw_files", pa.int64()),
    ("bronze_version", pa.int64()),
    ("bronze_committed", pa.bool_()),
    ("records_lost", pa.int64()),
    ("uncounted_loss_gaps", pa.int64()),
])


@dataclass
class BatchMetrics:
    """What one micro-batch did (one row of the metrics table)."""

    job: str
    stream: str
    query_id: str
    batch_id: int
    started_at: datetime
    duration_ms: int = 0  # the whole batch, up to (not including) the metrics commit
    read_ms: int = 0  # reading the micro-batch from the source and parsing it
    raw_ms: int = 0  # writing the raw-zone objects
    bronze_ms: int = 0  # typing and committing the bronze rows
    records_in: int = 0
    valid_records: int = 0
    error_records: int = 0
    rescued_records: int = 0
    bytes_in: int = 0
    shards: int = 0
    millis_behind_latest: int | None = None
    max_latency_ms: int | None = None
    min_event_time: datetime | None = None
    max_event_time: datetime | None = None
    max_arrival_time: datetime | None = None
    new_columns: str | None = None
    raw_files: int = 0
    bronze_version: int | None = None
    bronze_committed: bool = False
    records_lost: int = 0  # expired from the stream before they were read (counted)
    uncounted_loss_gaps: int = 0  # shards that lost records Kinesis cannot count (AWS)

    @property
    def lost_text(self) -> str:
        """``"12 lost"``, ``"12 lost + an unknown number in 1 shard"``."""
        return lost_text(self.records_lost, self.uncounted_loss_gaps)

    def to_arrow(self) -> pa.Table:
        row = asdict(self)
        return pa.Table.from_pylist([row], schema=METRICS_SCHEMA)


assert [f.name for f in fields(BatchMetrics)] == METRICS_SCHEMA.names


def lost_text(counted: int, uncounted_gaps: int) -> str:
    """How many records were lost to retention, as the progress and summary lines say it."""
    text = f"{counted:,} lost"
    if uncounted_gaps:
        text += f" + an unknown number in {uncounted_gaps} shard{'s' if uncounted_gaps > 1 else ''}"
    return text


def progress_line(m: BatchMetrics) -> str:
    """``ingest heart batch 12: 4,012 records (3 errors, 1 rescued) → bronze v13 ...``."""
    parts = [f"{m.valid_records:,} valid"]
    if m.records_lost or m.uncounted_loss_gaps:
        parts.append(f"{m.lost_text} to retention")
    if m.error_records:
        parts.append(f"{m.error_records:,} errors")
    if m.rescued_records:
        parts.append(f"{m.rescued_records:,} rescued")
    if m.new_columns and m.bronze_version == 0:
        parts.append(f"table created with {len(m.new_columns.split(','))} columns")
    elif m.new_columns:
        parts.append(f"new columns: {m.new_columns}")
    if m.bronze_committed:
        target = f"bronze v{m.bronze_version}"
    elif m.valid_records:
        target = "bronze already committed (replay)"
    else:
        target = "no bronze rows"
    lag = "-" if m.millis_behind_latest is None else f"{m.millis_behind_latest:,} ms"
    return (
        f"ingest {m.stream} batch {m.batch_id}: {m.records_in:,} records "
        f"({', '.join(parts)}) → {target}, {m.raw_files} raw files; "
        f"lag {lag}; {m.duration_ms / 1000:.2f}s"
    )


class MetricsTable:
    """The ingest-metrics Delta table (default ``_meta/ingest_metrics``)."""

    def __init__(self, profile: StorageProfile, table: str, app_id: str) -> None:
        self.profile = profile
        self.uri = profile.resolve(table)
        self.app_id = app_id
        self._dt: Any = None

    def _table(self) -> Any:
        from deltalake import DeltaTable

        opts = self.profile.storage_options() or None
        if self._dt is None and DeltaTable.is_deltatable(self.uri, storage_options=opts):
            self._dt = DeltaTable(self.uri, storage_options=opts)
            ensure_checkpoint_interval(self._dt)
        elif self._dt is not None:
            self._dt.update_incremental()
        return self._dt

    def append(self, metrics: BatchMetrics) -> bool:
        """Append the row unless this job already recorded ``metrics.batch_id``."""
        from deltalake import write_deltalake
        from deltalake.transaction import CommitProperties, Transaction

        dt = self._table()
        if dt is not None:
            done = dt.transaction_version(self.app_id)
            if done is not None and done >= metrics.batch_id:
                return False
        props = CommitProperties(
            app_transactions=[Transaction(self.app_id, metrics.batch_id)], max_commit_retries=50
        )
        write_deltalake(
            dt if dt is not None else self.uri, metrics.to_arrow(), mode="append",
            schema_mode="merge", storage_options=self.profile.storage_options() or None,
            commit_properties=props,
        )
        return True

    def read(self) -> list[dict[str, Any]]:
        from lake.delta.arrow_read import read_arrow

        return list(read_arrow(self.uri, self.profile).to_pylist())
