"""Benchmark: continuous Kinesis → raw zone + bronze ingest at a fixed produce rate.

    .venv/bin/python bench/ingest_bench.py [--rate 4000] [--duration 60] [--shards 4]
                                           [--trigger-seconds 1] [--max-records 20000]

A producer process (the simulator's ``iot`` generator) puts records at ``--rate`` for
``--duration`` seconds into a ``--shards``-shard stream of a moto server; the ingest job
runs continuously in this process on ``local[2]`` with the lake on the same moto server.
Reported: sustained ingest throughput (records committed to bronze per second, from the
first record's arrival to the last one's commit) and freshness p50/p95 (record arrival in
the stream → commit of the bronze version holding it), plus where a micro-batch spends
its time. Goal: ≥ 4,000 records/s with p95 freshness ≤ 5 s.

The moto server runs in its own process with ``patch_moto_performance`` (constant-time
puts and reads; unpatched moto slows to ≈ 2,500 puts/s once a shard holds 12k records).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from typing import Any

_MOTO_CHILD = """
import logging, sys
from moto.server import ThreadedMotoServer
from infra.services.moto_fidelity import patch_moto_performance, patch_moto_resharding
patch_moto_performance(); patch_moto_resharding()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()
server.stop()
"""

_PRODUCER = """
import json, sys
from lake.stream.simulator import SimulatorConfig, simulate
cfg = json.loads(sys.argv[1])
kwargs = cfg.pop("boto3_kwargs")
summary = simulate(SimulatorConfig(**cfg), boto3_kwargs=kwargs)
print(json.dumps(summary.to_dict()), flush=True)
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _produce(boto3_kwargs: dict[str, Any], stream: str, **config: Any) -> subprocess.Popen[str]:
    payload = json.dumps({"generator": "iot", "stream_name": stream, "boto3_kwargs": boto3_kwargs,
                          **config})
    return subprocess.Popen([sys.executable, "-c", _PRODUCER, payload], stdout=subprocess.PIPE,
                            text=True)


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"producer failed with exit code {proc.returncode}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4000.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--trigger-seconds", type=float, default=1.0)
    parser.add_argument("--max-records", type=int, default=20_000)
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    args = parser.parse_args()

    import boto3
    from deltalake import DeltaTable

    from lake.config import load_settings
    from lake.delta.arrow_read import snapshot_to_arrow
    from lake.spark.session import build_spark
    from lake.storage import get_profile
    from lake.stream.ingest import IngestConfig, start_ingest, stop_gracefully

    moto = subprocess.Popen([sys.executable, "-c", _MOTO_CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert moto.stdout is not None and moto.stdin is not None
    endpoint = moto.stdout.readline().strip()
    run = uuid.uuid4().hex[:8]
    settings = load_settings({"profile": "moto", "lake": f"s3://ingest-bench/{run}",
                              "profiles.moto.endpoint_url": endpoint, "spark.master": "local[2]"})
    profile = get_profile(settings)
    boto3.client("s3", **profile.boto3_kwargs()).create_bucket(Bucket="ingest-bench")
    stream = f"bench-{run}"
    kw = profile.boto3_kwargs()
    print(f"moto {endpoint}; stream {stream} ({args.shards} shards); lake {profile.lake_uri}; "
          f"spark local[2]; trigger {args.trigger_seconds}s; max {args.max_records} records/batch")

    spark = build_spark(settings, profile, app_name="ingest-bench")
    warm = _finish(_produce(kw, stream, records=2000, rate=0, shards=args.shards, seed=1))
    config = IngestConfig(stream=stream, trigger_seconds=args.trigger_seconds,
                          max_records_per_trigger=args.max_records)
    batches: list[Any] = []
    query, processor = start_ingest(spark, profile, config, progress=batches.append)
    deadline = time.monotonic() + 300
    while processor.totals.valid_records < warm["valid"] and time.monotonic() < deadline:
        time.sleep(0.5)
    print(f"warm-up: {warm['sent']} records ingested in {len(batches)} batches")
    warm_batches = len(batches)

    started = time.time()
    producer = _produce(kw, stream, duration=args.duration, rate=args.rate, shards=args.shards,
                        seed=2)
    summary = _finish(producer)
    produced_at = time.time()
    expected = warm["valid"] + warm["duplicates"] + summary["valid"] + summary["duplicates"]
    deadline = time.monotonic() + args.drain_timeout
    while processor.totals.valid_records < expected and time.monotonic() < deadline:
        time.sleep(0.25)
    progress = [p for p in query.recentProgress if p.numInputRows]
    stop_gracefully(query)

    dt = DeltaTable(profile.resolve(config.bronze_table), storage_options=profile.storage_options())
    commit_ms: dict[int, int] = {}
    for entry in dt.history():
        batch = entry.get("lakeforge.ingest.batchId")
        if batch is not None:
            commit_ms[int(batch)] = int(entry["timestamp"])
    table = snapshot_to_arrow(dt, profile, columns=["_arrival_time", "_batch_id"])
    arrivals = [a.timestamp() * 1000 for a in table.column("_arrival_time").to_pylist()]
    batch_ids = table.column("_batch_id").to_pylist()
    fresh = [
        (commit_ms[b] - a) / 1000 for a, b in zip(arrivals, batch_ids, strict=True)
        if a >= started * 1000 and b in commit_ms
    ]
    measured = [a for a in arrivals if a >= started * 1000]
    last_commit = max(commit_ms[b] for a, b in zip(arrivals, batch_ids, strict=True)
                      if a >= started * 1000) / 1000
    throughput = len(measured) / (last_commit - min(measured) / 1000)
    p50, p95 = _percentile(fresh, 0.5), _percentile(fresh, 0.95)

    steady = batches[warm_batches:]
    stages: dict[str, list[float]] = defaultdict(list)
    for p in progress:
        for key, value in p.durationMs.items():
            stages[key].append(value)
    print(f"\nproduced: {summary['sent']:,} records in {summary['elapsed_s']:.1f}s "
          f"(target {args.rate:,.0f}/s, achieved {summary['effective_rate']:,.0f}/s; "
          f"producer finished {produced_at - started:.1f}s after start)")
    print(f"ingested: {len(measured):,} of them in {len(steady)} batches "
          f"(mean {statistics.mean(m.records_in for m in steady):,.0f} records/batch, "
          f"bronze rows total {table.num_rows:,}, expected {expected:,})")
    print(f"sustained ingest throughput: {throughput:,.0f} records/s  "
          f"(goal 4,000 → ratio {throughput / 4000:.2f})")
    print(f"freshness arrival → visible in bronze: p50 {p50:.2f}s  p95 {p95:.2f}s  "
          f"max {max(fresh):.2f}s  (goal p95 ≤ 5s → ratio {5 / p95:.2f})")
    print("\nwhere a micro-batch spends its time (mean ms over batches with data):")
    for key in ("latestOffset", "walCommit", "queryPlanning", "getBatch", "addBatch",
                "commitOffsets", "triggerExecution"):
        if stages.get(key):
            print(f"  spark {key:<16} {statistics.mean(stages[key]):8.0f}")
    for name in ("read_ms", "raw_ms", "bronze_ms", "duration_ms"):
        values = [getattr(m, name) for m in steady]
        print(f"  foreachBatch {name:<11} {statistics.mean(values):8.0f}")
    lags = [m.millis_behind_latest for m in steady if m.millis_behind_latest is not None]
    if lags:
        print(f"  MillisBehindLatest: mean {statistics.mean(lags):,.0f}  max {max(lags):,}")
    spark.stop()
    moto.stdin.close()
    moto.wait(30)


if __name__ == "__main__":
    main()
