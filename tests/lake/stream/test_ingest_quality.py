"""The raw stage in quality.results: each ingest micro-batch records its malformed records (set
aside under raw/_errors/) as a ``kind="raw"`` result of the bronze table, once per batch id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lake.etl import ResultsTable
from lake.quality import count_raw_errors
from lake.stream.ingest import BatchProcessor, IngestConfig
from lake.stream.kinesis import SOURCE_ARROW_SCHEMA

ARRIVAL = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _micro_batch(spark: Any, datas: list[bytes]) -> Any:
    rows = [{"data": d, "stream": "heart", "shard_id": "shardId-000000000000", "sequence_number": str(i + 1),
             "partition_key": f"p{i}", "approximate_arrival_timestamp": ARRIVAL, "millis_behind_latest": 0}
            for i, d in enumerate(datas)]
    return spark.createDataFrame(pa.Table.from_pylist(rows, schema=SOURCE_ARROW_SCHEMA))


def test_each_batch_records_its_malformed_records_once(spark, local_lake) -> None:  # type: ignore[no-untyped-def]
    good = [b'{"record_id": "r%d", "event_time": "2026-03-01T12:00:00Z"}' % i for i in range(6)]
    processor = BatchProcessor(spark, local_lake, IngestConfig(stream="heart"))
    processor.bind("query-1")
    processor(_micro_batch(spark, [*good[:4], b"{not json", b"\xff\xfe"]), 0)
    processor(_micro_batch(spark, [*good[:4], b"{not json", b"\xff\xfe"]), 0)  # replayed after a crash
    processor(_micro_batch(spark, good[4:]), 1)
    rows = sorted(ResultsTable(local_lake).read("bronze.heart").to_pylist(), key=lambda r: r["run_id"])
    assert [(r["kind"], r["rule"], r["evaluated"], r["failed"], r["status"]) for r in rows] == [
        ("raw", "malformed_records", 6, 2, "dropped"), ("raw", "malformed_records", 2, 0, "passed")]
    assert sum(r["failed"] for r in rows) == count_raw_errors(local_lake, "heart").records
    assert "quality.results" in IngestConfig(stream="heart").catalog_tables()
