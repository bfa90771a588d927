"""The example specs in infra/ml train on simulator data built through bronze → SQL library → ETL.

heart_risk runs with ``--set tune.max_trials=2`` (its search is otherwise six trials) to keep the
suite fast on two cores; every other key is the example's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog.ml import train_spec
from lake.ml.spec import load_spec
from lake.ml.tracking import ModelRegistry

from .conftest import SPECS

pytestmark = pytest.mark.slow


def _run_row(lake: Any, run_id: str) -> dict[str, Any]:
    (row,) = lake.rows(f"SELECT * FROM ml.runs WHERE run_id = '{run_id}'")
    return row


def test_heart_risk_tunes_a_logistic_regression_over_the_feature_view(simulated_lake: Any) -> None:
    result = train_spec(load_spec(SPECS / "heart_risk.toml", ["tune.max_trials=2"]), simulated_lake.training_env())
    assert result.status == "FINISHED" and result.model == "heart_risk" and result.version is not None
    assert result.metrics["test"]["roc_auc"] > 0.7  # ~100 test rows of a learnable label
    assert len(result.trials) == 2 and result.threshold_method == "f1"
    assert [t.name for t in result.lineage.tables] == ["silver.heart_visits"]  # the view's table, versioned
    assert result.lineage.tables[0].version is not None and "silver.heart_visits" in result.lineage.expanded_sql
    row = _run_row(simulated_lake, result.run_id)
    assert row["status"] == "FINISHED" and row["version"] == result.version and row["source"] == "ml.heart_features"
    predicted = simulated_lake.rows(f"SELECT count(*) AS n FROM ml.predictions WHERE run_id = '{result.run_id}'")
    assert predicted == [{"n": result.splits["rows"]["test"]}]


def test_iot_failure_predicts_vibration_alarms_from_rolling_features(simulated_lake: Any) -> None:
    simulated_lake.apply(SPECS / "views" / "ml_iot_features.sql")
    result = train_spec(load_spec(SPECS / "iot_failure.toml"), simulated_lake.training_env())
    assert result.status == "FINISHED" and result.splits["method"] == "time"
    assert set(result.splits["classes"]["test"]) == {"0", "1"}
    assert result.metrics["test"]["roc_auc"] > 0.8 and result.threshold_method == "youden"
    assert [t.name for t in result.lineage.tables] == ["bronze.iot"]


def test_heart_clusters_chooses_k_by_silhouette(simulated_lake: Any) -> None:
    result = train_spec(load_spec(SPECS / "heart_clusters.toml"), simulated_lake.training_env())
    assert result.status == "FINISHED" and set(result.metrics) == {"train", "test"}
    assert -1 <= result.metrics["test"]["silhouette"] <= 1 and result.metrics["test"]["sse"] > 0
    details = ModelRegistry(simulated_lake.tracking).show(f"heart_clusters:{result.version}")
    assert 2 <= int(details.params["fitted.k"]) <= 6
    artifacts = Path(result.artifact_uri.removeprefix("file://"))
    assert (artifacts / "plots" / "elbow.png").is_file()  # silhouette for every k tried


def test_heart_topics_models_the_visit_notes_and_records_why_onnx_refused(simulated_lake: Any) -> None:
    simulated_lake.apply(SPECS / "views" / "ml_heart_notes.sql")
    notes = simulated_lake.rows("SELECT notes FROM ml.heart_notes LIMIT 1")[0]["notes"]
    assert "chest pain" in notes
    result = train_spec(load_spec(SPECS / "heart_topics.toml"), simulated_lake.training_env())
    assert result.status == "FINISHED" and result.metrics["test"]["log_perplexity"] > 0
    assert result.export["status"] == "failed" and result.export["error"].startswith("cannot export RegexTokenizer")
    info = ModelRegistry(simulated_lake.tracking).resolve(f"heart_topics:{result.version}")
    assert info.tags["lakeforge.onnx.status"] == "failed" and info.tags["lakeforge.onnx.error"]
    topics = simulated_lake.rows(f"SELECT count(DISTINCT prediction) AS k FROM ml.predictions "
                                 f"WHERE run_id = '{result.run_id}'")
    assert 1 <= topics[0]["k"] <= 3
