"""The smoke pipeline: write, read, optimize and vacuum a Delta table on the lake."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lake.delta import DeltaTableStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lake.storage import StorageProfile

__all__ = ["SmokeReport", "run_smoke"]


@dataclass
class SmokeReport:
    """What the smoke pipeline did, step by step."""

    table: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(self, step: str, started: float, **details: Any) -> None:
        self.steps.append({"step": step, "seconds": round(time.monotonic() - started, 2), **details})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batch(spark: SparkSession, start: int, rows: int) -> DataFrame:
    return spark.range(start, start + rows).selectExpr(
        "id",
        "concat('device-', cast(id % 50 as string)) as device_id",
        "cast(20 + (id % 17) * 0.5 as double) as temperature",
        "timestamp'2026-01-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) as event_time",
        "date'2026-01-01' + cast(id % 4 as int) as event_date",
    )


def run_smoke(
    spark: SparkSession, profile: StorageProfile, *, table: str = "smoke/events", rows: int = 20_000,
    batches: int = 4,
) -> SmokeReport:
    """Append ``batches`` small batches, read back, compact and vacuum; verify the row count."""
    profile.ensure_lake()
    store = DeltaTableStore(spark, profile)
    report = SmokeReport(store.uri(table))
    per = max(rows // batches, 1)
    t = time.monotonic()
    store.write(_batch(spark, 0, per), table, mode="overwrite", partition_by=["event_date"])
    for i in range(1, batches):
        store.write(_batch(spark, i * per, per), table, mode="append")
    snapshot = store.snapshot(table)
    report.add("write", t, batches=batches, rows=per * batches, version=snapshot.version(),
               files=len(snapshot.file_uris()))
    t = time.monotonic()
    count = store.read(table).count()
    one_day = store.plan_scan(table, filters=[("event_date", "=", "2026-01-02")])
    report.add("read", t, rows=count, files_for_one_partition=len(one_day.files),
               files_total=one_day.total_files)
    if count != per * batches:
        raise RuntimeError(f"smoke: read {count} rows, wrote {per * batches}")
    t = time.monotonic()
    opt = store.optimize(table)
    report.add("optimize", t, version=opt.version, files_removed=opt.files_removed,
               files_added=opt.files_added)
    t = time.monotonic()
    vac = store.vacuum(table, retain_hours=0, force=True)
    after = store.read(table).count()
    report.add("vacuum", t, files_deleted=len(vac.files), rows_after=after)
    if after != count:
        raise RuntimeError(f"smoke: {after} rows after vacuum, expected {count}")
    return report
