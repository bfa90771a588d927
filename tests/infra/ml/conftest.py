"""A small lake built the way the product builds it: simulator records → bronze Delta → SQL library → ETL.

Records come from the simulator's own generators, in process, and are written as the stream's
bronze table with the ingest job's :class:`~lake.stream.ingest.bronze.BronzeWriter` (same typing,
metadata columns, ``event_date`` partitions), then registered in the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
LIBRARY = REPO / "infra" / "sql"
SPECS = REPO / "infra" / "ml"


def write_bronze(spark: Any, store: Any, profile: Any, generator: Any, records: int, *, step: timedelta,
                 batch: int = 2000, start: datetime = datetime(2026, 3, 1, tzinfo=UTC)) -> list[dict[str, Any]]:
    """``records`` generator records as bronze.<stream> (one Delta commit per batch); returns their truth."""
    from catalog import register_delta_table
    from lake.delta import DeltaTableStore
    from lake.stream.ingest.bronze import BronzeWriter
    from lake.stream.ingest.parse import RecordMeta, ValidRecord

    stream = generator.name
    writer = BronzeWriter(spark, DeltaTableStore(spark, profile), f"bronze/{stream}", app_id=f"sim-{stream}",
                          event_time_field="event_time")
    truth = []
    for batch_id, first in enumerate(range(0, records, batch)):
        valid, moments = [], []
        for i in range(first, min(first + batch, records)):
            moment = start + step * i
            made = generator.next_record(i, f"r{i:07d}", moment)
            meta = RecordMeta(stream, "shardId-000000000000", str(i), made.partition_key,
                              int(moment.timestamp() * 1_000_000), 0)
            valid.append(ValidRecord(made.record, b"", meta))
            moments.append(moment)
            truth.append({"record_id": made.record["record_id"], **made.truth})
        writer.refresh()
        writer.write(writer.build(valid, moments, batch_id), batch_id, {"lakeforge.source": "simulator"})
    register_delta_table(store, "bronze", stream, f"bronze/{stream}", profile)
    return truth


@dataclass
class SimulatedLake:
    """A local lake with bronze.heart (ETL'd to silver), bronze.iot, the SQL library and a tracking store."""

    spark: Any
    settings: Any
    profile: Any
    store: Any
    engine: Any
    tracking: Any
    delta: Any

    def training_env(self) -> Any:
        from catalog.ml import TrainingEnv

        return TrainingEnv(self.spark, self.store, self.profile, self.tracking, self.delta)

    def apply(self, path: Path) -> None:
        self.engine.execute(path.read_text(encoding="utf-8"))

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return list(self.engine.query(sql))


@pytest.fixture(scope="module")
def simulated_lake(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedLake]:
    from catalog.etl import run_all
    from catalog.sql import SqlEngine, apply_library
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.ml.tracking import open_tracking
    from lake.storage import LocalProfile
    from lake.stream.simulator.base import GeneratorOptions
    from lake.stream.simulator.heart import HeartGenerator
    from lake.stream.simulator.iot import IotGenerator

    root = tmp_path_factory.mktemp("simulated")
    (root / "lake").mkdir()
    settings = load_settings({"home": str(root / "home"), "lake": str(root / "lake"),
                              "catalog.path": str(root / "catalog.db")}, project_dir=root)
    profile = LocalProfile(root / "lake")
    store = get_catalog(settings, profile)
    delta = DeltaTableStore(spark, profile)
    write_bronze(spark, store, profile, HeartGenerator(GeneratorOptions(seed=5, entities=80)), 700,
                 step=timedelta(hours=3))
    write_bronze(spark, store, profile, IotGenerator(GeneratorOptions(seed=3, entities=8)), 4000,
                 step=timedelta(minutes=10), batch=4000)
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False, delta=delta)
    apply_library(engine, LIBRARY)
    runs = run_all(spark, store, profile, delta=delta, publish_docs=False)
    assert all(r["status"] == "succeeded" for r in runs), runs
    lake = SimulatedLake(spark, settings, profile, store, engine, open_tracking(settings, profile), delta)
    yield lake
    engine.close()
    store.close()
