"""The endpoint over real HTTP on 127.0.0.1: boto3 ``sagemaker-runtime``, JSON and CSV, bad requests, fuzzing,
the Spark path, and the service process stopped by SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import (
    Imputer,
    IndexToString,
    OneHotEncoder,
    SQLTransformer,
    StandardScaler,
    StringIndexer,
    VectorAssembler,
)

from lake.ml.export import OnnxExport, export_onnx, verify_export
from lake.ml.serving import EndpointServer, ModelHolder, ModelPackage, Scorer, SparkScorer

REPO = Path(__file__).resolve().parents[3]
FIELDS = ("age", "bp", "chol", "smoker", "sex")
RECORD = {"age": 61.0, "bp": 142, "chol": 231.5, "smoker": "current", "sex": True}
OTHER = {"age": None, "bp": 118, "chol": 180.0, "smoker": None, "sex": False}


@pytest.fixture(scope="module")
def heart(spark, ml_frame):  # type: ignore[no-untyped-def]
    """A string-label classifier with the usual prep, exported and verified."""
    df = ml_frame.select(*FIELDS, "outcome")
    label = StringIndexer(inputCol="outcome", outputCol="outcome_index").fit(df)
    stages = [
        label,
        SQLTransformer(statement="SELECT *, CAST(sex AS DOUBLE) AS _sex FROM __THIS__"),
        Imputer(inputCols=["age", "chol"], outputCols=["_age", "_chol"]),
        StringIndexer(inputCol="smoker", outputCol="_smoker", handleInvalid="keep"),
        OneHotEncoder(inputCol="_smoker", outputCol="_smoker_oh"),
        VectorAssembler(inputCols=["_age", "bp", "_chol", "_smoker_oh", "_sex"], outputCol="_raw"),
        StandardScaler(inputCol="_raw", outputCol="features", withMean=True),
        LogisticRegression(labelCol="outcome_index", predictionCol="_predicted", maxIter=30),
        IndexToString(inputCol="_predicted", outputCol="prediction", labels=list(label.labels)),
    ]
    model: PipelineModel = Pipeline(stages=stages).fit(df)
    export = export_onnx(model, spark, df)
    verify_export(export, model, df)
    return export, model, df


@pytest.fixture
def endpoint(heart) -> Iterator[EndpointServer]:  # type: ignore[no-untyped-def]
    export, _, _ = heart
    holder = ModelHolder("heart", lambda: ModelPackage(7, export.model_bytes, export.signature), poll_seconds=0)
    with EndpointServer(holder, name="heart-risk", port=0) as server:
        yield server


def runtime(server: EndpointServer):  # type: ignore[no-untyped-def]
    return boto3.client("sagemaker-runtime", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="dummy", aws_secret_access_key="dummy")


def request(server: EndpointServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def spark_scores(heart, records: list[dict[str, Any]]) -> tuple[list[str], list[list[float]]]:  # type: ignore[no-untyped-def]
    export, model, df = heart
    frame = df.sparkSession.createDataFrame([tuple(r[f] for f in FIELDS) for r in records],
                                            export.signature.spark_schema())
    rows = model.transform(frame).select("prediction", "probability").collect()
    return [r[0] for r in rows], [list(r[1].toArray()) for r in rows]


def test_ping_reports_the_model_and_version(endpoint: EndpointServer) -> None:
    status, headers, body = request(endpoint, "GET", "/ping")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "endpoint": "heart-risk", "model": "heart", "version": 7,
                                "scorer": "onnx"}


def test_boto3_invokes_json_and_csv_and_matches_spark(endpoint: EndpointServer, heart) -> None:  # type: ignore[no-untyped-def]
    client = runtime(endpoint)
    labels, probabilities = spark_scores(heart, [RECORD, OTHER])
    single = client.invoke_endpoint(EndpointName="heart-risk", ContentType="application/json",
                                    Accept="application/json", Body=json.dumps(RECORD))
    assert single["ContentType"] == "application/json" and single["InvokedProductionVariant"] == "heart-v7"
    answer = json.loads(single["Body"].read())
    assert answer["predictions"] == labels[:1] and answer["model"] == "heart" and answer["version"] == 7
    assert answer["classes"] == list(heart[0].signature.classes)
    assert answer["probabilities"][0] == pytest.approx(probabilities[0], abs=1e-9)
    bodies = [json.dumps([RECORD, OTHER]), json.dumps({"instances": [RECORD, [OTHER[f] for f in FIELDS]]})]
    for body in bodies:
        many = json.loads(client.invoke_endpoint(EndpointName="heart-risk", ContentType="application/json",
                                                 Body=body)["Body"].read())
        assert many["predictions"] == labels
    csv = "61.0,142,231.5,current,true\n,118,180.0,,false\n"
    rows = json.loads(client.invoke_endpoint(EndpointName="heart-risk", ContentType="text/csv", Body=csv)["Body"]
                      .read())
    assert rows["predictions"] == labels
    assert rows["probabilities"][1] == pytest.approx(probabilities[1], abs=1e-9)


def test_boto3_routes_by_endpoint_name(endpoint: EndpointServer) -> None:
    # botocore calls POST /endpoints/{EndpointName}/invocations: another name is not this endpoint.
    with pytest.raises(ClientError) as caught:
        runtime(endpoint).invoke_endpoint(EndpointName="other", ContentType="application/json", Body="{}")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "endpoint 'other' not found" in caught.value.response["Error"]["Message"]


def test_boto3_sees_a_bad_request_as_validation_error(endpoint: EndpointServer) -> None:
    with pytest.raises(ClientError) as caught:
        runtime(endpoint).invoke_endpoint(EndpointName="heart-risk", ContentType="application/json",
                                          Body=json.dumps({**RECORD, "bp": "high"}))
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ValidationError"
    assert error["Message"] == "record 0: field 'bp' expects a number, got a string"


BAD = [
    ("malformed json", {"Content-Type": "application/json"}, b'{"age": ', 400, "malformed JSON"),
    ("wrong type", {"Content-Type": "application/json"}, json.dumps({**RECORD, "sex": "yes"}).encode(), 400,
     "field 'sex' expects true or false"),
    ("missing field", {"Content-Type": "application/json"},
     json.dumps({k: v for k, v in RECORD.items() if k != "chol"}).encode(), 400, "missing field 'chol'"),
    ("extra field", {"Content-Type": "application/json"}, json.dumps({**RECORD, "zip": "123"}).encode(), 400,
     "unknown field 'zip'"),
    ("null where not imputed", {"Content-Type": "application/json"}, json.dumps({**RECORD, "bp": None}).encode(),
     400, "field 'bp' is null"),
    ("empty body", {"Content-Type": "application/json"}, b"", 400, "empty request body"),
    ("csv width", {"Content-Type": "text/csv"}, b"1,2,3", 400, "expected 5 values"),
    ("unsupported type", {"Content-Type": "application/x-protobuf"}, b"\x08\x01", 415, "unsupported content type"),
    ("unacceptable accept", {"Content-Type": "application/json", "Accept": "text/html"}, json.dumps(RECORD).encode(),
     406, "cannot answer in 'text/html'"),
]


@pytest.mark.parametrize(("case", "headers", "body", "status", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_get_a_4xx_with_one_line_json(endpoint: EndpointServer, case: str, headers: dict[str, str],
                                                   body: bytes, status: int, fragment: str) -> None:
    got, response_headers, payload = request(endpoint, "POST", "/invocations", body, headers)
    assert got == status, payload
    assert b"\n" not in payload and fragment in json.loads(payload)["message"]
    assert response_headers["x-amzn-ErrorType"] == "ValidationError"
    assert request(endpoint, "GET", "/ping")[0] == 200


def test_oversized_body_is_refused_with_413(endpoint: EndpointServer) -> None:
    body = json.dumps([RECORD] * 90_000).encode()  # ~6.75 MB, over SageMaker's 6 MB
    assert len(body) > 6 * 1024 * 1024
    status, _, payload = request(endpoint, "POST", "/invocations", body, {"Content-Type": "application/json"})
    assert status == 413 and "limit is 6,291,456 bytes" in json.loads(payload)["message"]
    assert request(endpoint, "POST", "/invocations", json.dumps(RECORD).encode(),
                   {"Content-Type": "application/json"})[0] == 200


def test_other_paths_and_methods(endpoint: EndpointServer) -> None:
    assert request(endpoint, "GET", "/models")[0] == 404
    assert request(endpoint, "POST", "/predict", b"{}", {"Content-Type": "application/json"})[0] == 404
    assert request(endpoint, "DELETE", "/invocations")[0] == 405
    status, _, payload = request(endpoint, "BREW", "/invocations")
    assert status == 405 and json.loads(payload)["error"] == "BadRequest"
    assert request(endpoint, "POST", "/invocations", b'{"a": 1}',
                   {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})[0] == 411


def test_extra_fields_can_be_ignored_by_the_server(heart) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = heart
    holder = ModelHolder("heart", lambda: ModelPackage(1, export.model_bytes, export.signature), poll_seconds=0)
    with EndpointServer(holder, port=0, extra_fields="ignore") as server:
        status, _, payload = request(server, "POST", "/invocations", json.dumps({**RECORD, "zip": "1"}).encode(),
                                     {"Content-Type": "application/json"})
    assert status == 200 and len(json.loads(payload)["predictions"]) == 1


_CONTENT_TYPES = st.sampled_from(["application/json", "text/csv", "application/json; charset=utf-8", "text/plain",
                                  "", "application/octet-stream", "TEXT/CSV"]) | st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"), max_size=30)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from([*FIELDS, "x"]), children,
                                                                      max_size=6),
    max_leaves=12,
)
_BODIES = (st.binary(max_size=300)
           | _JSON_VALUES.map(lambda v: json.dumps(v).encode())
           | st.dictionaries(st.sampled_from(FIELDS), _JSON_VALUES, max_size=5).map(lambda v: json.dumps(v).encode())
           | st.lists(st.text(alphabet="0123456789.,-truefalsnv\n\" ", max_size=40), max_size=3)
           .map(lambda rows: "\n".join(rows).encode()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content_type=_CONTENT_TYPES, body=_BODIES)
def test_fuzzed_requests_never_get_a_5xx(endpoint: EndpointServer, content_type: str, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type.strip() else {}
    status, _, payload = request(endpoint, "POST", "/invocations", body, headers)
    assert status < 500, payload
    answer = json.loads(payload)
    assert ("predictions" in answer) if status == 200 else ("message" in answer and b"\n" not in payload)
    assert request(endpoint, "GET", "/ping")[0] == 200


def test_spark_scorer_answers_like_the_onnx_scorer(heart) -> None:  # type: ignore[no-untyped-def]
    export, model, df = heart
    onnx = Scorer(export.model_bytes, name="heart", version=3)
    slow = SparkScorer.for_pipeline(model, df.sparkSession, df.schema, name="heart", version=3)
    assert slow.signature.fields == onnx.signature.fields
    fast_answer, slow_answer = onnx.score([RECORD, OTHER]), slow.score([RECORD, OTHER])
    assert slow_answer["predictions"] == fast_answer["predictions"]
    for a, b in zip(slow_answer["probabilities"], fast_answer["probabilities"], strict=True):
        assert a == pytest.approx(b, abs=1e-9)
    assert {k: v for k, v in slow_answer.items() if k not in ("predictions", "probabilities")} == {
        k: v for k, v in fast_answer.items() if k not in ("predictions", "probabilities")}


@pytest.mark.slow
def test_service_process_serves_until_sigterm_then_flushes_capture(heart, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lake.delta.arrow_read import read_arrow
    from lake.storage import LocalProfile

    export, _, _ = heart
    model_dir = export.save(tmp_path / "heart")
    capture = tmp_path / "lake" / "capture"
    process = subprocess.Popen(
        [sys.executable, "-m", "lake.ml.serving.server", "--onnx", str(model_dir), "--port", "0", "--name", "svc",
         "--version", "4", "--capture-fraction", "1", "--capture-uri", str(capture),
         "--capture-flush-seconds", "3600"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split()[0]
        assert url.startswith("http://127.0.0.1:") and "model=heart version=4 scorer=onnx" in line
        client = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="dummy", aws_secret_access_key="dummy")
        for i in range(3):
            client.invoke_endpoint(EndpointName="svc", ContentType="application/json", Body=json.dumps(RECORD),
                                   InferenceId=f"req-{i}")
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    table = read_arrow(str(capture), LocalProfile(tmp_path / "lake")).to_pylist()
    assert sorted(r["inference_id"] for r in table) == ["req-0", "req-1", "req-2"]
    assert {(r["endpoint"], r["model_name"], r["model_version"], r["records"]) for r in table} == {
        ("svc", "heart", "4", 1)}
    assert json.loads(table[0]["input_data"]) == RECORD and "predictions" in json.loads(table[0]["output_data"])


def test_saved_export_loads_into_a_scorer(heart, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = heart
    loaded = OnnxExport.load(export.save(tmp_path / "m"))
    assert Scorer(loaded.model_bytes, name="heart", version=1).score([RECORD]) == Scorer(
        export.model_bytes, name="heart", version=1, signature=export.signature).score([RECORD])
