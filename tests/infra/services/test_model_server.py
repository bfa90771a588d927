"""``lake serve`` end to end: the CLI starts a real HTTP endpoint that boto3's sagemaker-runtime client invokes.

Covers the state-file entry and ``lake serve list``/``stop`` (exactly the recorded pid), alias
moves picked up under load without a failed request, data capture registered as
``ml.capture_<endpoint>`` and read back by the monitor, the refusal of a version whose ONNX
export failed, and the slow ``--spark`` path.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "catalog" / "inference"))

from inference_kit import World, heart_pipeline, shared_world, train_model

pytestmark = pytest.mark.slow
RECORD = {"age": 61, "resting_bp": 150, "cholesterol": 260, "max_heart_rate": 120, "st_depression": 2.3,
          "chest_pain_type": "asymptomatic"}


@pytest.fixture
def world(spark, moto_endpoint, tmp_path_factory) -> World:  # type: ignore[no-untyped-def]
    return shared_world(spark, moto_endpoint, tmp_path_factory.getbasetemp() / "inference-world")


def _lake(world: World, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*world.lake_cli(), *args], env=world.env(), cwd=world.root, capture_output=True,
                          text=True, timeout=timeout)


def _client(url: str) -> Any:
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="dummy", aws_secret_access_key="dummy")


def _invoke(client: Any, name: str, body: str, content_type: str = "application/json") -> dict[str, Any]:
    answer = client.invoke_endpoint(EndpointName=name, ContentType=content_type, Body=body)
    return json.loads(answer["Body"].read())


@contextlib.contextmanager
def _stopping(world: World, name: str):  # type: ignore[no-untyped-def]
    from infra.services.model_server import ModelEndpoint

    try:
        yield
    finally:
        service = ModelEndpoint(world.settings.home, name)
        if service.recorded() is not None:
            service.stop()


def test_serve_invoke_hot_swap_under_load_capture_and_stop(world, spark) -> None:  # type: ignore[no-untyped-def]
    from catalog.inference.monitor import run_catalog_monitor
    from infra.services.process import is_service_process

    world.registry.set_alias("heart", "champion", 1)
    with _stopping(world, "heart-t"):
        started = _lake(world, "serve", "heart@champion", "--name", "heart-t", "--capture-fraction", "1",
                        "--poll-seconds", "0.5", "--json")
        assert started.returncode == 0, started.stderr
        entry = json.loads(started.stdout)
        assert entry["scorer"] == "onnx" and entry["version_at_start"] == 1
        assert entry["capture_table"] == "ml.capture_heart_t"
        client = _client(entry["url"])
        first = _invoke(client, "heart-t", json.dumps(RECORD))
        assert first["version"] == 1 and first["predictions"][0] in (0.0, 1.0) and len(first["probabilities"][0]) == 2
        csv_answer = _invoke(client, "heart-t", "61,150,260,120,2.3,asymptomatic\n45,120,200,170,0.0,typical",
                             "text/csv")
        assert len(csv_answer["predictions"]) == 2
        listed = json.loads(_lake(world, "serve", "list", "--json").stdout)
        assert [(e["endpoint"], e["status"], e["serving_version"]) for e in listed] == [("heart-t", "running", 1)]

        failures: list[str] = []
        versions: set[int] = set()
        stop = threading.Event()

        def load() -> None:
            mine = _client(entry["url"])
            while not stop.is_set():
                try:
                    versions.add(_invoke(mine, "heart-t", json.dumps(RECORD))["version"])
                except Exception as exc:  # every failure is a test failure
                    failures.append(repr(exc))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            train = world.delta.read(world.profile.resolve("tables/heart_train"))
            version = train_model(spark, world.registry.store, train, world.root / "artifacts", "heart", reg_param=0.5)
            world.registry.set_alias("heart", "champion", version)
            deadline = time.monotonic() + 60
            while version not in versions and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
            world.registry.set_alias("heart", "champion", 1)
        assert failures == [] and versions == {1, version}

        _athena_external_function(world, spark)

        stopped = _lake(world, "serve", "stop", "heart-t")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not is_service_process(entry["pid"], ["infra.services.model_server_child"])
        assert json.loads(_lake(world, "serve", "list", "--json").stdout) == []
        again = _lake(world, "serve", "stop", "heart-t")
        assert again.returncode == 1 and "no model endpoint 'heart-t' is running" in again.stderr

    captured = world.delta.read(world.profile.resolve("ml/capture/heart-t"))
    assert captured.count() >= 2
    outcome = run_catalog_monitor(spark, world.store, world.profile, world.registry, "heart:1", "captured",
                                  endpoint="heart-t", where="model_version = '1'", delta=world.delta, write=False)
    assert outcome.result.current_rows >= 3  # the JSON record and both CSV rows, at least


def _athena_external_function(world: World, spark: Any) -> None:
    """Athena's USING EXTERNAL FUNCTION … SAGEMAKER 'heart-t' calls the running endpoint from Spark."""
    import os

    from catalog.sql import SqlEngine

    previous = {k: os.environ.get(k) for k in world.env()}
    os.environ.update(world.env())
    try:
        engine = SqlEngine(spark, world.store, world.profile, dialect="athena", save_results=False,
                           record_history=False, delta=world.delta)
        rows = engine.query(
            "USING EXTERNAL FUNCTION heart_risk(age BIGINT, resting_bp BIGINT, cholesterol BIGINT, "
            "max_heart_rate BIGINT, st_depression DOUBLE, chest_pain_type VARCHAR) RETURNS DOUBLE "
            "SAGEMAKER 'heart-t' SELECT record_id, "
            "heart_risk(age, resting_bp, cholesterol, max_heart_rate, st_depression, chest_pain_type) "
            f"AS risk FROM {world.nodrift} WHERE cholesterol IS NOT NULL LIMIT 40")
        assert len(rows) == 40 and {r["risk"] for r in rows} <= {0.0, 1.0}
        from catalog.inference.endpoints import EndpointUnavailableError

        with pytest.raises(EndpointUnavailableError, match="no running model endpoint 'nope'.*endpoints: heart-t"):
            engine.query("USING EXTERNAL FUNCTION f(x DOUBLE) RETURNS DOUBLE SAGEMAKER 'nope' SELECT f(1.0)")
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_a_version_whose_export_failed_is_refused_unless_spark(world, spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from lake.ml.tracking import Tracker
    from lake.ml.training import ONNX_ERROR_TAG, ONNX_STATUS_TAG

    train = world.delta.read(world.profile.resolve("tables/heart_train"))
    model = heart_pipeline().fit(train.withColumn("heart_disease", F.col("heart_disease").cast("double")))
    reason = "cannot export FMClassificationModel to ONNX: onnxmltools has no converter for it"
    with Tracker(world.registry.store).start_run("heart_noexport") as run:
        run.log_spark_model(model, input_example=train.select(*RECORD))
        run.set_tags({ONNX_STATUS_TAG: "failed", ONNX_ERROR_TAG: reason})
        run.register()
    refused = _lake(world, "serve", "heart_noexport")
    assert refused.returncode == 1
    assert f"cannot serve heart_noexport:1 without Spark: its ONNX export failed: {reason}" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    with _stopping(world, "noexport"):
        started = _lake(world, "serve", "heart_noexport", "--name", "noexport", "--spark", "--json")
        assert started.returncode == 0, started.stderr
        entry = json.loads(started.stdout)
        assert entry["scorer"] == "spark"
        answer = _invoke(_client(entry["url"]), "noexport", json.dumps(RECORD))
        assert answer["version"] == 1 and len(answer["predictions"]) == 1
        assert _lake(world, "serve", "stop", "noexport").returncode == 0
