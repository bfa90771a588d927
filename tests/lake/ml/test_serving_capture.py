"""Data capture: sampling, buffering off the request path, failures that never fail requests, Delta in the lake."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import boto3
import pytest
from pyspark.ml import Pipeline
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression

from lake.delta.arrow_read import read_arrow
from lake.ml.export import export_onnx
from lake.ml.serving import CaptureRecord, DataCapture, DeltaCaptureSink, EndpointServer, ModelHolder, ModelPackage


class MemorySink:
    def __init__(self) -> None:
        self.batches: list[list[CaptureRecord]] = []
        self.failing = False
        self.written = threading.Event()

    def write(self, records: Sequence[CaptureRecord]) -> None:
        if self.failing:
            raise OSError("lake unreachable")
        self.batches.append(list(records))
        self.written.set()

    @property
    def records(self) -> list[CaptureRecord]:
        return [r for batch in self.batches for r in batch]


def _offer(capture: DataCapture, i: int) -> bool:
    return capture.offer(model_name="heart", model_version=1, input_content_type="application/json",
                         input_data=b'{"a": 1}', output_data='{"predictions": [1.0]}', records=1,
                         inference_id=f"id-{i}")


def test_a_seeded_fraction_is_sampled() -> None:
    sink = MemorySink()
    capture = DataCapture(sink, endpoint="e", fraction=0.1, seed=7, flush_records=10_000)
    sampled = sum(_offer(capture, i) for i in range(2000))
    draws = random.Random(7)
    expected = sum(draws.random() < 0.1 for _ in range(2000))
    assert sampled == expected == capture.buffered
    capture.close()
    assert len(sink.records) == expected and capture.written == expected and capture.buffered == 0


def test_flushes_off_the_request_path_when_enough_records_wait() -> None:
    sink = MemorySink()
    capture = DataCapture(sink, endpoint="e", fraction=1.0, flush_seconds=3600, flush_records=5)
    capture.start()
    try:
        for i in range(5):
            assert _offer(capture, i)
        assert sink.written.wait(30)  # the background thread flushed: no offer() call wrote anything itself
        assert [r.inference_id for r in sink.records] == [f"id-{i}" for i in range(5)]
    finally:
        capture.close()


def test_sink_failures_are_counted_kept_and_retried() -> None:
    sink = MemorySink()
    sink.failing = True
    capture = DataCapture(sink, endpoint="e", fraction=1.0, max_buffer=4)
    for i in range(3):
        assert _offer(capture, i)
    assert capture.flush() == 0 and capture.failed_flushes == 1 and capture.buffered == 3
    for i in range(3, 6):
        _offer(capture, i)
    assert capture.dropped == 2 and capture.buffered == 4  # bounded: the oldest go first
    sink.failing = False
    assert capture.flush() == 4
    assert [r.inference_id for r in sink.records] == ["id-2", "id-3", "id-4", "id-5"]
    assert "lake unreachable" in (capture.last_error or "")


def _record(i: int, when: datetime) -> CaptureRecord:
    return CaptureRecord(event_time=when, inference_id=f"id-{i}", endpoint="heart", model_name="heart",
                         model_version="3", input_content_type="text/csv", input_data=f"{i},1",
                         output_content_type="application/json", output_data='{"predictions":[0.0]}', records=1)


@pytest.mark.moto
def test_delta_sink_appends_to_the_lake(lake) -> None:  # type: ignore[no-untyped-def]
    sink = DeltaCaptureSink.for_profile(lake, "heart")
    assert sink.table_uri == lake.resolve("ml/capture/heart")
    sink.write([_record(i, datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) for i in range(2)])
    sink.write([_record(i, datetime(2026, 12, 1, 0, 1, tzinfo=UTC)) for i in range(2, 5)])
    rows = read_arrow(sink.table_uri, lake).to_pylist()
    assert sorted(r["inference_id"] for r in rows) == [f"id-{i}" for i in range(5)]
    assert {str(r["event_date"]) for r in rows} == {"2026-11-30", "2026-12-01"}
    assert {r["model_version"] for r in rows} == {"3"}


@pytest.mark.moto
def test_endpoint_captures_to_moto_lake_and_survives_a_failing_sink(spark, ml_frame, moto_lake) -> None:  # type: ignore[no-untyped-def]
    df = ml_frame.select("bp", "noise", "cost")
    model = Pipeline(stages=[VectorAssembler(inputCols=["bp", "noise"], outputCol="features"),
                             LinearRegression(labelCol="cost")]).fit(df)
    export = export_onnx(model, spark, df)
    sink = DeltaCaptureSink.for_profile(moto_lake, "cost")
    broken = DeltaCaptureSink("s3://no-such-bucket-here/capture", sink.storage_options)
    capture = DataCapture(broken, endpoint="cost", fraction=1.0, flush_seconds=0.2)
    holder = ModelHolder("cost", lambda: ModelPackage(2, export.model_bytes, export.signature), poll_seconds=0)
    with EndpointServer(holder, port=0, capture=capture) as server:
        client = boto3.client("sagemaker-runtime", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="dummy", aws_secret_access_key="dummy")
        for i in range(4):
            body = json.dumps({"bp": 120 + i, "noise": 0.5})
            response = client.invoke_endpoint(EndpointName="cost", ContentType="application/json", Body=body,
                                              InferenceId=f"inv-{i}")
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        deadline = time.monotonic() + 60
        while capture.failed_flushes == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.failed_flushes >= 1 and capture.sampled == 4 and capture.written == 0  # requests were fine
        capture.sink = sink  # the lake comes back
    rows = read_arrow(sink.table_uri, moto_lake).to_pylist()  # the final flush at stop wrote them
    assert sorted(r["inference_id"] for r in rows) == [f"inv-{i}" for i in range(4)]
    assert {(r["endpoint"], r["model_version"], r["input_content_type"]) for r in rows} == {
        ("cost", "2", "application/json")}
    assert json.loads(rows[0]["output_data"])["version"] == 2
