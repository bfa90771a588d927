"""``spark.readStream.format("kinesis")`` in Structured Streaming queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lake.stream.kinesis import register_kinesis_source

pytestmark = [pytest.mark.moto, pytest.mark.slow]


def _run(spark: Any, options: dict[str, str], checkpoint: Path) -> list[tuple[int, list[Any]]]:
    batches: list[tuple[int, list[Any]]] = []

    def collect(df: Any, batch_id: int) -> None:
        batches.append((batch_id, df.collect()))

    register_kinesis_source(spark)
    query = (
        spark.readStream.format("kinesis")
        .options(**options)
        .load()
        .writeStream.foreachBatch(collect)
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(300)
    assert not query.isActive
    return batches


def test_available_now_reads_everything_in_limited_batches_and_resumes(
    spark: Any,
    tmp_path: Path,
    kinesis_stream: Callable[..., str],
    kinesis_put: Callable[..., Any],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, [(f"k{i % 7}", json.dumps({"i": i}).encode()) for i in range(90)])
    options = kinesis_options_for(stream, max_records_per_trigger=40)
    first = _run(spark, options, tmp_path / "ck")
    assert [len(rows) for _, rows in first] == [40, 40, 10]
    got = sorted(json.loads(r["data"])["i"] for _, rows in first for r in rows)
    assert got == list(range(90))
    schema = spark.readStream.format("kinesis").options(**options).load().schema
    assert [f.name for f in schema] == [
        "data",
        "stream",
        "shard_id",
        "sequence_number",
        "partition_key",
        "approximate_arrival_timestamp",
        "millis_behind_latest",
        "records_lost",
    ]
    # The checkpoint's offsets are {shardId: last sequence number} plus the stream's identity.
    offsets = sorted((tmp_path / "ck" / "offsets").glob("[0-9]*"), key=lambda p: int(p.name))
    last = json.loads(offsets[-1].read_text().splitlines()[-1])
    assert set(last["shards"]) == {"shardId-000000000000", "shardId-000000000001"}
    assert all(v.isdigit() for v in last["shards"].values())
    assert last["stream"]["arn"].endswith(f":stream/{stream}") and last["stream"]["created"]

    kinesis_put(stream, [("k", json.dumps({"i": i}).encode()) for i in range(90, 100)])
    second = _run(spark, options, tmp_path / "ck")
    assert sorted(json.loads(r["data"])["i"] for _, rows in second for r in rows) == list(range(90, 100))
    assert second[0][0] == first[-1][0] + 1


def test_a_missing_stream_fails_the_query_with_its_name(
    spark: Any, tmp_path: Path, kinesis_options_for: Callable[..., dict[str, str]], unique_name: str
) -> None:
    from pyspark.errors import StreamingQueryException

    register_kinesis_source(spark)
    query = (
        spark.readStream.format("kinesis")
        .options(**kinesis_options_for(f"{unique_name}-gone"))
        .load()
        .writeStream.foreachBatch(lambda df, i: None)
        .option("checkpointLocation", str(tmp_path / "ck"))
        .trigger(availableNow=True)
        .start()
    )
    with pytest.raises(StreamingQueryException, match=f"kinesis stream '{unique_name}-gone' not found"):
        query.awaitTermination(120)


def test_credentials_are_redacted_in_query_plans(spark: Any, moto_endpoint: str) -> None:
    import contextlib
    import io

    from lake.stream.kinesis import kinesis_options

    register_kinesis_source(spark)
    kwargs = {
        "endpoint_url": moto_endpoint,
        "aws_access_key_id": "AKIDPLAINLY",
        "aws_secret_access_key": "never-show-this-secret",
        "aws_session_token": "never-show-this-token",
    }
    df = spark.readStream.format("kinesis").options(**kinesis_options(kwargs, "s")).load()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        df.explain(True)
    assert "kinesis" in out.getvalue() and "redacted" in out.getvalue()
    assert "never-show-this" not in out.getvalue()
