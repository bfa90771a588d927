"""Benchmark: batch predict (``lake predict``'s path) vs plain ``pipeline_model.transform(df)`` + native Parquet write.

    .venv/bin/python bench/predict_bench.py [--rows 1000000] [--repeat 2] [--profile local|moto]

Ours is the whole catalog path: resolve the input table through the SQL engine's resolver, load
the registered model from MLflow, score with ``batch_transform`` (prediction, positive-class
probability, model name/version, scored_at), write through the Delta table store and register
with lineage. The baseline reads the same Delta snapshot, runs ``transform`` and writes its
output with ``df.write.parquet``. Both score the same rows in the same run; prints the best of
``--repeat`` times and ours/native throughput (goal: at least 0.8x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", choices=("local", "moto"), default="local")
    args = parser.parse_args()

    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import StandardScaler, VectorAssembler

    from catalog.delta import register_delta_table
    from catalog.inference import PredictOptions, run_batch_predict
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.ml.tracking import ModelRegistry, Tracker, open_tracking
    from lake.spark.session import build_spark
    from lake.storage import LocalProfile, moto_profile

    tmp = Path(tempfile.mkdtemp(prefix="lakeforge-predict-bench-"))
    server = None
    if args.profile == "moto":
        from infra.services.moto import spawn_moto

        server = spawn_moto()
        profile = moto_profile(server.endpoint, f"s3://bench-{uuid.uuid4().hex[:6]}")
    else:
        profile = LocalProfile(tmp / "lake")
    profile.ensure_lake()
    settings = load_settings({"home": str(tmp / "home"), "spark.master": "local[2]"}, project_dir=tmp)
    spark = build_spark(settings, profile, app_name="predict-bench")
    names = [f"x{i}" for i in range(args.features)]
    exprs = [f"cast(rand({i}) * {i + 1} as double) as {n}" for i, n in enumerate(names)]
    df = spark.range(args.rows).selectExpr("id", *exprs).selectExpr(
        "*", f"cast(({' + '.join(names[:3])}) + randn(99) > {1.5 * 3 / 2:.2f} as int) as label")
    delta = DeltaTableStore(spark, profile)
    delta.write(df, "bench/input", mode="overwrite")
    store = get_catalog(settings, profile)
    register_delta_table(store, "bench", "input", profile.resolve("bench/input"), profile)
    source = delta.read(profile.resolve("bench/input"))
    model = Pipeline(stages=[VectorAssembler(inputCols=names, outputCol="raw"),
                             StandardScaler(inputCol="raw", outputCol="features"),
                             LogisticRegression(maxIter=20)]).fit(source.limit(50_000))
    tracking = open_tracking(settings, profile)
    with Tracker(tracking).start_run("bench_lr") as run:
        run.log_spark_model(model, input_example=source.select(*names).limit(5))
        run.register()
    registry = ModelRegistry(tracking)
    print(f"rows={args.rows} features={args.features} profile={args.profile} master=local[2]")

    ours, native = [], []
    for i in range(args.repeat):
        t = time.perf_counter()
        result = run_batch_predict(spark, store, profile, registry, "bench_lr", "bench.input", f"bench.scored_{i}",
                                   PredictOptions(mode="overwrite"), delta=delta)
        ours.append(time.perf_counter() - t)
        assert result.rows == args.rows, result
        t = time.perf_counter()
        model.transform(delta.read(profile.resolve("bench/input"))).write.mode("overwrite").parquet(
            profile.resolve(f"bench/native_{i}").replace("s3://", "s3a://"))
        native.append(time.perf_counter() - t)
    best_ours, best_native = min(ours), min(native)
    print(f"ours   (catalog + registry + batch_transform + Delta commit + register): {best_ours:.2f} s "
          f"({args.rows / best_ours:,.0f} rows/s)  runs: {', '.join(f'{x:.2f}' for x in ours)}")
    print(f"native (transform + df.write.parquet):                                  {best_native:.2f} s "
          f"({args.rows / best_native:,.0f} rows/s)  runs: {', '.join(f'{x:.2f}' for x in native)}")
    print(f"throughput ours/native: {best_native / best_ours:.2f}x (goal >= 0.8x)")
    store.close()
    spark.stop()
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
