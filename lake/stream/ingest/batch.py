"""One micro-batch, written so that replaying it gives exactly the same lake.

Order: raw zone (deterministic objects, overwritten on replay) → bronze (idempotent Delta
transaction) → metrics (same transaction id) → the batch's malformed-record count as a
``kind="raw"`` row of ``quality.results`` for the bronze table (same transaction id, so the
raw stage counts in the quality results exactly once per batch). A crash anywhere leaves the batch
uncommitted in the checkpoint; Spark replays it with the same offsets, hence the same
records, and every step converges to the single result.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lake.etl.results_table import ResultsTable
from lake.quality import raw_error_result
from lake.stream.ingest.bronze import BronzeWriter
from lake.stream.ingest.config import IngestConfig
from lake.stream.ingest.metrics import BatchMetrics, MetricsTable, lost_text
from lake.stream.ingest.parse import ParsedBatch, parse_event_time, parse_records
from lake.stream.ingest.raw_zone import plan_raw_files, write_raw_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lake.storage import StorageProfile

__all__ = ["FAULT_ENV", "BatchProcessor", "IngestTotals"]

FAULT_ENV = "LAKE_INGEST_FAULT"  # "<stage>:<batch id>": SIGKILL self after that stage (tests)
_STAGES = ("read", "raw", "bronze", "metrics", "quality")


@dataclass
class IngestTotals:
    """What a run of the job processed (batches replayed after a crash count again)."""

    batches: int = 0
    records_in: int = 0
    valid_records: int = 0
    error_records: int = 0
    rescued_records: int = 0
    records_lost: int = 0
    uncounted_loss_gaps: int = 0
    last_batch_id: int | None = None
    bronze_version: int | None = None
    new_columns: list[str] = field(default_factory=list)
    checkpoint_moved_to: str | None = None  # where --reset-checkpoint moved the old one

    @property
    def lost_text(self) -> str:
        return lost_text(self.records_lost, self.uncounted_loss_gaps)

    def summary_line(self, stream: str) -> str:
        """``ingest heart: read 3 batches, 251 records, 0 lost (250 valid, 1 errors, 0 rescued)``."""
        return (
            f"ingest {stream}: read {self.batches} batches, {self.records_in:,} records, "
            f"{self.lost_text} ({self.valid_records:,} valid, {self.error_records:,} errors, "
            f"{self.rescued_records:,} rescued)"
        )

    def add(self, m: BatchMetrics) -> None:
        self.batches += 1
        self.records_in += m.records_in
        self.valid_records += m.valid_records
        self.error_records += m.error_records
        self.rescued_records += m.rescued_records
        self.records_lost += m.records_lost
        self.uncounted_loss_gaps += m.uncounted_loss_gaps
        self.last_batch_id = m.batch_id
        if m.bronze_version is not None:
            self.bronze_version = m.bronze_version
        if m.new_columns:
            self.new_columns.extend(m.new_columns.split(","))


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _fault_point() -> tuple[str, int] | None:
    spec = os.environ.get(FAULT_ENV, "")
    stage, _, batch = spec.partition(":")
    if stage in _STAGES and batch.isdigit():
        return stage, int(batch)
    return None


class BatchProcessor:
    """The ``foreachBatch`` function of the ingest query."""

    def __init__(
        self,
        spark: SparkSession,
        profile: StorageProfile,
        config: IngestConfig,
        *,
        progress: Callable[[BatchMetrics], None] | None = None,
    ) -> None:
        from lake.delta import DeltaTableStore

        self.spark = spark
        self.profile = profile
        self.config = config
        self.store = DeltaTableStore(spark, profile)
        self.progress = progress
        self.totals = IngestTotals()
        self._query_id: str | None = None
        self._bound = threading.Event()
        self._bronze: BronzeWriter | None = None
        self._metrics: MetricsTable | None = None
        self._results: ResultsTable | None = None
        self._fault = _fault_point()

    def bind(self, query_id: str) -> None:
        """Tell the processor its query id (stable across restarts from the checkpoint)."""
        self._query_id = query_id
        self._bound.set()

    @property
    def app_id(self) -> str:
        return f"lakeforge-ingest:{self.config.job}:{self._query_id}"

    def _writers(self) -> tuple[BronzeWriter, MetricsTable]:
        if self._bronze is None or self._metrics is None:
            if not self._bound.wait(timeout=120):
                raise RuntimeError("the ingest query id was never bound")
            self._bronze = BronzeWriter(
                self.spark, self.store, self.config.bronze_table, app_id=self.app_id,
                event_time_field=self.config.event_time_field,
            )
            self._metrics = MetricsTable(self.profile, self.config.metrics_table, self.app_id)
        return self._bronze, self._metrics

    def _maybe_crash(self, stage: str, batch_id: int) -> None:
        if self._fault == (stage, batch_id):
            os.kill(os.getpid(), signal.SIGKILL)

    def __call__(self, df: DataFrame, batch_id: int) -> None:
        started = datetime.now(UTC)
        clock = time.monotonic()
        bronze, metrics_table = self._writers()
        parsed = parse_records(df.toArrow())
        if parsed.records_in == 0 and not parsed.lost:
            return
        read_done = time.monotonic()
        self._maybe_crash("read", batch_id)
        cfg = self.config
        event_times = [parse_event_time(r.obj.get(cfg.event_time_field)) for r in parsed.valid]
        moments = [e or r.meta.arrival for e, r in zip(event_times, parsed.valid, strict=True)]

        files = plan_raw_files(
            cfg.stream, batch_id, parsed.valid, moments, parsed.errors, prefix=cfg.raw_prefix
        )
        write_raw_files(self.profile, files)
        raw_done = time.monotonic()
        self._maybe_crash("raw", batch_id)

        m = BatchMetrics(
            job=cfg.job, stream=cfg.stream, query_id=str(self._query_id), batch_id=batch_id,
            started_at=started, records_in=parsed.records_in, valid_records=len(parsed.valid),
            error_records=len(parsed.errors), bytes_in=parsed.bytes_in, raw_files=len(files),
            read_ms=_ms(read_done - clock), raw_ms=_ms(raw_done - read_done),
            records_lost=parsed.records_lost, uncounted_loss_gaps=parsed.uncounted_loss_gaps,
        )
        bronze.refresh()
        done = bronze.committed_version()
        if parsed.valid and (done is None or done < batch_id):
            typed = bronze.build(parsed.valid, moments, batch_id)
            result = bronze.write(typed, batch_id, {
                "lakeforge.ingest.job": cfg.job, "lakeforge.ingest.stream": cfg.stream,
                "lakeforge.ingest.batchId": batch_id,
            })
            m.bronze_committed = result.committed
            m.bronze_version = result.version
            m.rescued_records = typed.rescued_records
            m.new_columns = ",".join(typed.added_columns) or None
        else:
            m.bronze_version = bronze.version()
        m.bronze_ms = _ms(time.monotonic() - raw_done)
        self._maybe_crash("bronze", batch_id)

        self._fill_stream_facts(m, parsed, event_times)
        m.duration_ms = _ms(time.monotonic() - clock)
        metrics_table.append(m)
        self._maybe_crash("metrics", batch_id)
        self._record_raw_errors(m)
        self._maybe_crash("quality", batch_id)
        self.totals.add(m)
        if self.progress is not None:
            self.progress(m)

    def _record_raw_errors(self, m: BatchMetrics) -> None:
        """Malformed records of the batch (set aside under raw/_errors/) as a quality result of bronze."""
        cfg = self.config
        if self._results is None:
            self._results = ResultsTable(self.profile)
        result = raw_error_result(
            f"{m.started_at:%Y%m%dT%H%M%SZ}-{cfg.job}-b{m.batch_id}", cfg.bronze_catalog_name, cfg.stream,
            m.error_records, evaluated=m.records_in, seconds=m.read_ms / 1000, prefix=cfg.raw_prefix,
            details={"job": cfg.job, "query_id": m.query_id, "batch_id": m.batch_id},
        )
        self._results.append([result], app_id=self.app_id, version=m.batch_id)

    @staticmethod
    def _fill_stream_facts(
        m: BatchMetrics, parsed: ParsedBatch, event_times: list[datetime | None]
    ) -> None:
        metas = [r.meta for r in parsed.valid] + [e.meta for e in parsed.errors]
        if not metas:  # a batch that only reports lost records
            return
        last: dict[str, tuple[int, int | None]] = {}
        for meta in metas:
            seq = int(meta.sequence_number)
            if meta.shard_id not in last or seq > last[meta.shard_id][0]:
                last[meta.shard_id] = (seq, meta.millis_behind)
        m.shards = len(last)
        lags = [lag for _, lag in last.values() if lag is not None]
        m.millis_behind_latest = max(lags) if lags else None
        arrivals = [meta.arrival_us for meta in metas]
        m.max_arrival_time = datetime.fromtimestamp(max(arrivals) / 1_000_000, tz=UTC)
        m.max_latency_ms = int(time.time() * 1000 - min(arrivals) / 1000)
        known = [t for t in event_times if t is not None]
        if known:
            m.min_event_time, m.max_event_time = min(known), max(known)
