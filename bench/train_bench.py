"""Benchmark: training accuracy against the simulator's Bayes limit, and speed against scikit-learn.

    .venv/bin/python bench/train_bench.py [--records 200000] [--rows 1000000] [--features 20]
                                          [--skip-accuracy] [--skip-speed] [--skip-cluster]

Measured in one run, on one machine (the load average is printed: the machine is shared):

(a) **Accuracy limit.** ``--records`` heart visits from the simulator's generator (class balance
    0.45) are written as ``bronze.heart`` by the ingest job's own bronze writer (direct bronze
    write of the generator's records — the Kinesis hop is not part of this measurement), the
    SQL library (``infra/sql``) builds ``silver.heart_visits`` (ETL with its quality rules) and
    the ``ml.heart_features`` view, and ``lake.ml`` trains the ``infra/ml/heart_risk.toml`` spec
    with logistic regression, gradient-boosted trees and XGBoost (no tuning). Each test ROC AUC
    is compared with the simulator's Bayes-optimal AUC (``bayes_optimal_auc(0.45)``, the AUC of
    the true probability on its reference population) and with the true probability's AUC on the
    very same test rows. Goal: within 0.01.
(b) **Speed.** ``--rows`` x ``--features`` numeric rows (a logistic label with a little
    non-linearity), one 80/20 split, the same arrays for both: the lakeforge pipeline
    (``build_pipeline`` → ``fit``) for logistic regression and GBT (50 trees, depth 5, learning
    rate 0.1) on Spark ``local[2]`` vs scikit-learn's ``LogisticRegression`` and
    ``HistGradientBoostingClassifier`` (50 iterations, depth 5, learning rate 0.1, no early
    stopping). Fit seconds, their ratio and the test ROC AUC difference. Goal: ≤ 2x
    scikit-learn's time, AUC within 0.005.
(c) **Cluster.** (b)'s Spark fits again, submitted to a 2-worker standalone cluster
    (``lake cluster up --workers 2``) started by this script (and stopped afterwards).

Prints one line per measurement and a JSON summary; exit code 0 when every goal is met.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_AUC_GAP = 0.01
GOAL_TIME_RATIO = 2.0
GOAL_AUC_DIFF = 0.005
GBT = {"trees": 50, "depth": 5, "learning_rate": 0.1}
RESULT_PREFIX = "RESULT "


def say(text: str) -> None:
    print(text, flush=True)


def load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


# --------------------------------------------------------------------------------------- (a)
def write_heart_bronze(spark: Any, store: Any, profile: Any, records: int, seed: int) -> dict[str, float]:
    """The generator's records as bronze.heart via the ingest job's BronzeWriter; returns visit_id → P(y=1)."""
    from catalog import register_delta_table
    from lake.delta import DeltaTableStore
    from lake.stream.ingest.bronze import BronzeWriter
    from lake.stream.ingest.parse import RecordMeta, ValidRecord
    from lake.stream.simulator.base import GeneratorOptions
    from lake.stream.simulator.heart import HeartGenerator

    generator = HeartGenerator(GeneratorOptions(seed=seed, class_balance=0.45, entities=min(records, 50_000)))
    writer = BronzeWriter(spark, DeltaTableStore(spark, profile), "bronze/heart", app_id="bench-heart",
                          event_time_field="event_time")
    start, step, batch = datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1), 25_000
    truth: dict[str, float] = {}
    for batch_id, first in enumerate(range(0, records, batch)):
        valid, moments = [], []
        for i in range(first, min(first + batch, records)):
            moment = start + step * i
            made = generator.next_record(i, f"r{i:08d}", moment)
            valid.append(ValidRecord(made.record, b"", RecordMeta("heart", "shardId-000000000000", str(i),
                                                                  made.partition_key,
                                                                  int(moment.timestamp() * 1e6), 0)))
            moments.append(moment)
            truth[made.record["visit_id"]] = float(made.truth["p_true"])
        writer.refresh()
        writer.write(writer.build(valid, moments, batch_id), batch_id, {"lakeforge.source": "bench"})
    register_delta_table(store, "bronze", "heart", "bronze/heart", profile)
    return truth


def accuracy(spark: Any, root: Path, records: int) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    from catalog.etl import run_all
    from catalog.ml import TrainingEnv, train_spec
    from catalog.sql import SqlEngine, apply_library
    from catalog.stores.embedded import EmbeddedStore
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.ml.spec import TrainSpec
    from lake.ml.tracking import open_tracking
    from lake.storage import LocalProfile
    from lake.stream.simulator.heart import bayes_optimal_auc

    (root / "lake").mkdir()
    profile = LocalProfile(root / "lake")
    store = EmbeddedStore(root / "catalog.db")
    delta = DeltaTableStore(spark, profile)
    started = time.perf_counter()
    truth = write_heart_bronze(spark, store, profile, records, seed=2026)
    say(f"(a) bronze.heart: {records:,} generator records written in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False, delta=delta)
    apply_library(engine, ROOT / "infra" / "sql")
    etl = run_all(spark, store, profile, delta=delta, publish_docs=False)
    silver = engine.query("SELECT count(*) AS n FROM ml.heart_features")[0]["n"]
    say(f"(a) SQL library + ETL: {[r['status'] for r in etl]}, ml.heart_features has {silver:,} rows "
        f"({time.perf_counter() - started:.1f}s)")
    settings = load_settings({"home": str(root / "home")}, project_dir=root)
    env = TrainingEnv(spark, store, profile, open_tracking(settings, profile), delta, export_onnx=False)
    base = tomllib.loads((ROOT / "infra" / "ml" / "heart_risk.toml").read_text())
    base.pop("tune")
    base["evaluate"] = {"threshold": 0.5}
    models = {
        "logistic_regression": {"algorithm": "logistic_regression", "max_iter": 100, "reg_param": 0.0},
        "gbt": {"algorithm": "gbt", "max_iter": 100, "max_depth": 4, "learning_rate": 0.1},
        "xgboost": {"algorithm": "xgboost", "num_trees": 300, "max_depth": 4, "learning_rate": 0.05,
                    "num_workers": 2},
    }
    bayes = bayes_optimal_auc(0.45)
    out: dict[str, Any] = {"records": records, "rows": silver, "bayes_optimal_auc": bayes, "models": {}}
    for name, model in models.items():
        started = time.perf_counter()
        spec = TrainSpec.from_mapping({**base, "name": f"bench_heart_{name}", "model": model})
        result = train_spec(spec, env)
        rows = engine.query(f"SELECT id, label FROM ml.predictions WHERE run_id = '{result.run_id}'")
        labels = [int(r["label"]) for r in rows]
        oracle = float(roc_auc_score(labels, [truth[r["id"]] for r in rows]))
        auc = result.metrics["test"]["roc_auc"]
        out["models"][name] = {"test_roc_auc": auc, "oracle_auc_same_rows": oracle, "gap_to_bayes": bayes - auc,
                               "gap_to_oracle": oracle - auc, "test_rows": len(rows),
                               "seconds": time.perf_counter() - started}
        say(f"(a) {name:>20}: test ROC AUC {auc:.4f}; Bayes-optimal {bayes:.4f} (gap {bayes - auc:+.4f}); "
            f"true probability on the same {len(rows):,} rows {oracle:.4f} (gap {oracle - auc:+.4f}); "
            f"{time.perf_counter() - started:.0f}s")
    engine.close()
    store.close()
    return out


# --------------------------------------------------------------------------------------- (b)
def synthetic(rows: int, features: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (rows x features), y (0/1) from a logistic model with some non-linearity, and a 20% test mask."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    w = rng.normal(0, 1, features) * 2 / np.sqrt(features)
    logit = x @ w + 0.6 * np.sin(2 * x[:, 0]) + 0.4 * x[:, 1] * x[:, 2]
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return x, y, rng.random(rows) < 0.2


def spark_fits(spark: Any, rows: int, features: int) -> dict[str, Any]:
    """Fit seconds and test ROC AUC of the lakeforge pipeline (LR and GBT) on the synthetic data."""
    import pandas as pd

    from lake.ml.evaluate import collect_predictions, evaluate_arrays
    from lake.ml.prep import build_pipeline
    from lake.ml.spec import TrainSpec

    x, y, test = synthetic(rows, features)
    names = [f"x{i}" for i in range(features)]
    frame = pd.DataFrame(x, columns=names).assign(label=y, is_test=test)
    data = spark.createDataFrame(frame).repartition(spark.sparkContext.defaultParallelism * 2).cache()
    data.count()
    train = data.where("NOT is_test").drop("is_test").cache()
    holdout = data.where("is_test").drop("is_test").cache()
    train.count(), holdout.count()
    out: dict[str, Any] = {"rows": rows, "features": features, "train_rows": int((~test).sum()),
                           "master": spark.sparkContext.master}
    models = {
        "logistic_regression": {"algorithm": "logistic_regression", "max_iter": 100, "reg_param": 0.0},
        "gbt": {"algorithm": "gbt", "max_iter": GBT["trees"], "max_depth": GBT["depth"],
                "learning_rate": GBT["learning_rate"]},
    }
    for name, model in models.items():
        spec = TrainSpec.from_mapping({"name": f"bench_{name}", "source": "bench.synthetic", "task": "binary",
                                       "label": "label", "features": names, "prep": {"impute": "none"},
                                       "model": model})
        pipeline, _ = build_pipeline(spec, train)
        started = time.perf_counter()
        fitted = pipeline.fit(train)
        seconds = time.perf_counter() - started
        arrays = collect_predictions(fitted.transform(holdout), "binary", label_col="label")
        auc = evaluate_arrays("binary", **arrays).metrics["roc_auc"]
        out[name] = {"fit_seconds": seconds, "test_roc_auc": auc}
        say(f"(b) spark {name:>20}: fit {seconds:7.1f}s, test ROC AUC {auc:.4f} ({out['master']})")
    data.unpersist()
    return out


def sklearn_fits(rows: int, features: int) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    x, y, test = synthetic(rows, features)
    models = {
        "logistic_regression": LogisticRegression(max_iter=100, penalty=None),
        "gbt": HistGradientBoostingClassifier(max_iter=GBT["trees"], max_depth=GBT["depth"],
                                              learning_rate=GBT["learning_rate"], early_stopping=False),
    }
    out: dict[str, Any] = {}
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(x[~test], y[~test])
        seconds = time.perf_counter() - started
        auc = float(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
        out[name] = {"fit_seconds": seconds, "test_roc_auc": auc}
        say(f"(b) scikit-learn {name:>13}: fit {seconds:7.1f}s, test ROC AUC {auc:.4f}")
    return out


def compare(spark_side: dict[str, Any], sklearn_side: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in ("logistic_regression", "gbt"):
        a, b = spark_side[name], sklearn_side[name]
        out[name] = {"time_ratio": a["fit_seconds"] / b["fit_seconds"],
                     "auc_difference": a["test_roc_auc"] - b["test_roc_auc"]}
    return out


# --------------------------------------------------------------------------------------- (c)
def cluster_fits(root: Path, rows: int, features: int) -> dict[str, Any]:
    """(b)'s Spark fits submitted to a 2-worker standalone cluster this function starts and stops."""
    from infra.services.process import free_port

    lake = str(Path(sys.executable).with_name("lake"))
    env = {**os.environ, "LAKEFORGE_HOME": str(root / "home"), "LAKEFORGE_PROJECT_DIR": str(root),
           "LAKEFORGE_LAKE": str(root / "lake"), "LAKEFORGE_PROFILE": "local",
           "LAKEFORGE_SPARK__EXECUTOR_MEMORY": "2g", "LAKEFORGE_SPARK__DRIVER_MEMORY": "4g"}
    (root / "lake").mkdir(exist_ok=True)
    up = subprocess.run([lake, "cluster", "up", "--workers", "2", "--memory-per-worker", "3g", "--port",
                         str(free_port()), "--webui-port", str(free_port())], env=env, capture_output=True,
                        text=True, check=False)
    if up.returncode != 0:
        raise RuntimeError(f"lake cluster up failed: {up.stderr.strip()}")
    try:
        status = json.loads(subprocess.run([lake, "status", "--json"], env=env, capture_output=True, text=True,
                                           check=True).stdout)
        master = status["services"]["cluster"]["master_url"]
        child = subprocess.run([lake, "submit", str(Path(__file__).resolve()), "--master", master, "--",
                                "--child", "--rows", str(rows), "--features", str(features)],
                               env=env, capture_output=True, text=True, check=False)
        lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if child.returncode != 0 or not lines:
            raise RuntimeError(f"the cluster run failed: {child.stderr.strip()[-2000:]}")
        for line in child.stdout.splitlines():
            if line.startswith("(b)"):
                say(line.replace("(b)", "(c)", 1))
        result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
        return result
    finally:
        subprocess.run([lake, "cluster", "down"], env=env, capture_output=True, text=True, check=False)


# ------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="heart records for (a)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for (b) and (c)")
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-cluster", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # (c), under spark-submit
    args = parser.parse_args(argv)

    from lake.config import load_settings
    from lake.spark.session import build_spark
    from lake.storage import LocalProfile

    if args.child:
        spark = build_spark(load_settings(), app_name="train-bench-cluster")
        print(RESULT_PREFIX + json.dumps(spark_fits(spark, args.rows, args.features)), flush=True)
        return 0

    report: dict[str, Any] = {"load_average_start": load(), "cpus": os.cpu_count()}
    say(f"load average at start: {report['load_average_start']} on {report['cpus']} CPUs")
    with tempfile.TemporaryDirectory(prefix="train-bench-") as tmp:
        root = Path(tmp)
        settings = load_settings({"home": str(root / "home"), "spark.master": "local[2]",
                                  "spark.driver_memory": "6g"}, project_dir=root)
        spark = build_spark(settings, LocalProfile(root), app_name="train-bench")
        goals: dict[str, bool] = {}
        if not args.skip_accuracy:
            (root / "a").mkdir()
            report["accuracy"] = accuracy(spark, root / "a", args.records)
            for name, m in report["accuracy"]["models"].items():
                goals[f"accuracy_{name}"] = m["gap_to_bayes"] <= GOAL_AUC_GAP
        if not args.skip_speed:
            sk = sklearn_fits(args.rows, args.features)
            local = spark_fits(spark, args.rows, args.features)
            report["speed"] = {"sklearn": sk, "spark_local": local, "local_vs_sklearn": compare(local, sk)}
            for name, c in report["speed"]["local_vs_sklearn"].items():
                say(f"(b) {name}: Spark local[2] / scikit-learn time {c['time_ratio']:.2f}x, "
                    f"AUC difference {c['auc_difference']:+.4f}")
                goals[f"speed_{name}"] = c["time_ratio"] <= GOAL_TIME_RATIO and abs(c["auc_difference"]) <= \
                    GOAL_AUC_DIFF
            spark.stop()
            if not args.skip_cluster:
                (root / "c").mkdir()
                cluster = cluster_fits(root / "c", args.rows, args.features)
                report["speed"]["spark_cluster"] = cluster
                report["speed"]["cluster_vs_sklearn"] = compare(cluster, sk)
                for name, c in report["speed"]["cluster_vs_sklearn"].items():
                    say(f"(c) {name}: 2-worker cluster / scikit-learn time {c['time_ratio']:.2f}x, "
                        f"AUC difference {c['auc_difference']:+.4f}")
    report["load_average_end"] = load()
    report["goals_met"] = goals
    say(f"load average at end: {report['load_average_end']}")
    print(json.dumps(report, indent=2, sort_keys=True, default=str))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
