"""Fixtures shared by the streaming tests (simulator, Kinesis source, ingest).

Helpers append fixtures here; simulator-only fixtures are prefixed ``sim_``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="session")
def kinesis_client(moto_endpoint: str) -> Any:
    """A boto3 Kinesis client on the session moto server (botocore retries off)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "kinesis",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def sim_read_stream(kinesis_client: Any) -> Callable[[str], list[dict[str, Any]]]:
    """Read every record of a stream from TRIM_HORIZON: dicts of shard_id, sequence, data."""

    def read(stream: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        shards = kinesis_client.list_shards(StreamName=stream)["Shards"]
        for shard in shards:
            iterator = kinesis_client.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = kinesis_client.get_records(ShardIterator=iterator, Limit=10000)
                out.extend(
                    {
                        "shard_id": shard["ShardId"],
                        "sequence_number": r["SequenceNumber"],
                        "partition_key": r["PartitionKey"],
                        "data": r["Data"],
                    }
                    for r in page["Records"]
                )
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
        return out

    return read


# --------------------------------------------------------------- Kinesis source / ingest
@pytest.fixture
def kinesis_stream(kinesis_client: Any, unique_name: str) -> Callable[..., str]:
    """Create a uniquely named stream with ``shards`` shards; returns its name."""
    created: list[tuple[Any, str]] = []

    def make(shards: int = 2, name: str | None = None, client: Any = None) -> str:
        client = client or kinesis_client
        stream = name or f"{unique_name}-{len(created)}"
        client.create_stream(StreamName=stream, ShardCount=shards)
        created.append((client, stream))
        return stream

    yield make  # type: ignore[misc]
    for client, stream in created:
        with contextlib.suppress(Exception):  # best-effort clean-up of the shared moto server
            client.delete_stream(StreamName=stream)


@pytest.fixture
def kinesis_put(kinesis_client: Any) -> Callable[..., list[dict[str, Any]]]:
    """Put raw ``(partition_key, data)`` records in order (≤ 500 per call); returns the entries."""

    def put(
        stream: str, records: list[tuple[str, bytes]], client: Any = None
    ) -> list[dict[str, Any]]:
        client = client or kinesis_client
        out: list[dict[str, Any]] = []
        for start in range(0, len(records), 500):
            chunk = records[start : start + 500]
            response = client.put_records(
                StreamName=stream,
                Records=[{"PartitionKey": key, "Data": data} for key, data in chunk],
            )
            assert response.get("FailedRecordCount", 0) == 0
            out.extend(response["Records"])
        return out

    return put


@pytest.fixture
def kinesis_options_for(moto_endpoint: str) -> Callable[..., dict[str, str]]:
    """``readStream`` options for a stream on the session moto server."""
    from lake.stream.kinesis import kinesis_options

    def options(stream: str, endpoint: str | None = None, **kwargs: Any) -> dict[str, str]:
        kw = {
            "endpoint_url": endpoint or moto_endpoint, "region_name": "us-east-1",
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
        }
        return kinesis_options(kw, stream, **kwargs)

    return options


_KINESIS_AWS_CHILD = """
import logging, sys
from moto.server import ThreadedMotoServer
from infra.services.moto_fidelity import patch_moto_resharding
patch_moto_resharding()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.fixture(scope="session")
def kinesis_aws_endpoint() -> Any:
    """A moto server whose resharding behaves like Kinesis (see ``moto_fidelity``).

    moto itself moves a split parent's records into its children, which no consumer can
    tell from new data; resharding tests run against this patched server instead.
    """
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", _KINESIS_AWS_CHILD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    endpoint = proc.stdout.readline().strip()
    assert endpoint.startswith("http://"), f"patched moto server did not start: {endpoint!r}"
    yield endpoint
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="session")
def kinesis_aws_client(kinesis_aws_endpoint: str) -> Any:
    """A boto3 Kinesis client on the Kinesis-like (resharding-patched) moto server."""
    import boto3

    return boto3.client(
        "kinesis", endpoint_url=kinesis_aws_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@pytest.fixture
def ingest_env(moto_endpoint: str, unique_name: str) -> dict[str, str]:
    """Environment for ``lake ingest`` subprocesses: moto profile on a fresh lake prefix."""
    import os

    env = dict(os.environ)
    env.update({
        "LAKEFORGE_PROFILE": "moto",
        "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint,
        "LAKEFORGE_LAKE": f"s3://lakeforge-tests/{unique_name}",
        "PYTHONUNBUFFERED": "1",
    })
    return env
