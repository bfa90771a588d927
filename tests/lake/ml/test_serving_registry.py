"""Model sources on a real MLflow registry: ONNX exports logged with their runs, aliases moved, the Spark path."""

from __future__ import annotations

import pytest
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler

from lake.config import load_settings
from lake.ml.errors import ServingError
from lake.ml.export import export_onnx
from lake.ml.serving import ModelHolder, RegistryResolver, RegistrySparkResolver
from lake.ml.tracking import ModelRegistry, Tracker, open_tracking
from lake.storage import LocalProfile

pytestmark = pytest.mark.slow

RECORD = {"bp": 140, "noise": 0.3}


@pytest.fixture(scope="module")
def registry(spark, ml_frame, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Model ``heart``: version 1 (ONNX export logged) and version 2 (no export), alias champion → 1."""
    root = tmp_path_factory.mktemp("serving-registry")
    store = open_tracking(load_settings({"home": str(root / "home")}, project_dir=root), LocalProfile(root / "lake"))
    df = ml_frame.select("bp", "noise", "label")
    for version, reg in ((1, 0.0), (2, 3.0)):
        model = Pipeline(stages=[VectorAssembler(inputCols=["bp", "noise"], outputCol="features"),
                                 LogisticRegression(maxIter=10, regParam=reg)]).fit(df)
        with Tracker(store).start_run("heart") as run:
            run.log_spark_model(model, input_example=df.select("bp", "noise"))
            if version == 1:
                run.log_artifact(export_onnx(model, spark, df).save(root / f"onnx-{version}"), "onnx")
            run.register()
    registry = ModelRegistry(store)
    registry.set_alias("heart", "champion", 1)
    return registry


def test_resolver_follows_the_alias_and_refuses_a_version_without_onnx(registry) -> None:  # type: ignore[no-untyped-def]
    resolve = RegistryResolver(registry, "heart@champion")
    first = resolve()
    assert first.version == 1 and first.model_bytes and first.signature is not None
    assert resolve() is first  # same version: no second download
    holder = ModelHolder("heart", resolve, poll_seconds=0)
    answer = holder.load().score([RECORD])
    assert answer["version"] == 1 and answer["classes"] == [0.0, 1.0]
    registry.set_alias("heart", "champion", 2)
    try:
        with pytest.raises(ServingError, match="no ONNX export at onnx/ in run .*serve it with --spark"):
            resolve()
        assert holder.refresh() is False and holder.current.version == 1  # keeps serving version 1
    finally:
        registry.set_alias("heart", "champion", 1)


def test_spark_resolver_serves_any_version_through_spark(registry, spark) -> None:  # type: ignore[no-untyped-def]
    resolver = RegistrySparkResolver(registry, "heart:2", spark)
    holder = ModelHolder("heart", resolver, build=resolver.builder("heart"), poll_seconds=0)
    scorer = holder.load()
    assert scorer.kind == "spark" and scorer.signature.names == ("bp", "noise")
    answer = scorer.score([RECORD, {"bp": 100, "noise": -1.0}])
    assert answer["version"] == 2 and len(answer["predictions"]) == 2 and len(answer["probabilities"][0]) == 2


def test_service_process_serves_a_registry_alias(registry) -> None:  # type: ignore[no-untyped-def]
    import json
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import boto3

    process = subprocess.Popen(
        [sys.executable, "-m", "lake.ml.serving.server", "--model", "heart@champion", "--port", "0",
         "--tracking-uri", registry.store.tracking_uri, "--poll-seconds", "0.5"],
        cwd=Path(__file__).resolve().parents[3], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "endpoint=heart model=heart version=1 scorer=onnx" in line, line
        client = boto3.client("sagemaker-runtime", endpoint_url=line.split()[0], region_name="us-east-1",
                              aws_access_key_id="dummy", aws_secret_access_key="dummy")
        answer = client.invoke_endpoint(EndpointName="heart", ContentType="text/csv", Body="140,0.3")
        assert json.loads(answer["Body"].read())["version"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
