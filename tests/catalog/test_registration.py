"""Jobs register the Delta tables they wrote (and skip the ones a run did not create)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from catalog.registration import register_job_tables
from catalog.stores import get_catalog
from lake.config import load_settings
from lake.stream.ingest import IngestConfig


def test_ingest_tables_are_registered_from_the_delta_log(lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"home": str(tmp_path / "home")})
    config = IngestConfig(stream="heart-2", available_now=True)
    data = pa.table({"record_id": ["a", "b"], "age": [50, 61], "event_date": ["2026-01-01", "2026-01-02"]})
    write_deltalake(lake.resolve(config.bronze_table), data, partition_by=["event_date"],
                    storage_options=lake.storage_options() or None)
    names = register_job_tables(settings, lake, config.catalog_tables(), job=config.job)
    assert names == ["bronze.heart_2"]  # no metrics table yet: skipped, not invented
    table = get_catalog(settings, lake).get_table("bronze", "heart_2")
    assert table.parameters["classification"] == "delta"
    assert table.parameters["lakeforge.job"] == "ingest-heart-2"
    assert [c.name for c in table.partition_keys] == ["event_date"]
    assert {c.name for c in table.storage_descriptor.columns} >= {"record_id", "age"}
