"""The ingest job as users run it: continuous mode through resharding, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lake.storage import LocalProfile, moto_profile
from lake.stream.ingest import IngestConfig, start_ingest, stop_gracefully

pytestmark = [pytest.mark.moto, pytest.mark.slow]

LAKE_CLI = str(Path(sys.executable).with_name("lake"))


def _records(start: int, count: int) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC).isoformat()
    return [
        (f"device-{i % 13}", json.dumps({"id": i, "event_time": now, "v": i * 0.5}).encode())
        for i in range(start, start + count)
    ]


def _bronze_ids(profile: Any, stream: str) -> list[int]:
    from deltalake import DeltaTable

    uri = profile.resolve(f"bronze/{stream}")
    if not DeltaTable.is_deltatable(uri):
        return []
    return DeltaTable(uri).to_pyarrow_table(columns=["id"]).column("id").to_pylist()


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_resharding_mid_stream_loses_and_duplicates_nothing(
    spark: Any,
    tmp_path: Path,
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_aws_client: Any,
    kinesis_aws_endpoint: str,
) -> None:
    client = kinesis_aws_client
    stream = kinesis_stream(2, client=client)
    profile = LocalProfile(tmp_path / "lake", services_endpoint=kinesis_aws_endpoint)
    kinesis_put(stream, _records(0, 300), client=client)
    config = IngestConfig(stream=stream, trigger_seconds=0.5, max_records_per_trigger=100)
    query, processor = start_ingest(spark, profile, config)
    try:
        _wait_for(lambda: processor.totals.valid_records >= 100, 240, "the first batches")
        client.update_shard_count(StreamName=stream, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
        kinesis_put(stream, _records(300, 200), client=client)
        client.update_shard_count(StreamName=stream, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
        kinesis_put(stream, _records(500, 100), client=client)
        _wait_for(lambda: len(_bronze_ids(profile, stream)) >= 600, 300, "all 600 records in bronze")
        time.sleep(2)  # a further trigger would reveal duplicates
    finally:
        stop_gracefully(query)
    assert query.exception() is None
    ids = _bronze_ids(profile, stream)
    assert sorted(ids) == list(range(600))
    shards = {r["_shard_id"] for r in _bronze_rows(profile, stream)}
    assert len(shards) > 2  # children were read


def _bronze_rows(profile: Any, stream: str) -> list[dict[str, Any]]:
    from deltalake import DeltaTable

    return DeltaTable(profile.resolve(f"bronze/{stream}")).to_pyarrow_table().to_pylist()


def test_available_now_through_spark_submit_stops_when_caught_up(
    moto_endpoint: str,
    ingest_env: dict[str, str],
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, [*_records(0, 250), ("bad", b"<xml/>")])
    cmd = [
        LAKE_CLI,
        "ingest",
        "--stream",
        stream,
        "--available-now",
        "--spark-submit",
        "--max-records-per-trigger",
        "100",
    ]
    proc = subprocess.run(cmd, env=ingest_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert f"ingest {stream}: read 3 batches, 251 records, 0 lost (250 valid, 1 errors, 0 rescued)" in proc.stdout
    profile = moto_profile(moto_endpoint, ingest_env["LAKEFORGE_LAKE"])
    from deltalake import DeltaTable

    bronze = DeltaTable(profile.resolve(f"bronze/{stream}"), storage_options=profile.storage_options())
    assert Counter(bronze.to_pyarrow_table(columns=["id"]).column("id").to_pylist()) == Counter(range(250))


def test_a_missing_stream_exits_non_zero_with_a_one_line_reason_before_spark(
    ingest_env: dict[str, str], unique_name: str
) -> None:
    from typer.testing import CliRunner

    from infra.cli.main import app

    env = {k: v for k, v in ingest_env.items() if k.startswith("LAKEFORGE_")}
    result = CliRunner().invoke(app, ["ingest", "--stream", f"{unique_name}-none", "--available-now"], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"error: kinesis stream '{unique_name}-none' not found (DescribeStreamSummary: Stream {unique_name}-none "
        "under account 123456789012 not found.)"
    ]
