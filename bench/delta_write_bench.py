"""Benchmark: Delta table-store write vs Spark's native ``df.write.parquet`` (same data, same store).

    .venv/bin/python bench/delta_write_bench.py [--rows 2000000] [--profiles local,moto]

Prints both times and ours/native throughput ratio per profile (goal: at least 0.9x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _frame(spark, rows: int):  # type: ignore[no-untyped-def]
    return spark.range(rows).selectExpr(
        "id",
        "concat('device-', cast(id % 1000 as string)) as device_id",
        "cast(rand(1) * 100 as double) as temperature",
        "cast(rand(2) * 1000 as int) as reading",
        "id % 7 = 0 as flagged",
        "timestamp'2026-01-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id % 86400) as event_time",
        "date'2026-01-01' + cast(id % 8 as int) as event_date",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--profiles", default="local,moto")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from infra.services.moto import spawn_moto
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.spark.session import build_spark
    from lake.storage import LocalProfile, moto_profile

    server = spawn_moto()
    tmp = Path(tempfile.mkdtemp(prefix="lakeforge-bench-"))
    profiles = {"local": LocalProfile(tmp / "lake"), "moto": moto_profile(server.endpoint, "s3://bench")}
    settings = load_settings({"spark.master": "local[2]"})
    spark = build_spark(settings, profiles["moto"], app_name="delta-write-bench")
    df = _frame(spark, args.rows).cache()
    df.count()
    print(f"rows={args.rows} partitions=8 (event_date) spark master=local[2]")
    try:
        for name in args.profiles.split(","):
            profile = profiles[name]
            profile.ensure_lake()
            store = DeltaTableStore(spark, profile)
            ours, native = [], []
            for i in range(args.repeat):
                t = time.perf_counter()
                store.write(df, f"ours_{i}", mode="overwrite", partition_by=["event_date"])
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                df.write.mode("overwrite").partitionBy("event_date").parquet(
                    profile.to_spark_uri(f"native_{i}"))
                native.append(time.perf_counter() - t)
                assert store.read(f"ours_{i}").count() == args.rows
            best_ours, best_native = min(ours), min(native)
            print(f"[{name}] table store: {best_ours:.2f}s ({args.rows / best_ours:,.0f} rows/s)  "
                  f"native parquet: {best_native:.2f}s ({args.rows / best_native:,.0f} rows/s)  "
                  f"throughput ratio ours/native = {best_native / best_ours:.2f}x")
    finally:
        spark.stop()
        server.stop()


if __name__ == "__main__":
    main()
