"""``lake.ml.train``: the whole lifecycle on real Spark and a real MLflow SQLite store, artifacts in a local lake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from lake.config import load_settings
from lake.ml import TrainProgress, TrainResult, train
from lake.ml.errors import DataError
from lake.ml.spec import TrainSpec
from lake.ml.tracking import Lineage, ModelRegistry, TableVersion, Tracker, open_tracking

LINEAGE = Lineage("ml.visits", "SELECT * FROM silver.visits",
                  (TableVersion("silver.visits", "/lake/silver/visits", 3),))


def _spec(name: str, **extra: Any) -> TrainSpec:
    data: dict[str, Any] = {
        "name": name, "source": "ml.visits", "task": "binary", "label": "label", "id": "visit_id",
        "features": ["age", "bp", "chol", "smoker", "sex"],
        "prep": {"impute": "median", "scale": "standard"},
        "split": {"train": 0.6, "validation": 0.2, "test": 0.2, "seed": 3},
        "model": {"algorithm": "logistic_regression", "max_iter": 20},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return TrainSpec.from_mapping(data)


@pytest.fixture
def store(tmp_path: Path, local_lake):  # type: ignore[no-untyped-def]
    settings = load_settings({"home": str(tmp_path / "home")}, project_dir=tmp_path)
    return open_tracking(settings, local_lake)


def _artifacts(store, run_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    root = Path(store.profile.lake_uri) / "ml" / "artifacts"
    run_dir = next(root.glob(f"*/{run_id}/artifacts"))
    return {str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_tuned_binary_run_logs_everything_and_registers_a_pending_version(ml_frame, store, unique_name) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(unique_name, tune={"strategy": "grid", "space": {"reg_param": [0.0, 0.1]}},
                 evaluate={"threshold": "f1"})
    seen: list[TrainProgress] = []
    ended: list[TrainResult] = []
    predictions: list[Any] = []
    from lake.ml.training import TrainOptions

    def keep(run_id: str, version: int, df: Any) -> None:
        predictions.append((run_id, version, df.collect()))

    options = TrainOptions(on_predictions=keep)
    result = train(spec, ml_frame, LINEAGE, tracker=Tracker(store), options=options, progress=seen.append,
                   on_end=ended.append)

    assert result.status == "FINISHED" and result.version == 1 and ended == [result]
    out = result.to_dict()
    assert set(out) == {"run_id", "model", "version", "status", "metrics", "artifact_uri", "seconds", "error"}
    assert set(out["metrics"]) == {"train", "validation", "test"}
    assert {"roc_auc", "pr_auc", "f1", "log_loss", "gini"} <= set(out["metrics"]["test"])
    assert result.threshold_method == "f1" and 0.0 < (result.threshold or 0) < 1.0
    assert len(result.trials) == 2 and sum(t["best"] for t in result.trials) == 1
    assert result.splits["rows"]["train"] + result.splits["rows"]["validation"] + result.splits["rows"]["test"] == 400
    stages = [p.stage for p in seen]
    assert stages[0] == "validate" and "tune" in stages and stages[-2:] == ["register", "predictions"]
    assert any(p.stage == "tune" and p.done == 2 and p.total == 2 and p.best is not None for p in seen)

    run_id, version, rows = predictions[0]
    assert (run_id, version) == (result.run_id, 1) and len(rows) == result.splits["rows"]["test"]
    assert {r["prediction"] for r in rows} <= {"0", "1"} and all(0 <= r["probability"] <= 1 for r in rows)
    assert all((r["probability"] >= result.threshold) == (r["prediction"] == "1") for r in rows)

    files = _artifacts(store, result.run_id)
    assert {"spec.toml", "spec.json", "lineage.json", "prep_report.json", "splits.json", "tuning/trials.json",
            "evaluation/test.json", "feature_importance.json", "plots/roc.png", "plots/pr.png",
            "plots/confusion.png", "plots/trials.png", "onnx_export.json", "monitor_baseline/statistics.json",
            "monitor_baseline/constraints.json", "monitor_baseline/baseline.json"} <= files
    export = json.loads((next(Path(store.profile.lake_uri).rglob(f"{result.run_id}/artifacts/onnx_export.json")))
                        .read_text())
    assert export["status"] == "exported" and "onnx/model.onnx" in files

    run = MlflowClient(tracking_uri=store.tracking_uri).get_run(result.run_id)
    assert run.data.params["model.algorithm"] == "logistic_regression" and run.data.params["best.reg_param"]
    assert run.data.params["threshold_method"] == "f1" and run.data.tags["lakeforge.onnx.status"] == "exported"
    details = ModelRegistry(store).show(f"{unique_name}:1")
    assert details.approval.status.value == "PendingManualApproval"
    assert details.lineage == LINEAGE and details.metrics["test"]["roc_auc"] == out["metrics"]["test"]["roc_auc"]
    assert details.info.tags["lakeforge.threshold"] == repr(result.threshold)


def test_data_error_ends_the_run_failed_with_nothing_registered(ml_frame, store, unique_name) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    one_class = ml_frame.where(F.col("label") == 1)
    ended: list[TrainResult] = []
    with pytest.raises(DataError, match="single class"):
        train(_spec(unique_name), one_class, LINEAGE, tracker=Tracker(store), on_end=ended.append)
    (result,) = ended
    assert result.status == "FAILED" and result.version is None and "single class" in (result.error or "")
    run = MlflowClient(tracking_uri=store.tracking_uri).get_run(result.run_id)
    assert run.info.status == "FAILED" and "single class" in run.data.tags["lakeforge.error"]
    assert MlflowClient(tracking_uri=store.tracking_uri).search_registered_models() == []
