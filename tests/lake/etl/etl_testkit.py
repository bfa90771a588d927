"""Helpers shared by the ETL tests and their kill -9 worker (imported as ``etl_testkit``).

Heart records come from the simulator's emitter in-process (no Kinesis): valid records and
their duplicates are typed and written to a bronze Delta table exactly as the ingest job does
(:class:`~lake.stream.ingest.bronze.BronzeWriter`); malformed emissions never reach bronze.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lake.delta import DeltaTableStore
from lake.etl import EtlSpec, SourceSpec
from lake.quality import RowRule
from lake.stream.simulator import Emission, SimulatorConfig, iter_emissions

BRONZE = "bronze/heart"
SILVER = "silver/heart_visits"
START = datetime(2026, 3, 1, 8, tzinfo=UTC)
COLUMNS = (
    "record_id", "patient_id", "visit_id", "event_time", "clinic_id", "age", "sex", "resting_bp",
    "cholesterol", "max_heart_rate", "st_depression", "heart_disease", "event_date",
)
RANGES = {"age": (18, 100), "resting_bp": (80, 220), "cholesterol": (100, 600), "max_heart_rate": (60, 220),
          "st_depression": (0, 7)}
RULES = (
    *(RowRule(f"plausible_{c}", f"{c} IS NULL OR {c} BETWEEN {lo} AND {hi}", "drop") for c, (lo, hi) in RANGES.items()),
    RowRule("known_sex", "sex IN ('male', 'female')"),
)


def emissions(records: int, *, seed: int = 11, duplicate_rate: float = 0.0, outlier_rate: float = 0.0,
              malformed_rate: float = 0.0, missing_rate: float = 0.0, offset: int = 0) -> list[Emission]:
    """The simulator's emissions of a run (valid, duplicate and malformed), in wire order."""
    config = SimulatorConfig(generator="heart", records=records, seed=seed, start_time=START, rate=0.01,
                             duplicate_rate=duplicate_rate, duplicate_max_delay=5, outlier_rate=outlier_rate,
                             malformed_rate=malformed_rate, missing_rate=missing_rate, entities=40)
    out = list(iter_emissions(config))
    return out[offset:]


def write_bronze(spark: Any, store: DeltaTableStore, batch: Sequence[Emission], batch_id: int,
                 table: str = BRONZE) -> Any:
    """Append the batch's valid and duplicate records to bronze as the ingest job types them."""
    from lake.stream.ingest.bronze import BronzeWriter
    from lake.stream.ingest.parse import RecordMeta, ValidRecord, parse_event_time

    arrival = int(START.timestamp() * 1_000_000) + batch_id * 1_000_000
    valid = []
    for seq, emission in enumerate(e for e in batch if e.kind != "malformed"):
        meta = RecordMeta("heart", "shardId-000000000000", str(batch_id * 1_000_000 + seq),
                          emission.partition_key, arrival + seq, None)
        valid.append(ValidRecord(json.loads(emission.data), emission.data, meta))
    writer = BronzeWriter(spark, store, table, app_id="etl-tests", event_time_field="event_time")
    writer.refresh()
    moments = [parse_event_time(r.obj.get("event_time")) or r.meta.arrival for r in valid]
    return writer.write(writer.build(valid, moments, batch_id), batch_id, {})


def silver_spec(*, key: bool = True, rules: Sequence[RowRule] = RULES, name: str = "silver.heart_visits",
                definition_id: str = "silver-v1", suites: Sequence[Any] = ()) -> EtlSpec:
    """Silver over bronze in Python: the same projection, KEY and rules as the example library."""

    def build(frames: Any) -> Any:
        return frames["bronze.heart"].select(*COLUMNS)

    return EtlSpec(name=name, location=SILVER, build=build, sources=(SourceSpec("bronze.heart", BRONZE),),
                   incremental_source="bronze.heart", key=("record_id",) if key else (),
                   partition_by=("event_date",), row_rules=tuple(rules), suites=tuple(suites),
                   definition_id=definition_id)


@dataclass(frozen=True)
class Truth:
    """What the simulator's ground truth says a batch should give."""

    read: int
    outliers: set[str]  # record ids of outlier records
    quarantined_rows: int  # outlier records and their duplicate copies
    duplicates: int  # copies of clean records (including ones seen earlier)
    clean: set[str]
    malformed: int


def truth(batch: Sequence[Emission], seen: set[str] = frozenset()) -> Truth:  # type: ignore[assignment]
    delivered = [e for e in batch if e.kind != "malformed"]
    outlier_ids = {e.record_id for e in delivered if e.truth and e.truth.get("outlier")}
    assert all(e.record_id for e in delivered)
    clean = [str(e.record_id) for e in delivered if e.record_id not in outlier_ids]
    return Truth(
        read=len(delivered),
        outliers={str(i) for i in outlier_ids},
        quarantined_rows=len(delivered) - len(clean),
        duplicates=len(clean) - len(set(clean) - set(seen)),
        clean=set(clean),
        malformed=sum(1 for e in batch if e.kind == "malformed"),
    )


def table_rows(store: DeltaTableStore, table: str, drop: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """The table's rows as sorted tuples (columns in ``drop`` left out): for comparing tables."""
    if not store.exists(table):
        return []
    df = store.read(table)
    keep = [c for c in df.columns if c not in drop]
    return sorted(tuple(json.dumps(v, default=str) for v in row) for row in df.select(*keep).collect())
