"""Endpoint benchmark: single-record requests over loopback to the ONNX endpoint vs the Spark scoring path.

    .venv/bin/python bench/serve_bench.py [--algorithm logistic_regression] [--requests 4000]
                                          [--spark-requests 200]

One run: a SparkSession (local[2], started before any clock), a realistic prep pipeline from
``lake.ml.prep`` (impute, string index + one-hot, booleans, scaling) and the model, fitted on
2,000 generated rows; the pipeline is exported to ONNX and verified against Spark. Then:

1. the endpoint runs as its own process (``python -m lake.ml.serving.server --onnx …``) and
   client threads with kept-alive ``http.client`` connections send one-record JSON requests
   to ``POST /invocations`` at concurrency 1 and 8 (after a warm-up): p50 / p99 latency and
   requests per second;
2. the Spark path (``SparkScorer``: createDataFrame → transform → collect) scores the same kind
   of one-record requests sequentially in this process.

Goals: p99 ≤ 10 ms at concurrency 8, ≥ 1,000 requests/s, and ≥ 50x the Spark path's
requests/s. Prints the figures, the ratios and the machine's load average (the machine is
shared); exit code 0 when every goal is met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_P99_MS = 10.0
GOAL_RPS = 1000.0
GOAL_RATIO = 50.0


def rows(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """Heart-risk-like records: numbers (some missing), a category (some missing), a boolean, a label."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 10, n)
    bp = rng.normal(125, 15, n).round().astype(int)
    chol = rng.normal(210, 35, n)
    smoker = rng.choice(["never", "former", "current"], n, p=[0.5, 0.3, 0.2])
    sex = rng.random(n) < 0.5
    score = 0.08 * (age - 55) + 0.05 * (bp - 125) + np.where(smoker == "current", 1.2, 0.0) - 0.9
    label = score + rng.logistic(0, 0.6, n) > 0
    return [{"age": None if i % 10 == 3 else float(age[i]), "bp": int(bp[i]), "chol": float(chol[i]),
             "smoker": None if i % 20 == 5 else str(smoker[i]), "sex": bool(sex[i]),
             "outcome": "yes" if label[i] else "no"} for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    return {"requests": len(latencies), "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "mean_ms": statistics.fmean(latencies) * 1000,
            "rps": len(latencies) / seconds}


def start_endpoint(model_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lake.ml.serving.server", "--onnx", str(model_dir), "--port", "0",
         "--name", "bench", "--model-name", "heart_bench"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http://"):
        process.kill()
        raise RuntimeError(f"the endpoint did not start: {line!r}")
    return process, line.split()[0]


def http_load(url: str, bodies: list[bytes], concurrency: int, total: int) -> dict[str, float]:
    """``total`` one-record requests from ``concurrency`` threads, each on its own kept-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    per_thread = total // concurrency
    start_gate = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        mine = latencies[index]
        start_gate.wait()
        for i in range(per_thread):
            body = bodies[(index * per_thread + i) % len(bodies)]
            began = time.perf_counter()
            connection.request("POST", "/invocations", body, headers)
            response = connection.getresponse()
            payload = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                errors.append(f"{response.status} {payload[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return summary([x for m in latencies for x in m], elapsed)


def spark_load(scorer: Any, records: list[dict[str, Any]], total: int) -> dict[str, float]:
    latencies = []
    began = time.perf_counter()
    for i in range(total):
        started = time.perf_counter()
        scorer.score([records[i % len(records)]])
        latencies.append(time.perf_counter() - started)
    return summary(latencies, time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithm", default="logistic_regression")
    parser.add_argument("--requests", type=int, default=4000, help="requests per concurrency level")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--spark-requests", type=int, default=200)
    parser.add_argument("--train-rows", type=int, default=2000)
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    from lake.ml.export import export_onnx, verify_export
    from lake.ml.prep import build_pipeline
    from lake.ml.serving import SparkScorer
    from lake.ml.spec import TrainSpec

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    load_before = os.getloadavg()
    spark = (SparkSession.builder.master("local[2]").appName("serve-bench").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    data = rows(args.train_rows)
    schema = "age double, bp int, chol double, smoker string, sex boolean, outcome string"
    frame = spark.createDataFrame([tuple(r.values()) for r in data], schema).cache()
    frame.count()
    spec = TrainSpec.from_mapping({"name": "heart_bench", "task": "binary", "source": "bench.heart",
                                   "label": "outcome", "model": {"algorithm": args.algorithm},
                                   "prep": {"scale": "standard"}})
    began = time.perf_counter()
    model = build_pipeline(spec, frame)[0].fit(frame)
    fit_s = time.perf_counter() - began
    began = time.perf_counter()
    export = export_onnx(model, spark, frame)
    export_s = time.perf_counter() - began
    verification = verify_export(export, model, frame, max_rows=500)
    print(f"model: {args.algorithm}, stages {', '.join(export.stages)}; fit {fit_s:.1f}s, export {export_s:.1f}s; "
          f"verified on {verification.rows} rows (max probability diff {verification.max_probability_diff:.1e})")

    features = [{k: v for k, v in r.items() if k != "outcome"} for r in rows(500, seed=99)]
    bodies = [json.dumps(r).encode() for r in features]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as scratch:
        model_dir = export.save(Path(scratch) / "model")
        process, url = start_endpoint(model_dir)
        try:
            for concurrency in (1, 8):
                http_load(url, bodies, concurrency, args.warmup)
                results[f"onnx c={concurrency}"] = http_load(url, bodies, concurrency, args.requests)
        finally:
            process.terminate()
            process.wait(30)

    scorer = SparkScorer.for_pipeline(model, spark, frame.schema, name="heart_bench", version=1)
    spark_load(scorer, features, 5)
    results["spark c=1"] = spark_load(scorer, features, args.spark_requests)
    load_after = os.getloadavg()
    spark.stop()

    print(f"\nload average before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} cores "
          "(shared machine)")
    print(f"{'path':<12} {'requests':>9} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9} {'req/s':>9}")
    for name, r in results.items():
        print(f"{name:<12} {r['requests']:>9.0f} {r['p50_ms']:>9.3f} {r['p99_ms']:>9.3f} {r['mean_ms']:>9.3f} "
              f"{r['rps']:>9.0f}")
    c8, c1, sp = results["onnx c=8"], results["onnx c=1"], results["spark c=1"]
    ratio_rps = c8["rps"] / sp["rps"]
    ratio_p50 = sp["p50_ms"] / c1["p50_ms"]
    print(f"\nratios: ONNX c=8 req/s / Spark req/s = {ratio_rps:.0f}x; Spark p50 / ONNX c=1 p50 = {ratio_p50:.0f}x")
    goals = {
        f"p99 at concurrency 8 <= {GOAL_P99_MS:.0f} ms": c8["p99_ms"] <= GOAL_P99_MS,
        f"requests/s at concurrency 8 >= {GOAL_RPS:.0f}": c8["rps"] >= GOAL_RPS,
        f"ONNX / Spark requests/s >= {GOAL_RATIO:.0f}x": ratio_rps >= GOAL_RATIO,
    }
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
