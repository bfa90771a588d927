"""Log, register and load a Spark model with artifacts in a local lake and in a moto (S3) lake."""

from __future__ import annotations

import os
import random
from pathlib import Path

import boto3
import pytest

from lake.config import load_settings
from lake.ml.tracking import Lineage, ModelRegistry, TableVersion, Tracker, open_tracking
from lake.storage import uris

LINEAGE = Lineage("ml.iot_features", "SELECT * FROM silver.iot", [TableVersion("silver.iot", "s3://l/silver/iot", 5)])


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    rng = random.Random(11)
    rows = [(i, a, b, 1.0 if a + 0.3 * rng.random() > b + 0.1 else 0.0)
            for i, a, b in ((i, rng.random(), rng.random()) for i in range(100))]
    df = spark.createDataFrame(rows, "id int, a double, b double, label double")
    stages = [VectorAssembler(inputCols=["a", "b"], outputCol="features"), LogisticRegression(maxIter=20)]
    return df, Pipeline(stages=stages).fit(df)


def _objects(profile) -> list[str]:  # type: ignore[no-untyped-def]
    bucket, prefix = uris.split_s3(profile.lake_uri)
    s3 = boto3.client("s3", **profile.boto3_kwargs())
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys.extend(o["Key"][len(prefix) + 1 :] for o in page.get("Contents", []))
    return keys


@pytest.mark.moto
def test_spark_model_round_trip_with_artifacts_in_the_lake(lake, data, tmp_path: Path, unique_name: str) -> None:  # type: ignore[no-untyped-def]
    df, fitted = data
    settings = load_settings({"home": str(tmp_path / "home")}, project_dir=tmp_path)
    store = open_tracking(settings, lake)
    plot = tmp_path / "roc.png"
    plot.write_bytes(b"\x89PNG")
    with Tracker(store).start_run(unique_name) as run:
        run.log_metrics({"test": {"roc_auc": 0.9}})
        run.log_artifact(plot, "plots")
        run.set_lineage(LINEAGE)
        info = run.log_spark_model(fitted, input_example=df.select("a", "b"))
        version = run.register()
    assert run.result is not None and run.result.status == "FINISHED" and run.result.version == 1
    assert run.result.model_uri == info.artifact_uri

    lake_root = uris.to_native(lake.lake_uri)
    assert info.artifact_uri.startswith(store.experiment_location(unique_name))
    assert uris.to_native(store.artifact_root).startswith(lake_root)
    if uris.is_s3(lake.lake_uri):
        keys = _objects(lake)
        model_dir = info.artifact_uri[len(lake_root) + 1 :]
        run_dir = f"ml/artifacts/{unique_name}/{run.run_id}/artifacts"
        assert f"{model_dir}/MLmodel" in keys and f"{model_dir}/input_example.json" in keys
        assert any(k.startswith(f"{model_dir}/sparkml/stages/") and k.endswith(".parquet") for k in keys)
        assert {f"{run_dir}/plots/roc.png", f"{run_dir}/lineage.json"} <= set(keys)
        assert "MLFLOW_S3_ENDPOINT_URL" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ
    else:
        assert (Path(info.artifact_uri.removeprefix("file://")) / "MLmodel").is_file()

    registry = ModelRegistry(store)
    assert registry.lineage_of(version.ref) == LINEAGE
    loaded = registry.load_spark_model(f"{unique_name}:1")
    expected = [r.prediction for r in fitted.transform(df).orderBy("id").collect()]
    assert [r.prediction for r in loaded.transform(df).orderBy("id").collect()] == expected

    import mlflow.spark

    with store.artifact_access():  # a stock MLflow consumer loads the same artifact
        stock = mlflow.spark.load_model(info.artifact_uri, dfs_tmpdir=str(tmp_path / "dfs"))
    assert [r.prediction for r in stock.transform(df).orderBy("id").collect()] == expected
