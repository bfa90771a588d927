"""Exactly-once under crashes: ``lake ingest`` is SIGKILLed at several points and restarted.

Crash points: after a batch's raw files but before its bronze commit (fault hook), after
the bronze commit but before Spark commits the batch (fault hook), and at a random moment
while a batch is in flight (external SIGKILL of the whole process group). The final run
catches up with ``--available-now``; the lake must then hold every valid record exactly
once, in bronze and in the raw zone as a file-listing reader sees it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from lake.storage import moto_profile
from lake.stream.ingest import FAULT_ENV
from lake.stream.simulator import SimulatorConfig, read_ground_truth, simulate

pytestmark = [pytest.mark.moto, pytest.mark.slow]

LAKE_CLI = str(Path(sys.executable).with_name("lake"))


def _s3(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _batch_ids(s3: Any, bucket: str, prefix: str) -> set[int]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    names = [o["Key"].rsplit("/", 1)[-1] for page in pages for o in page.get("Contents", [])]
    return {int(n) for n in names if n.isdigit()}


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/raw/")
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _bronze_batches(profile: Any, stream: str) -> set[int]:
    from deltalake import DeltaTable

    dt = DeltaTable(profile.resolve(f"bronze/{stream}"), storage_options=profile.storage_options())
    return set(dt.to_pyarrow_table(columns=["_batch_id"]).column("_batch_id").to_pylist())


def _start(stream: str, env: dict[str, str], log: Path, fault: str | None = None) -> subprocess.Popen[bytes]:
    run_env = dict(env)
    if fault:
        run_env[FAULT_ENV] = fault
    cmd = [LAKE_CLI, "ingest", "--stream", stream, "--available-now", "--max-records-per-trigger", "100"]
    return subprocess.Popen(cmd, env=run_env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the CLI and its JVM (its own process group), like a machine crash."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(60)


def _wait(proc: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> int:
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise AssertionError(f"ingest did not finish in {timeout}s:\n{log.read_text()[-3000:]}") from None
    _kill_group(proc)  # the JVM of a self-killed driver
    return code


def test_sigkill_at_any_point_still_yields_exactly_once(
    moto_endpoint: str, ingest_env: dict[str, str], tmp_path: Path, unique_name: str
) -> None:
    lake = ingest_env["LAKEFORGE_LAKE"]
    bucket, prefix = lake[len("s3://") :].split("/", 1)
    profile = moto_profile(moto_endpoint, lake)
    stream = f"{unique_name}-eo"
    truth_file = tmp_path / "truth.ndjson"
    summary = simulate(
        SimulatorConfig(
            generator="iot",
            stream_name=stream,
            records=500,
            rate=0,
            shards=2,
            seed=5,
            malformed_rate=0.03,
            duplicate_rate=0.02,
            late_rate=0.05,
            ground_truth=truth_file,
        ),
        boto3_kwargs=profile.boto3_kwargs(),
    )
    assert summary.error is None and summary.failed == 0
    s3 = _s3(moto_endpoint)
    checkpoint = f"{prefix}/_checkpoints/ingest-{stream}"
    log = tmp_path / "ingest.log"

    # 1. Killed after writing batch 1's raw files, before its bronze commit.
    assert _wait(_start(stream, ingest_env, log, fault="raw:1"), log) == -signal.SIGKILL
    assert 1 in _batch_ids(s3, bucket, f"{checkpoint}/offsets/")
    assert 1 not in _batch_ids(s3, bucket, f"{checkpoint}/commits/")
    assert any(k.endswith(f"{stream}-000000000001.json.gz") for k in _keys(s3, bucket, prefix))
    assert _bronze_batches(profile, stream) == {0}

    # 2. Killed after batch 2's bronze commit, before Spark commits the batch.
    assert _wait(_start(stream, ingest_env, log, fault="bronze:2"), log) == -signal.SIGKILL
    assert 2 not in _batch_ids(s3, bucket, f"{checkpoint}/commits/")
    assert _bronze_batches(profile, stream) == {0, 1, 2}

    # 3. Killed from outside while a batch is in flight (offset logged, not committed).
    proc = _start(stream, ingest_env, log)
    deadline = time.monotonic() + 300
    in_flight: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        offsets = _batch_ids(s3, bucket, f"{checkpoint}/offsets/")
        in_flight = {b for b in offsets if b >= 3} - _batch_ids(s3, bucket, f"{checkpoint}/commits/")
        if in_flight:
            _kill_group(proc)
            break
        time.sleep(0.05)
    assert in_flight, f"no batch was caught in flight:\n{log.read_text()[-3000:]}"

    # 4. Restart and catch up.
    assert _wait(_start(stream, ingest_env, log), log) == 0, log.read_text()[-3000:]

    truth = read_ground_truth(truth_file)
    expected = Counter({t["record_id"]: 1 + t["duplicates"] for t in truth})
    from deltalake import DeltaTable

    bronze = DeltaTable(profile.resolve(f"bronze/{stream}"), storage_options=profile.storage_options())
    ids = bronze.to_pyarrow_table(columns=["record_id"]).column("record_id").to_pylist()
    assert Counter(ids) == expected
    assert len(set(ids)) == len(truth) == summary.valid

    raw: Counter[str] = Counter()
    errors = 0
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/raw/")
    for page in pages:
        for obj in page.get("Contents", []):
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            lines = body.splitlines()
            if f"/raw/_errors/{stream}/" in obj["Key"]:
                errors += len(lines)
            else:
                raw.update(json.loads(line)["record_id"] for line in lines)
    assert raw == expected
    assert errors == summary.malformed

    metrics = DeltaTable(profile.resolve("_meta/ingest_metrics"), storage_options=profile.storage_options())
    rows = [r for r in metrics.to_pyarrow_table().to_pylist() if r["stream"] == stream]
    batch_ids = [r["batch_id"] for r in rows]
    assert len(batch_ids) == len(set(batch_ids))
    assert sum(r["records_in"] for r in rows) == summary.sent
