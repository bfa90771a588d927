"""The model monitor over the catalog on the heart simulator's ``drift_after`` data: drift flagged, no drift not."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from catalog.inference import PredictOptions, run_batch_predict
from catalog.inference.monitor import VIOLATIONS_TABLE, BaselineMissingError, run_catalog_monitor

pytestmark = pytest.mark.slow


def _monitor(world, spark, source: str, **kwargs):  # type: ignore[no-untyped-def]
    return run_catalog_monitor(spark, world.store, world.profile, world.registry, "heart", source,
                               delta=world.delta, **kwargs)


def _violations(world, run_id: str) -> list[dict]:  # type: ignore[type-arg]
    table = world.store.get_table(*VIOLATIONS_TABLE.split("."))
    return [r.asDict() for r in world.delta.read(table.location).where(f"run_id = '{run_id}'").collect()]


def test_the_drifted_window_is_flagged_and_written(world, spark) -> None:  # type: ignore[no-untyped-def]
    outcome = _monitor(world, spark, world.drift)
    result = outcome.result
    checks = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert ("spo2", "extra_column_check") in checks
    assert ("cholesterol", "completeness_check") in checks
    assert {f for f, _ in checks} <= {"spo2", "cholesterol"}
    stored = _violations(world, result.run_id)
    assert {(r["feature"], r["check_type"]) for r in stored} == checks
    assert {r["model"] for r in stored} == {"heart"} and {r["version"] for r in stored} == {"1"}
    report = outcome.report_uri + "/report.html"
    fs = world.profile.filesystem()
    assert fs.get_file_info(world.profile.fs_path(report)).size > 1000
    assert fs.get_file_info(world.profile.fs_path(outcome.report_uri + "/constraint_violations.json")).size > 0


def test_the_undrifted_window_is_not_flagged_and_late_labels_give_model_quality(world, spark) -> None:  # type: ignore[no-untyped-def]
    scored = f"{world.db}.monitor_scores"
    run_batch_predict(spark, world.store, world.profile, world.registry, "heart", world.nodrift, scored,
                      PredictOptions(mode="overwrite"), delta=world.delta)
    outcome = _monitor(world, spark, scored, ground_truth=world.truth, on=["record_id"])
    result = outcome.result
    assert result.violations == [], [v.description for v in result.violations]
    assert result.model_quality is not None and result.model_quality.rows == 1000
    assert _violations(world, result.run_id) == []
    assert {s["table"] for s in outcome.sources} >= {scored, world.truth}


def test_lake_monitor_cli_and_job(world, spark, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    from infra.cli.main import app

    result = CliRunner().invoke(app, ["monitor", "run", "heart", "--input", world.drift, "--json"], env=world.env())
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["has_violations"] and "spo2" in payload["extra_columns"]
    plain = CliRunner().invoke(app, ["monitor", "run", "heart", "--input", world.nodrift], env=world.env())
    assert plain.exit_code == 0 and "0 violation(s)" in plain.stdout

    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    path = Path(__file__).resolve().parents[3] / "jobs" / "monitor.py"
    spec = importlib.util.spec_from_file_location("monitor_job", path)
    assert spec is not None and spec.loader is not None
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    assert job.main(["heart", "--input", world.drift, "--fail-on-violations"]) == 3
    assert job.main(["heart", "--input", world.nodrift, "--fail-on-violations"]) == 0


def test_a_version_without_baseline_is_a_clear_error(world, spark) -> None:  # type: ignore[no-untyped-def]
    from inference_kit import CATEGORICAL, NUMERIC, heart_pipeline
    from pyspark.sql import functions as F

    from lake.ml.tracking import Tracker

    train = world.delta.read(world.profile.resolve("tables/heart_train"))

    model = heart_pipeline().fit(train.withColumn("heart_disease", F.col("heart_disease").cast("double")))
    with Tracker(world.registry.store).start_run("heart_nobaseline") as run:
        run.log_spark_model(model, input_example=train.select(*NUMERIC, *CATEGORICAL))
        run.register()
    with pytest.raises(BaselineMissingError, match="has no monitoring baseline .* retrain it with lake train"):
        run_catalog_monitor(spark, world.store, world.profile, world.registry, "heart_nobaseline", world.drift,
                            delta=world.delta)
