"""The report's input model: builders from the stages' own shapes, and clear errors on bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from report_testkit import FEATURES, VIEW_SQL, drift_section, ingest_rows, quality_rows

from infra.report import (
    FeatureImportance,
    IngestSection,
    Lineage,
    ModelSection,
    QualityRow,
    QualitySection,
    ReportData,
    ReportDataError,
    RocCurve,
    StageTiming,
    Status,
)


def test_ingest_section_reads_the_metrics_table_rows() -> None:
    import numpy as np

    rows = ingest_rows(np.random.default_rng(1))
    other = dict(rows[0], stream="other", batch_id=99)
    section = IngestSection.from_metrics_rows("heart", [*reversed(rows), other])

    assert [b.batch_id for b in section.batches] == list(range(8))
    assert section.records == sum(r["records_in"] for r in rows)
    assert section.errors == 3 * 8
    first = section.batches[0]
    assert first.seconds == rows[0]["duration_ms"] / 1000
    assert first.freshness_max_s == rows[0]["max_latency_ms"] / 1000
    assert first.bronze_version == 1
    assert first.started_at == rows[0]["started_at"]


def test_quality_rows_come_from_quality_results() -> None:
    section = QualitySection.from_rows(quality_rows(), run_id="etl-1")

    assert len(section.rows) == 6
    assert (section.count("passed"), section.count("warned"), section.count("dropped")) == (2, 2, 2)
    table_rule = next(r for r in section.rows if r.rule == "row_count_between")
    assert (table_rule.kind, table_rule.evaluated, table_rule.failed) == ("table", None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"status": "exploded"}, "status"), ({"action": "ignore"}, "action"), ({"kind": "column"}, "kind"),
     ({"failed": 5, "evaluated": 4}, "failed"), ({"evaluated": -1}, "evaluated")],
)
def test_a_malformed_quality_row_is_a_clear_error(change: dict[str, object], field: str) -> None:
    row = dict(table="silver.vitals", rule="valid_bp", kind="row", action="drop", evaluated=10, failed=1,
               status="dropped")
    with pytest.raises(ReportDataError) as caught:
        QualityRow(**{**row, **change})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"report data: {field}: ")


def test_model_section_from_an_evaluation_keeps_curves_confusion_and_prevalence() -> None:
    import numpy as np

    from lake.ml.evaluate import evaluate_arrays

    labels = np.array([0, 0, 1, 1, 1, 0, 1, 0], dtype=np.float64)
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.7, 0.6])
    evaluation = evaluate_arrays("binary", labels, scores=scores, classes=["no", "yes"])
    model = ModelSection.from_evaluation("heart", 2, evaluation, run_id="r1")

    assert model.ref == "heart:2"
    assert model.metrics == {"test": {k: v for k, v in evaluation.metrics.items()}}
    assert model.roc is not None and model.roc.auc == evaluation.metrics["roc_auc"]
    assert model.pr is not None and model.pr.prevalence == 0.5
    assert model.confusion == tuple(tuple(r) for r in evaluation.confusion)
    assert model.labels == ("no", "yes")


def test_model_section_rejects_a_confusion_matrix_that_does_not_fit_its_labels() -> None:
    with pytest.raises(ReportDataError, match="labels: 3 labels for a 2x2 confusion matrix"):
        ModelSection("m", 1, "binary", confusion=[[1, 2], [3, 4]], labels=["a", "b", "c"])
    with pytest.raises(ReportDataError, match="square"):
        ModelSection("m", 1, "binary", confusion=[[1, 2, 3], [3, 4, 5]], labels=["a", "b"])
    with pytest.raises(ReportDataError, match="roc: 3 fpr values but 2 tpr values"):
        RocCurve([0, 0.5, 1], [0, 1])
    with pytest.raises(ReportDataError, match="importance: 7 names for 1 values"):
        FeatureImportance(FEATURES, [0.5])


def test_drift_joins_violation_types_to_features() -> None:
    drift = drift_section()

    assert drift.drifted == ["resting_bp", "cholesterol"]
    by_name = {f.feature: f for f in drift.features}
    assert by_name["cholesterol"].violation == "baseline_drift_check, completeness_check"
    assert by_name["age"].violation is None and by_name["age"].drifted is False
    assert (drift.baseline_rows, drift.current_rows) == (4035, 800)


def test_lineage_from_a_training_record_runs_stream_to_predictions_in_order() -> None:
    record = {"source": "ml.features", "expanded_sql": VIEW_SQL, "tables": [
        {"name": "gold.g", "uri": "s3://l/gold/g", "version": 4},
        {"name": "bronze.b", "uri": "s3://l/bronze/b", "version": 8},
        {"name": "silver.s", "uri": "s3://l/silver/s", "version": 2},
    ]}
    lineage = Lineage.from_training(record, stream="heart", raw_path="s3://l/raw/heart/",
                                    model=("m", 3, "run9"), predictions=("ml.p", 0))

    assert [(n.kind, n.label) for n in lineage.nodes] == [
        ("stream", "heart"), ("raw", "s3://l/raw/heart/"), ("bronze", "bronze.b@v8"), ("silver", "silver.s@v2"),
        ("gold", "gold.g@v4"), ("view", "ml.features"), ("model", "m:3"), ("predictions", "ml.p@v0"),
    ]
    assert lineage.nodes[5].sql == VIEW_SQL
    assert lineage.nodes[6].detail == "run run9"


def test_stage_status_is_validated_and_report_data_round_trips_to_plain_json() -> None:
    import json

    with pytest.raises(ReportDataError, match="status: expected one of ok, warned, failed, skipped, not run"):
        StageTiming("train", "crashed")
    with pytest.raises(ReportDataError, match="run_id"):
        ReportData(run_id="a/b", started_at=datetime.now(UTC))
    data = ReportData(run_id="r1", started_at=datetime(2026, 1, 1, tzinfo=UTC),
                      stages=[StageTiming("ingest", Status.OK, 1.5, 10)])
    plain = json.loads(json.dumps(data.to_dict()))
    assert plain["started_at"] == "2026-01-01T00:00:00+00:00"
    assert plain["stages"] == [{"stage": "ingest", "status": "ok", "seconds": 1.5, "rows": 10, "error": None}]


def test_numpy_numbers_and_undefined_metrics_are_accepted() -> None:
    import numpy as np

    stage = StageTiming("ingest", "ok", np.float64(2.5), np.int64(4096))  # type: ignore[arg-type]
    model = ModelSection("m", 1, "binary", metrics={"test": {"roc_auc": np.float64(0.9), "log_loss": None}})

    assert (stage.seconds, stage.rows) == (2.5, 4096)
    assert model.metrics == {"test": {"roc_auc": 0.9}}


def test_tuning_reads_the_training_run_s_trials_artifact() -> None:
    from infra.report import Tuning

    artifact = {"metric": "roc_auc", "greater_is_better": True, "best_index": 1, "strategy": "random",
                "method": "holdout", "trials": [
                    {"trial": 0, "params": '{"reg_param": 0.1}', "metric": 0.88, "seconds": 4.0, "status": "OK"},
                    {"trial": 1, "params": '{"reg_param": 0.01}', "metric": 0.89, "seconds": 3.5, "status": "OK"},
                    {"trial": 2, "params": "", "metric": None, "seconds": 0.1, "status": "FAILED"}]}
    tuning = Tuning.from_result(artifact)
    assert [(t.index, dict(t.params), t.metric) for t in tuning.trials] == [
        (0, {"reg_param": 0.1}, 0.88), (1, {"reg_param": 0.01}, 0.89), (2, {}, None)]
    assert tuning.best is not None and tuning.best.index == 1
    with pytest.raises(ReportDataError, match="params"):
        Tuning.from_result({**artifact, "trials": [{"trial": 0, "params": "[1]", "metric": 1.0, "seconds": 1}]})


def test_endpoint_agreement_with_the_batch_predictions_is_shown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from infra.report import EndpointSummary, render_html

    ep = EndpointSummary(url="http://127.0.0.1:9000", requests=20, p50_ms=1.2, p99_ms=3.4, model="heart_risk:2",
                         compared=20, agreed=19, endpoint="heart-risk")
    text = render_html(ReportData(run_id="r1", started_at=datetime(2026, 12, 1, tzinfo=UTC), endpoint=ep))
    assert "heart-risk at http://127.0.0.1:9000" in text and "19 of 20" in text
    with pytest.raises(ReportDataError, match="agreed"):
        EndpointSummary(url="u", requests=1, p50_ms=None, p99_ms=None, agreed=-1)
