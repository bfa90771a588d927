"""Training over the catalog on the moto server: lineage, results tables, reproduce, FAILED runs, quality gate."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from mlflow import MlflowClient

from catalog.etl import FailedQualityError
from catalog.ml import SQL_SOURCE, TrainingSourceError, check_quality, reproduce, resolve_source, train_spec
from lake.ml.errors import DataError
from lake.ml.spec import TrainSpec
from lake.storage import uris

from .conftest import spec_data, sql_spec_data

pytestmark = pytest.mark.moto


@pytest.fixture(scope="module")
def lake(moto_catalog_lake: Any) -> Any:
    return moto_catalog_lake


@pytest.fixture(scope="module")
def trained(lake: Any) -> Any:
    return train_spec(TrainSpec.from_mapping(spec_data("visits_risk")), lake.env())


def _resolve(lake: Any, **extra: Any) -> Any:
    return resolve_source(TrainSpec.from_mapping(spec_data("x", **extra)), lake.spark, lake.store, lake.profile,
                          delta=lake.delta)


def test_a_view_source_is_expanded_to_its_tables_with_their_versions(lake: Any) -> None:
    version = int(lake.delta.snapshot("silver/visits").version())
    source = _resolve(lake)
    assert source.kind == "view" and source.lineage.source == "ml.visit_features"
    sql = source.lineage.expanded_sql
    assert "silver.visits" in sql and "visit_base" in sql and "ml.visit_base" not in sql  # the nested view inlined
    assert [(t.name, t.version) for t in source.lineage.tables] == [("silver.visits", version)]
    assert source.lineage.tables[0].uri == lake.profile.resolve("silver/visits")
    assert source.df.count() == lake.rows("SELECT count(*) AS n FROM ml.visit_features")[0]["n"]


def test_inline_sql_and_table_sources(lake: Any) -> None:
    inline = resolve_source(TrainSpec.from_mapping(sql_spec_data("x", "SELECT * FROM ml.visit_features WHERE bp > 0")),
                            lake.spark, lake.store, lake.profile)
    assert inline.lineage.source == SQL_SOURCE and "ml.visit" not in inline.lineage.expanded_sql
    table = _resolve(lake, source="silver.visits", source_version=0)
    assert table.kind == "table" and table.lineage.source_version == 0 and table.lineage.expanded_sql is None
    assert table.df.count() == 240
    with pytest.raises(TrainingSourceError, match="applies to a table; this is a view"):
        _resolve(lake, source_version=0)


def test_results_are_delta_tables_queryable_with_sql_and_written_once(lake: Any, trained: Any) -> None:
    assert trained.status == "FINISHED" and trained.version == 1
    run_id = trained.run_id
    (run,) = lake.rows(f"SELECT * FROM ml.runs WHERE run_id = '{run_id}'")
    assert (run["status"], run["version"], run["source"], run["algorithm"]) == (
        "FINISHED", 1, "ml.visit_features", "logistic_regression")
    assert '"silver.visits"' in run["source_versions"] and run["error"] is None and run["seconds"] > 0
    metrics = {(r["split"], r["metric"]): r["value"]
               for r in lake.rows(f"SELECT split, metric, value FROM ml.metrics WHERE run_id = '{run_id}'")}
    assert metrics[("test", "roc_auc")] == trained.metrics["test"]["roc_auc"]
    assert {s for s, _ in metrics} == {"train", "validation", "test"}
    (predicted,) = lake.rows(f"SELECT count(*) AS n, count(DISTINCT id) AS ids, min(version) AS v "
                             f"FROM ml.predictions WHERE run_id = '{run_id}'")
    assert predicted == {"n": trained.splits["rows"]["test"], "ids": trained.splits["rows"]["test"], "v": 1}

    lake.env().results.record(trained)  # the same run again: every table is a no-op
    assert lake.rows(f"SELECT count(*) AS n FROM ml.runs WHERE run_id = '{run_id}'") == [{"n": 1}]
    assert lake.rows(f"SELECT count(*) AS n FROM ml.metrics WHERE run_id = '{run_id}'") == [{"n": len(metrics)}]
    assert lake.store.get_table("ml", "runs").table_type == "MANAGED_TABLE"


def test_artifacts_and_model_live_in_the_s3_lake(lake: Any, trained: Any) -> None:
    bucket, prefix = uris.split_s3(lake.profile.lake_uri)
    s3 = boto3.client("s3", **lake.profile.boto3_kwargs())
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])]
    run_dir = f"{prefix}/ml/artifacts/visits_risk/{trained.run_id}/artifacts"
    for name in ("spec.json", "lineage.json", "prep_report.json", "onnx/model.onnx", "plots/roc.png",
                 "monitor_baseline/statistics.json"):
        assert f"{run_dir}/{name}" in keys, name
    assert any(k.endswith("/MLmodel") for k in keys) and "MLFLOW_S3_ENDPOINT_URL" not in os.environ
    assert trained.artifact_uri.startswith(f"s3://{bucket}/{prefix}/ml/artifacts/")


def test_reproduce_reads_the_recorded_versions_and_gets_the_same_metrics(lake: Any, trained: Any) -> None:
    before = trained.lineage.tables[0].version
    newer = lake.append_visits(60, start=10_000)  # data the reproduction must not see
    assert newer > before and _resolve(lake).df.count() > trained.splits["rows"]["train"] + 100
    reproduced = reproduce("visits_risk:1", lake.env())
    assert reproduced.same_metrics, reproduced.differences
    assert reproduced.result.version == 2 and reproduced.result.splits == trained.splits
    assert reproduced.result.lineage.tables == trained.lineage.tables
    assert reproduced.result.lineage.expanded_sql == trained.lineage.expanded_sql
    (row,) = lake.rows(f"SELECT reproduces, status FROM ml.runs WHERE run_id = '{reproduced.result.run_id}'")
    assert row == {"reproduces": "visits_risk:1", "status": "FINISHED"}


def test_a_failed_run_is_recorded_failed_and_registers_nothing(lake: Any) -> None:
    data = sql_spec_data("visits_one_class", "SELECT * FROM ml.visit_features WHERE label = 1")
    with pytest.raises(DataError, match="single class"):
        train_spec(TrainSpec.from_mapping(data), lake.env())
    (row,) = lake.rows("SELECT run_id, status, error, version FROM ml.runs WHERE model = 'visits_one_class'")
    assert row["status"] == "FAILED" and "single class" in row["error"] and row["version"] is None
    client = MlflowClient(tracking_uri=lake.tracking.tracking_uri)
    assert client.get_run(row["run_id"]).info.status == "FAILED"
    assert "visits_one_class" not in [m.name for m in client.search_registered_models()]


def test_the_quality_gate_refuses_a_failed_table_unless_allowed(lake: Any) -> None:
    from lake.etl import ResultsTable
    from lake.quality import QualityResult, RuleAction, RuleKind, RuleStatus

    def record(run_id: str, status: RuleStatus) -> None:
        ResultsTable(lake.profile).append([QualityResult(run_id, "silver.visits", "plausible_bp", RuleKind.ROW,
                                                         RuleAction.FAIL, 240, 3 if status == "failed" else 0,
                                                         status, 0.1)])

    record("q-failed", RuleStatus.FAILED)
    try:
        with pytest.raises(FailedQualityError, match="silver.visits.*plausible_bp.*allow-failed-quality"):
            train_spec(TrainSpec.from_mapping(spec_data("visits_gated")), lake.env())
        statuses = check_quality(lake.env(), _resolve(lake), allow_failed=True)
        assert [(s["table"], s["status"]) for s in statuses] == [("silver.visits", "failed")]
    finally:
        record("q-passed", RuleStatus.PASSED)
    assert [s["status"] for s in check_quality(lake.env(), _resolve(lake))] == ["passed"]
