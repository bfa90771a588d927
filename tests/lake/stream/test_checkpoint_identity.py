"""A checkpoint never silently skips records: stream identity, shard ranges, retention loss.

The reader-level tests play Spark's part against real moto servers over HTTP. Retention
expiry is produced for real on a moto server of our own (a child process, like the session
server) whose stdin takes ``expire <stream> <shard> <n>``: it deletes the shard's ``n`` oldest
records in the server's backend, which is what Kinesis retention does. The end-to-end tests
run ``lake ingest`` in-process (typer's CliRunner, the session SparkSession) on a local lake.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyspark.sql.streaming.datasource import ReadAllAvailable, ReadMaxRows

from lake.stream.ingest import BatchMetrics, MetricsTable, parse_records
from lake.stream.kinesis import (
    SOURCE_ARROW_SCHEMA,
    CheckpointMismatchError,
    KinesisDataLossError,
    KinesisOptions,
    KinesisPartition,
    KinesisStreamReader,
)
from lake.stream.kinesis.fetch import fetch_shard

pytestmark = pytest.mark.moto

SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"

_EXPIRING_MOTO = """
import logging, sys
from moto.server import ThreadedMotoServer
from moto.kinesis.models import kinesis_backends
from infra.services.moto_fidelity import patch_moto_performance, patch_moto_resharding
patch_moto_resharding()
patch_moto_performance()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
for line in sys.stdin:  # expire <stream> <shard> <n>: drop the n oldest records, as retention does
    _, stream, shard, count = line.split()
    records = kinesis_backends["123456789012"]["us-east-1"].streams[stream].shards[shard].records
    for key in list(records)[: int(count)]:
        del records[key]
    print("ok", flush=True)
server.stop()
"""


@dataclass
class ExpiringMoto:
    """A moto server whose shards can lose their oldest records on request."""

    endpoint: str
    process: subprocess.Popen[str]

    def expire(self, stream: str, shard: str, count: int) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"expire {stream} {shard} {count}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def boto3_kwargs(self) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint, "region_name": "us-east-1",
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
        }


@pytest.fixture(scope="module")
def expiring_moto() -> Iterator[ExpiringMoto]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _EXPIRING_MOTO],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    endpoint = proc.stdout.readline().strip()
    assert endpoint.startswith("http://"), f"moto server did not start: {endpoint!r}"
    yield ExpiringMoto(endpoint, proc)
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def expiring_client(expiring_moto: ExpiringMoto) -> Any:
    import boto3

    return boto3.client("kinesis", **expiring_moto.boto3_kwargs())


def _reader(options: dict[str, str]) -> KinesisStreamReader:
    return KinesisStreamReader(KinesisOptions.from_options(options))


def _rows(reader: KinesisStreamReader, start: dict[str, Any], end: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for part in reader.partitions(start, end) for b in reader.read(part) for row in b.to_pylist()]


def _payloads(first: int, count: int) -> list[tuple[str, bytes]]:
    return [(f"k{i % 5}", json.dumps({"id": i}).encode()) for i in range(first, first + count)]


def _options(kwargs: dict[str, str], stream: str, **extra: Any) -> dict[str, str]:
    from lake.stream.kinesis import kinesis_options

    return kinesis_options(kwargs, stream, checkpoint_location="/lake/_checkpoints/ingest-x", **extra)


def _session_kwargs(endpoint: str) -> dict[str, str]:
    return {
        "endpoint_url": endpoint, "region_name": "us-east-1",
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
    }


# ------------------------------------------------------------------ identity and shard ranges
def test_offsets_carry_the_stream_arn_creation_time_and_shards(
    kinesis_stream: Callable[..., str], kinesis_client: Any, moto_endpoint: str
) -> None:
    stream = kinesis_stream(2)
    summary = kinesis_client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    offset = _reader(_options(_session_kwargs(moto_endpoint), stream)).initialOffset()
    assert offset["stream"]["arn"] == summary["StreamARN"]
    created = datetime.fromisoformat(offset["stream"]["created"].replace("Z", "+00:00"))
    assert round(created.timestamp() * 1000) == round(summary["StreamCreationTimestamp"].timestamp() * 1000)
    assert offset["shards"] == {SHARD0: "TRIM_HORIZON", SHARD1: "TRIM_HORIZON"}


def test_a_recreated_stream_is_a_checkpoint_mismatch_naming_both_creation_times(
    kinesis_stream: Callable[..., str],
    kinesis_client: Any,
    kinesis_put: Callable[..., Any],
    moto_endpoint: str,
) -> None:
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(0, 40))
    reader = _reader(_options(_session_kwargs(moto_endpoint), stream))
    start = reader.initialOffset()
    end = reader.latestOffset(start, ReadAllAvailable())
    kinesis_client.delete_stream(StreamName=stream)
    kinesis_client.create_stream(StreamName=stream, ShardCount=2)
    kinesis_put(stream, _payloads(100, 400))  # more records than the old checkpoint's positions
    with pytest.raises(CheckpointMismatchError) as caught:
        reader.latestOffset(end, ReadAllAvailable())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"checkpoint /lake/_checkpoints/ingest-x does not match kinesis stream {stream!r}")
    assert f"created {end['stream']['created']}, the live stream was created " in message
    assert "--reset-checkpoint trim_horizon|latest" in message
    with pytest.raises(CheckpointMismatchError):  # a replayed batch of the old stream, too
        _reader(_options(_session_kwargs(moto_endpoint), stream)).partitions(start, end)


def test_an_old_checkpoint_past_the_shards_end_is_a_mismatch_not_zero_batches(
    kinesis_stream: Callable[..., str], kinesis_put: Callable[..., Any], moto_endpoint: str
) -> None:
    # The checkpoint: written before identities were recorded, for a stream since recreated.
    stream = kinesis_stream(2)
    kinesis_put(stream, _payloads(0, 200))
    reader = _reader(_options(_session_kwargs(moto_endpoint), stream))
    past_end = rf"shard {SHARD0}: the checkpoint's position 3870 is past the shard's end"
    with pytest.raises(CheckpointMismatchError, match=past_end):
        reader.latestOffset({SHARD0: "3870", SHARD1: "4130"}, ReadAllAvailable())


def test_a_checkpointed_shard_missing_from_the_stream_is_a_mismatch(
    kinesis_stream: Callable[..., str], moto_endpoint: str
) -> None:
    stream = kinesis_stream(1)
    reader = _reader(_options(_session_kwargs(moto_endpoint), stream))
    start = reader.initialOffset()
    start["shards"]["shardId-000000000007"] = "12"
    missing = r"shard shardId-000000000007 \(checkpoint position 12\) is not in the stream and was not read to its end"
    with pytest.raises(CheckpointMismatchError, match=missing):
        reader.latestOffset(start, ReadAllAvailable())


def test_a_closed_shard_cannot_hold_a_position_past_its_ending_sequence(
    kinesis_stream: Callable[..., str], kinesis_client: Any, kinesis_put: Callable[..., Any], moto_endpoint: str
) -> None:
    stream = kinesis_stream(1)
    kinesis_put(stream, _payloads(0, 5))
    kinesis_client.update_shard_count(StreamName=stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    reader = _reader(_options(_session_kwargs(moto_endpoint), stream))
    start = reader.initialOffset()
    start["shards"][SHARD0] = "9"
    ends = rf"shard {SHARD0} ends at sequence 5, before the checkpoint's position 9"
    with pytest.raises(CheckpointMismatchError, match=ends):
        reader.latestOffset(start, ReadAllAvailable())


# ------------------------------------------------------------------------ retention loss
def _expired_setup(
    expiring_moto: ExpiringMoto, client: Any, stream: str, **options: Any
) -> tuple[KinesisStreamReader, dict[str, Any]]:
    """100 records, 30 read and checkpointed, then the 50 oldest expire: 31-50 were never read."""
    client.create_stream(StreamName=stream, ShardCount=1)
    _put(client, stream, _payloads(0, 100))
    first = _reader(_options(expiring_moto.boto3_kwargs(), stream, contiguous_sequence_numbers=True))
    start = first.initialOffset()
    checkpointed = first.latestOffset(start, ReadMaxRows(30))
    assert checkpointed["shards"] == {SHARD0: "30"}
    expiring_moto.expire(stream, SHARD0, 50)
    reader = _reader(_options(expiring_moto.boto3_kwargs(), stream, contiguous_sequence_numbers=True, **options))
    return reader, checkpointed


def test_records_that_expired_unread_fail_the_query_with_their_count(
    expiring_moto: ExpiringMoto, expiring_client: Any, unique_name: str
) -> None:
    reader, checkpointed = _expired_setup(expiring_moto, expiring_client, unique_name)
    with pytest.raises(KinesisDataLossError) as caught:
        reader.latestOffset(checkpointed, ReadAllAvailable())
    assert (caught.value.shard, caught.value.after, caught.value.first, caught.value.lost) == (SHARD0, "30", "51", 20)
    said = "20 records after 30 expired from the stream before they were read (the shard now starts at 51)"
    assert said in str(caught.value)
    assert "--allow-data-loss" in str(caught.value)


def test_with_data_loss_allowed_the_batch_reports_the_count_and_reads_on(
    expiring_moto: ExpiringMoto, expiring_client: Any, unique_name: str
) -> None:
    reader, checkpointed = _expired_setup(expiring_moto, expiring_client, unique_name, fail_on_data_loss=False)
    end = reader.latestOffset(checkpointed, ReadAllAvailable())
    assert end["shards"] == {SHARD0: "100"}
    rows = _rows(reader, checkpointed, end)  # the driver's read-ahead, handed to the task
    kwargs = expiring_moto.boto3_kwargs()
    fresh = _options(kwargs, unique_name, contiguous_sequence_numbers=True, fail_on_data_loss=False)
    replayed = _rows(_reader(fresh), checkpointed, end)  # a restarted driver: the tasks re-read
    for batch in (rows, replayed):
        loss = [r for r in batch if r["data"] is None]
        assert [(r["shard_id"], r["sequence_number"], r["records_lost"]) for r in loss] == [(SHARD0, "30", 20)]
        assert [int(r["sequence_number"]) for r in batch if r["data"] is not None] == list(range(51, 101))
    parsed = parse_records(pa.Table.from_pylist(rows, schema=SOURCE_ARROW_SCHEMA))
    assert (parsed.records_in, parsed.records_lost, parsed.uncounted_loss_gaps) == (50, 20, 0)


def test_a_replayed_batch_whose_records_expired_since_is_loss_too(
    expiring_moto: ExpiringMoto, expiring_client: Any, unique_name: str
) -> None:
    stream = unique_name
    expiring_client.create_stream(StreamName=stream, ShardCount=1)
    _put(expiring_client, stream, _payloads(0, 100))
    expiring_moto.expire(stream, SHARD0, 50)  # the batch (30, 80] was planned; 31-50 are gone now
    strict = _reader(_options(expiring_moto.boto3_kwargs(), stream, contiguous_sequence_numbers=True))
    with pytest.raises(KinesisDataLossError, match="20 records after 30 expired"):
        list(strict.read(KinesisPartition(SHARD0, "30", "80")))
    lenient = _reader(
        _options(expiring_moto.boto3_kwargs(), stream, contiguous_sequence_numbers=True, fail_on_data_loss=False)
    )
    rows = [r for b in lenient.read(KinesisPartition(SHARD0, "30", "80")) for r in b.to_pylist()]
    assert [(r["sequence_number"], r["records_lost"]) for r in rows if r["data"] is None] == [("30", 20)]
    assert [int(r["sequence_number"]) for r in rows if r["data"] is not None] == list(range(51, 81))
    rows = [r for b in lenient.read(KinesisPartition(SHARD0, "10", "40")) for r in b.to_pylist()]
    assert [(r["sequence_number"], r["records_lost"]) for r in rows] == [("10", 30)]  # all of it


def _aws_sequence(n: int) -> str:
    return f"4965{n:052d}"  # 56 digits, like Kinesis


class _AwsLikeShard:
    """A shard with AWS-style sequence numbers (not contiguous) whose position expired.

    AWS refuses ``AT_SEQUENCE_NUMBER`` for a trimmed sequence number with
    ``InvalidArgumentException``; its records start at a much larger number.
    """

    stream = "aws-like"

    def __init__(self) -> None:
        self.sequences = [_aws_sequence(200), _aws_sequence(233)]

    def shard_iterator(self, shard: str, **position: Any) -> str:
        from lake.stream.kinesis import KinesisServiceError

        kind, sequence = position["ShardIteratorType"], position.get("StartingSequenceNumber")
        if kind == "TRIM_HORIZON":
            return "0"
        if sequence not in self.sequences:
            raise KinesisServiceError(self.stream, "GetShardIterator", "InvalidArgumentException", "expired", shard)
        return str(self.sequences.index(sequence) + (kind == "AFTER_SEQUENCE_NUMBER"))

    def get_records(self, shard: str, iterator: str, limit: int) -> dict[str, Any]:
        at = int(iterator)
        chunk = self.sequences[at : at + limit]
        records = [
            {"SequenceNumber": s, "Data": b"{}", "PartitionKey": "k", "ApproximateArrivalTimestamp": 1.8e9}
            for s in chunk
        ]
        return {"Records": records, "NextShardIterator": str(at + len(chunk)), "MillisBehindLatest": 0}


def test_on_aws_a_gap_is_reported_with_an_unknown_count() -> None:
    old = _aws_sequence(100)
    got = fetch_shard(_AwsLikeShard(), SHARD0, old, contiguous=False)  # type: ignore[arg-type]
    assert got.gap is not None and (got.gap.after, got.gap.first, got.gap.lost) == (old, _aws_sequence(200), None)
    assert [row[3] for row in got.rows] == [_aws_sequence(200), _aws_sequence(233)]
    error = KinesisDataLossError("s", SHARD0, got.gap.after, got.gap.first, got.gap.lost)
    assert "an unknown number of records (Kinesis sequence numbers are not contiguous)" in str(error)


# ------------------------------------------------------------------------------ metrics
def test_the_metrics_table_gains_the_loss_columns_by_schema_evolution(local_lake: Any) -> None:
    from datetime import UTC, datetime

    from deltalake import DeltaTable, write_deltalake

    from lake.stream.ingest import METRICS_SCHEMA

    old_schema = pa.schema([f for f in METRICS_SCHEMA if f.name not in ("records_lost", "uncounted_loss_gaps")])
    old_row = {f.name: None for f in old_schema} | {"job": "j", "stream": "s", "batch_id": 0}
    uri = local_lake.resolve("_meta/ingest_metrics")
    write_deltalake(uri, pa.Table.from_pylist([old_row], schema=old_schema))
    table = MetricsTable(local_lake, "_meta/ingest_metrics", "app")
    now = datetime.now(UTC)
    assert table.append(BatchMetrics("j", "s", "q", 1, now, records_in=5, records_lost=20, uncounted_loss_gaps=1))
    rows = sorted(DeltaTable(uri).to_pyarrow_table().to_pylist(), key=lambda r: r["batch_id"])
    assert [(r["batch_id"], r["records_lost"], r["uncounted_loss_gaps"]) for r in rows] == [(0, None, None), (1, 20, 1)]


# -------------------------------------------------------------- end to end through `lake ingest`
def _cli(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    from typer.testing import CliRunner

    from infra.cli.main import app

    result = CliRunner().invoke(app, ["ingest", *args], env=env)
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def _local_env(tmp_path: Path, services: str) -> dict[str, str]:
    return {
        "LAKEFORGE_PROFILE": "local",
        "LAKEFORGE_LAKE": str(tmp_path / "lake"),
        "LAKEFORGE_PROFILES__LOCAL__ENDPOINT_URL": services,
        "LAKEFORGE_HOME": str(tmp_path / "home"),  # this test's own embedded catalog
    }


def _bronze_ids(lake: Path, stream: str) -> list[int]:
    from deltalake import DeltaTable

    return sorted(DeltaTable(str(lake / "bronze" / stream)).to_pyarrow_table(columns=["id"]).column("id").to_pylist())


def _put(client: Any, stream: str, records: list[tuple[str, bytes]]) -> None:
    for start in range(0, len(records), 500):
        chunk = records[start : start + 500]
        client.put_records(StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk])


@pytest.mark.slow
def test_a_recreated_stream_stops_ingest_until_the_checkpoint_is_reset(
    spark: Any, tmp_path: Path, moto_endpoint: str, kinesis_client: Any, kinesis_stream: Callable[..., str]
) -> None:
    stream = kinesis_stream(2)
    env = _local_env(tmp_path, moto_endpoint)
    lake = tmp_path / "lake"
    checkpoint = lake / "_checkpoints" / f"ingest-{stream}"
    _put(kinesis_client, stream, _payloads(0, 300))
    code, out = _cli(env, "--stream", stream, "--available-now")
    assert code == 0, out
    assert out[-1].startswith(f"ingest {stream}: read 1 batches, 300 records, 0 lost")

    # `lake down` / `lake up` + `lake simulate`: the same name, a new stream, new records.
    kinesis_client.delete_stream(StreamName=stream)
    kinesis_client.create_stream(StreamName=stream, ShardCount=2)
    _put(kinesis_client, stream, _payloads(1000, 200))
    code, out = _cli(env, "--stream", stream, "--available-now")
    assert code == 1, out
    assert out[-2].startswith(f"ingest {stream}: read 0 batches, 0 records, 0 lost")
    assert out[-1].startswith(
        f"error: ingest job ingest-{stream} failed: CheckpointMismatchError: checkpoint {checkpoint} "
        f"does not match kinesis stream '{stream}': the stream was deleted and created again"
    )
    assert "the live stream was created" in out[-1] and "--reset-checkpoint" in out[-1]
    assert _bronze_ids(lake, stream) == list(range(300))

    # The way out: a new checkpoint from TRIM_HORIZON; the old one is kept aside.
    code, out = _cli(env, "--stream", stream, "--available-now", "--reset-checkpoint", "trim_horizon")
    assert code == 0, out
    moved = [p for p in checkpoint.parent.iterdir() if p.name.startswith(f"ingest-{stream}.reset-")]
    assert len(moved) == 1 and (moved[0] / "offsets" / "0").is_file()
    assert any(f"the old one was moved aside to {moved[0]}" in line for line in out)
    assert out[-1].startswith(f"ingest {stream}: read 1 batches, 200 records, 0 lost")
    # The new checkpoint's batch ids restart at 0 under a new bronze app id: nothing skipped.
    assert _bronze_ids(lake, stream) == list(range(300)) + list(range(1000, 1200))

    # --reset-checkpoint latest: only records put after the new start are read.
    _put(kinesis_client, stream, _payloads(2000, 50))
    code, out = _cli(env, "--stream", stream, "--available-now", "--reset-checkpoint", "latest")
    assert code == 0, out
    assert out[-1].startswith(f"ingest {stream}: read 0 batches, 0 records, 0 lost")
    _put(kinesis_client, stream, _payloads(3000, 30))
    code, out = _cli(env, "--stream", stream, "--available-now")
    assert code == 0, out
    assert _bronze_ids(lake, stream) == list(range(300)) + list(range(1000, 1200)) + list(range(3000, 3030))
    assert len([p for p in checkpoint.parent.iterdir() if ".reset-" in p.name]) == 2


@pytest.mark.slow
def test_records_lost_to_retention_stop_ingest_and_are_counted_when_allowed(
    spark: Any, tmp_path: Path, expiring_moto: ExpiringMoto, expiring_client: Any, unique_name: str
) -> None:
    from deltalake import DeltaTable

    stream = unique_name
    env = _local_env(tmp_path, expiring_moto.endpoint)
    lake = tmp_path / "lake"
    expiring_client.create_stream(StreamName=stream, ShardCount=1)
    _put(expiring_client, stream, _payloads(0, 100))
    code, out = _cli(env, "--stream", stream, "--available-now")
    assert code == 0, out
    _put(expiring_client, stream, _payloads(100, 100))
    expiring_moto.expire(stream, SHARD0, 150)  # sequence numbers 101-150 expired unread

    code, out = _cli(env, "--stream", stream, "--available-now")
    assert code == 1, out
    assert "KinesisDataLossError" in out[-1] and "50 records after 100 expired" in out[-1]
    assert "--allow-data-loss" in out[-1]
    assert _bronze_ids(lake, stream) == list(range(100))

    code, out = _cli(env, "--stream", stream, "--available-now", "--allow-data-loss")
    assert code == 0, out
    assert any("(50 valid, 50 lost to retention)" in line for line in out)  # the progress line
    assert out[-1].startswith(f"ingest {stream}: read 1 batches, 50 records, 50 lost")
    assert _bronze_ids(lake, stream) == list(range(100)) + list(range(150, 200))
    metrics = DeltaTable(str(lake / "_meta" / "ingest_metrics")).to_pyarrow_table().to_pylist()
    mine = sorted((r["records_in"], r["records_lost"]) for r in metrics if r["stream"] == stream)
    assert mine == [(50, 50), (100, 0)]


def test_a_reset_moves_an_s3_checkpoint_aside_object_by_object(moto_lake: Any) -> None:
    from datetime import UTC, datetime

    from lake.stream.ingest import move_checkpoint_aside

    fs = moto_lake.filesystem()
    base = moto_lake.fs_path(moto_lake.resolve("_checkpoints/ingest-s"))
    files = {"metadata": b'{"id":"q"}', "offsets/0": b"v1\n{}\n{}", "commits/0": b"v1\n{}"}
    for name, payload in files.items():
        with fs.open_output_stream(f"{base}/{name}") as out:
            out.write(payload)
    moved = move_checkpoint_aside(moto_lake, "_checkpoints/ingest-s", now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert moved == moto_lake.resolve("_checkpoints/ingest-s") + ".reset-20261201T093000Z"
    target = moto_lake.fs_path(moved)
    for name, payload in files.items():
        with fs.open_input_stream(f"{target}/{name}") as got:
            assert got.read() == payload
    assert move_checkpoint_aside(moto_lake, "_checkpoints/ingest-s") is None  # nothing left to move
