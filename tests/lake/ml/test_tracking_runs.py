"""Tracked runs on a real MLflow SQLite store with artifacts in a local lake (no Spark needed)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from mlflow import MlflowClient

from lake.config import load_settings
from lake.ml.errors import ExperimentLocationError, InvalidMetricError, RunStateError
from lake.ml.tracking import Lineage, TableVersion, Tracker, open_tracking
from lake.storage import LocalProfile


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("tracking")
    return load_settings({"home": str(root / "home")}, project_dir=root)


@pytest.fixture
def store(settings, local_lake):  # type: ignore[no-untyped-def]
    return open_tracking(settings, local_lake)


def test_run_logs_params_metrics_artifacts_and_finishes(store, unique_name: str, tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "roc.png").write_bytes(b"\x89PNG fake")
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "x"\n')
    with Tracker(store).start_run(unique_name, run_name="first") as run:
        logged = run.log_params({"model": {"algorithm": "logistic_regression", "reg_param": 0.1}, "seed": 7})
        first = run.log_metrics({"train": {"roc_auc": 0.91}, "test": {"roc_auc": 0.88, "f1": 0.8}})
        run.log_metrics({"validation": {"roc_auc": 0.89}})
        run.log_artifact(plots, "plots")
        run.log_artifact(spec)
        run.log_dict({"imputed": {"age": 41.5}}, "prep_report.json")
    assert logged == {"model.algorithm": "logistic_regression", "model.reg_param": "0.1", "seed": "7"}
    assert first == {"train": {"roc_auc": 0.91}, "test": {"roc_auc": 0.88, "f1": 0.8}}
    result = run.result
    assert result is not None and result.status == "FINISHED" and result.version is None
    assert result.metrics == {
        "train": {"roc_auc": 0.91}, "validation": {"roc_auc": 0.89}, "test": {"roc_auc": 0.88, "f1": 0.8},
    }
    assert result.to_dict()["metrics"]["test"]["f1"] == 0.8 and result.seconds > 0

    fresh = MlflowClient(tracking_uri=store.tracking_uri)  # a plain MLflow client reads the same store
    got = fresh.get_run(run.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"train_roc_auc": 0.91, "test_roc_auc": 0.88, "test_f1": 0.8, "validation_roc_auc": 0.89}
    assert got.data.params["model.reg_param"] == "0.1"
    assert got.data.tags["lakeforge.splits"] == "test,train,validation"
    exp = fresh.get_experiment(got.info.experiment_id)
    assert exp.name == unique_name and exp.artifact_location == store.experiment_location(unique_name)

    artifacts = Path(store.profile.lake_uri) / "ml" / "artifacts" / unique_name / run.run_id / "artifacts"
    assert (artifacts / "plots" / "roc.png").read_bytes() == b"\x89PNG fake"
    assert (artifacts / "spec.toml").read_text() == 'name = "x"\n'
    assert json.loads((artifacts / "prep_report.json").read_text()) == {"imputed": {"age": 41.5}}


def test_failed_run_is_failed_with_a_one_line_error(store, unique_name: str) -> None:
    with pytest.raises(ValueError, match="label has one class"), Tracker(store).start_run(unique_name) as run:
        run.log_params({"seed": 1})
        raise ValueError("label has one class\nsecond line of detail")
    assert run.status == "FAILED" and run.result is not None
    assert run.result.error == "label has one class"
    tags = store.client().get_run(run.run_id).data.tags
    assert store.client().get_run(run.run_id).info.status == "FAILED"
    assert tags["lakeforge.error"] == "label has one class" and tags["lakeforge.error_type"] == "ValueError"


def test_interrupted_run_is_killed(store, unique_name: str) -> None:
    with pytest.raises(KeyboardInterrupt), Tracker(store).start_run(unique_name) as run:
        raise KeyboardInterrupt
    assert store.client().get_run(run.run_id).info.status == "KILLED"


def test_ended_run_refuses_more_logging(store, unique_name: str) -> None:
    run = Tracker(store).start_run(unique_name)
    run.finish()
    with pytest.raises(RunStateError, match="cannot log metrics: the run is FINISHED"):
        run.log_metrics({"test": {"auc": 0.5}})
    with pytest.raises(RunStateError, match="nothing to register"):
        Tracker(store).start_run(unique_name).register()


@pytest.mark.parametrize(
    ("metrics", "problem"),
    [
        ({"test": {"auc": "high"}}, "expected a number"),
        ({"test": {"auc": True}}, "expected a number"),
        ({"test": {"auc": math.inf}}, "finite"),
        ({"test set": {"auc": 0.5}}, "names use letters"),
    ],
)
def test_bad_metrics_are_refused_before_anything_is_logged(store, unique_name: str, metrics, problem: str) -> None:  # type: ignore[no-untyped-def]
    with Tracker(store).start_run(unique_name) as run:
        with pytest.raises(InvalidMetricError, match=problem):
            run.log_metrics(metrics)
        assert store.client().get_run(run.run_id).data.metrics == {}


def test_nan_metric_is_logged_and_reported_as_null(store, unique_name: str) -> None:
    with Tracker(store).start_run(unique_name) as run:
        run.log_metrics({"test": {"log_loss": math.nan}})
    assert run.result is not None and run.result.to_dict()["metrics"] == {"test": {"log_loss": None}}
    assert math.isnan(store.client().get_run(run.run_id).data.metrics["test_log_loss"])


def test_lineage_is_a_json_artifact_and_run_tags(store, unique_name: str, tmp_path: Path) -> None:
    lineage = Lineage(
        "ml.heart_features",
        "SELECT * FROM silver.vitals",
        [TableVersion("silver.vitals", "/lake/silver/vitals", 3)],
        source_version=None,
    )
    with Tracker(store).start_run(unique_name) as run:
        run.set_lineage(lineage)
    tags = store.client().get_run(run.run_id).data.tags
    assert tags["lakeforge.lineage.source"] == "ml.heart_features"
    assert tags["lakeforge.lineage.tables"] == "silver.vitals@3"
    with store.artifact_access():
        local = store.client().download_artifacts(run.run_id, "lineage.json", str(tmp_path))
    assert Lineage.from_json(Path(local).read_text()) == lineage


def test_experiment_in_another_lake_is_refused(settings, tmp_path: Path, unique_name: str) -> None:  # type: ignore[no-untyped-def]
    Tracker(open_tracking(settings, LocalProfile(tmp_path / "lake_a"))).start_run(unique_name).finish()
    other = open_tracking(settings, LocalProfile(tmp_path / "lake_b"))
    with pytest.raises(ExperimentLocationError, match="outside this lake"):
        Tracker(other).start_run(unique_name)
    run = Tracker(other).start_run(unique_name, experiment=f"{unique_name}-b")
    assert run.artifact_uri.startswith(other.artifact_root)
    run.finish()


def test_long_params_are_truncated_visibly(store, unique_name: str) -> None:
    with Tracker(store).start_run(unique_name) as run:
        logged = run.log_params({"sql": "x" * 7000})
    assert len(logged["sql"]) == 6000 and logged["sql"].endswith("[truncated from 7000 characters]")
