"""The ingest job end to end in-process: simulator → Kinesis → raw zone + bronze + metrics."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pytest

from lake.delta import DeltaTableStore
from lake.storage import StorageProfile, moto_profile
from lake.stream.ingest import ERROR_TYPES, BatchProcessor, IngestConfig, MetricsTable, run_ingest
from lake.stream.simulator import SimulatorConfig, read_ground_truth, simulate

pytestmark = [pytest.mark.moto, pytest.mark.slow]


@dataclass
class Ingested:
    profile: StorageProfile
    stream: str
    truth: list[dict[str, Any]]
    summary: Any
    bronze: pa.Table
    batches: list[Any]


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def list_objects(profile: StorageProfile, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix`` (relative to the lake), as a reader listing files sees it."""
    fs = profile.filesystem()
    base = profile.fs_path(profile.resolve(prefix))
    try:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    except FileNotFoundError:
        return {}
    out = {}
    for info in infos:
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path, compression=None) as fh:
                out[info.path[len(base) + 1 :]] = fh.read()
    return out


def bronze_table(profile: StorageProfile, stream: str) -> pa.Table:
    from deltalake import DeltaTable

    return DeltaTable(
        profile.resolve(f"bronze/{stream}"), storage_options=profile.storage_options() or None
    ).to_pyarrow_table()


@pytest.fixture(scope="module")
def heart(spark: Any, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """600 heart records with malformed, late, duplicate and drifting ones, ingested once."""
    profile = moto_profile(moto_endpoint, f"s3://lakeforge-tests/ingest-{uuid.uuid4().hex[:8]}")
    stream = f"heart-{uuid.uuid4().hex[:8]}"
    truth_file = tmp_path_factory.mktemp("truth") / "heart.ndjson"
    summary = simulate(
        SimulatorConfig(
            generator="heart",
            stream_name=stream,
            records=600,
            rate=0,
            shards=2,
            seed=11,
            malformed_rate=0.05,
            late_rate=0.1,
            lateness=2 * 86400,
            duplicate_rate=0.03,
            duplicate_max_delay=20,
            drift_after=300,
            drift_string_rate=0.3,
            missing_rate=0.02,
            ground_truth=truth_file,
        ),
        boto3_kwargs=profile.boto3_kwargs(),
    )
    assert summary.error is None and summary.failed == 0
    batches: list[Any] = []
    config = IngestConfig(stream=stream, available_now=True, max_records_per_trigger=200)
    run_ingest(spark, profile, config, progress=batches.append)
    return Ingested(
        profile,
        stream,
        read_ground_truth(truth_file),
        summary,
        bronze_table(profile, stream),
        batches,
    )


def _expected_ids(truth: list[dict[str, Any]]) -> Counter[str]:
    return Counter({t["record_id"]: 1 + t["duplicates"] for t in truth})


def test_bronze_holds_exactly_the_valid_records(heart: Ingested) -> None:
    ids = heart.bronze.column("record_id").to_pylist()
    assert Counter(ids) == _expected_ids(heart.truth)
    assert len(set(ids)) == heart.summary.valid == len(heart.truth)
    assert heart.bronze.num_rows == heart.summary.valid + heart.summary.duplicates


def test_bronze_rows_carry_ingestion_metadata(heart: Ingested) -> None:
    rows = heart.bronze.select(
        ["record_id", "_stream", "_shard_id", "_sequence_number", "_arrival_time", "_batch_id"]
    ).to_pylist()
    first_seen = {t["record_id"]: (t["shard_id"], t["sequence_number"]) for t in heart.truth}
    assert {r["_stream"] for r in rows} == {heart.stream}
    assert {r["_batch_id"] for r in rows} == {m.batch_id for m in heart.batches}
    keys = {(r["_shard_id"], r["_sequence_number"]) for r in rows}
    assert len(keys) == len(rows)  # every Kinesis record once
    assert set(first_seen.values()) <= keys
    assert all(r["_arrival_time"] is not None for r in rows)


def test_typed_columns_follow_the_data(heart: Ingested) -> None:
    schema = heart.bronze.schema
    assert schema.field("age").type == pa.int64()
    assert schema.field("st_depression").type == pa.float64()
    assert schema.field("sex").type == pa.string()
    assert pa.types.is_timestamp(schema.field("event_time").type)
    assert schema.field("event_date").type == pa.date32()


def test_the_raw_zone_lists_each_valid_record_once_in_its_event_hour(heart: Ingested) -> None:
    objects = list_objects(heart.profile, f"raw/{heart.stream}")
    assert objects and all(name.endswith(".json.gz") for name in objects)
    seen: Counter[str] = Counter()
    for name, payload in objects.items():
        hour_dir = name.rsplit("/", 1)[0]
        for line in gzip.decompress(payload).splitlines():
            record = json.loads(line)
            seen[record["record_id"]] += 1
            moment = _iso(record["event_time"])
            assert hour_dir == f"year={moment:%Y}/month={moment:%m}/day={moment:%d}/hour={moment:%H}"
    assert seen == _expected_ids(heart.truth)


def test_malformed_records_land_in_the_error_prefix_with_bytes_and_reason(heart: Ingested) -> None:
    objects = list_objects(heart.profile, f"raw/_errors/{heart.stream}")
    errors = [json.loads(line) for payload in objects.values() for line in gzip.decompress(payload).splitlines()]
    assert len(errors) == heart.summary.malformed > 0
    for error in errors:
        assert error["errorCode"] in ERROR_TYPES and error["errorMessage"]
        raw = base64.b64decode(error["rawData"])
        with pytest.raises(ValueError):
            json.loads(raw)
    assert sum(m.error_records for m in heart.batches) == heart.summary.malformed


def test_drift_adds_the_new_field_and_rescues_string_values(heart: Ingested) -> None:
    rows = {
        r["record_id"]: r for r in heart.bronze.select(["record_id", "spo2", "cholesterol", "_rescued"]).to_pylist()
    }
    drifted = [t for t in heart.truth if t["drift_field"]]
    strings = [t for t in heart.truth if t["drift_string"] == "cholesterol"]
    assert drifted and strings
    assert all(rows[t["record_id"]]["spo2"] == t["record"]["spo2"] for t in drifted)
    assert all(rows[t["record_id"]]["spo2"] is None for t in heart.truth if not t["drift_field"])
    for t in strings:
        row = rows[t["record_id"]]
        assert row["cholesterol"] is None
        assert json.loads(row["_rescued"]) == {"cholesterol": t["record"]["cholesterol"]}
    rescued = [r for r in rows.values() if r["_rescued"] is not None]
    assert len(rescued) == len(strings)
    assert any(m.new_columns == "spo2" for m in heart.batches)


def test_late_events_land_in_their_event_time_partition(heart: Ingested) -> None:
    late = {t["record_id"]: _iso(t["event_time"]) for t in heart.truth if t["late"]}
    assert late
    rows = heart.bronze.select(["record_id", "event_date", "event_time", "_arrival_time"]).to_pylist()
    for row in rows:
        if row["record_id"] in late:
            assert row["event_date"] == late[row["record_id"]].date()
            assert row["event_time"] == late[row["record_id"]]
    assert len({late[r].date() for r in late}) > 1  # late events span several days


def test_metrics_record_every_batch(heart: Ingested) -> None:
    rows = MetricsTable(heart.profile, "_meta/ingest_metrics", "").read()
    mine = sorted((r for r in rows if r["stream"] == heart.stream), key=lambda r: r["batch_id"])
    assert [r["batch_id"] for r in mine] == [m.batch_id for m in heart.batches]
    assert sum(r["records_in"] for r in mine) == heart.summary.sent
    assert sum(r["error_records"] for r in mine) == heart.summary.malformed
    assert sum(r["valid_records"] for r in mine) == heart.bronze.num_rows
    assert all(r["records_in"] <= 200 and r["duration_ms"] > 0 for r in mine)
    assert all(r["millis_behind_latest"] is not None and r["shards"] >= 1 for r in mine)


def test_a_replayed_batch_changes_nothing(
    spark: Any,
    moto_lake: StorageProfile,
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
) -> None:
    from pyspark.sql.streaming.datasource import ReadAllAvailable

    from lake.stream.kinesis import KinesisOptions, KinesisStreamReader, kinesis_options

    stream = kinesis_stream(2)
    event = {"event_time": "2026-03-01T12:00:00Z"}
    records = [(f"k{i}", json.dumps({"id": i, **event}).encode()) for i in range(40)]
    kinesis_put(stream, [*records, ("k", b"oops")])
    options = kinesis_options(moto_lake.boto3_kwargs(), stream)
    reader = KinesisStreamReader(KinesisOptions.from_options(options))
    start = reader.initialOffset()
    end = reader.latestOffset(start, ReadAllAvailable())
    batches = [b for part in reader.partitions(start, end) for b in reader.read(part)]
    df = spark.createDataFrame(pa.Table.from_batches(batches))

    processor = BatchProcessor(spark, moto_lake, IngestConfig(stream=stream))
    processor.bind("query-1")
    processor(df, 0)
    raw_before = list_objects(moto_lake, "raw")
    processor(df, 0)  # the replay after a crash
    fresh = BatchProcessor(spark, moto_lake, IngestConfig(stream=stream))  # a restarted driver
    fresh.bind("query-1")
    fresh(df, 0)
    assert list_objects(moto_lake, "raw") == raw_before
    assert bronze_table(moto_lake, stream).num_rows == 40
    history = DeltaTableStore(spark, moto_lake).history(f"bronze/{stream}")
    assert [h.get("lakeforge.ingest.batchId") for h in history if h["operation"] != "SET TBLPROPERTIES"] == [0]
    metrics = MetricsTable(moto_lake, "_meta/ingest_metrics", "").read()
    assert [(r["batch_id"], r["records_in"], r["error_records"]) for r in metrics] == [(0, 41, 1)]
