"""The endpoint probe: records a signature accepts, requests through boto3's sagemaker-runtime client,
latency, refused requests and agreement with batch predictions — against a small local HTTP endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.endpoint_probe import probe_endpoint, request_record
from infra.errors import EndpointProbeError
from lake.ml.export.signature import Field, Signature

SIGNATURE = Signature(fields=(Field("age", "long", nullable=False), Field("thal", "string", categories=("a", "b")),
                              Field("bp", "double")))


class _Endpoint(BaseHTTPRequestHandler):
    """SageMaker-runtime-shaped answers: prediction 1 when age > 50; a negative age is refused (HTTP 400)."""

    seen: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        records = body["instances"] if isinstance(body, dict) and "instances" in body else [body]
        _Endpoint.seen.append((self.path, body))
        if any(r["age"] < 0 for r in records):
            self._send(400, {"ErrorCode": "ValidationError", "Message": "age must be >= 0"})
            return
        probs = [[0.2, 0.8] if r["age"] > 50 else [0.9, 0.1] for r in records]
        self._send(200, {"predictions": [1.0 if p[1] > 0.5 else 0.0 for p in probs], "probabilities": probs,
                         "model": "heart", "version": 3})

    def _send(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Endpoint.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_request_records_keep_the_signature_fields_and_skip_rows_it_refuses() -> None:
    assert request_record({"age": 61, "thal": "a", "bp": float("nan"), "prediction": 1.0}, SIGNATURE) == {
        "age": 61, "thal": "a", "bp": None}
    assert request_record({"age": None, "thal": "a", "bp": 1.0}, SIGNATURE) is None  # not nullable
    assert request_record({"age": 61, "thal": "z", "bp": 1.0}, SIGNATURE) is None  # unknown category
    assert request_record({"age": 61, "bp": 1.0}, SIGNATURE) == {"age": 61, "thal": None, "bp": 1.0}


def test_answers_are_timed_sampled_and_compared_with_the_batch_predictions(endpoint: str) -> None:
    records = [{"age": a, "thal": "a", "bp": 1.0} for a in (30, 60, 70, 40, 80)]
    expected = [{"prediction": 0.0, "probability": 0.1}, {"prediction": 1.0, "probability": 0.8},
                {"prediction": 0.0, "probability": 0.8}, None, {"prediction": 1.0, "probability": 0.8}]
    result = probe_endpoint(endpoint, "heart-risk", records, expected=expected, batch_size=2)

    assert (result.requests, result.records, result.errors) == (3, 5, 0)
    assert (result.compared, result.agreed) == (4, 3)  # record 2 disagrees; record 3 has no batch prediction
    assert (result.model, result.version) == ("heart", 3)
    assert result.p50_ms is not None and result.p99_ms is not None and 0 < result.p50_ms <= result.p99_ms
    assert [path for path, _ in _Endpoint.seen] == ["/endpoints/heart-risk/invocations"] * 3
    assert _Endpoint.seen[0][1] == {"instances": records[:2]} and _Endpoint.seen[2][1] == records[4]
    assert len(result.samples) == 3 and result.samples[0].status == 200
    assert json.loads(result.samples[0].response)["predictions"] == [0.0, 1.0]


def test_refused_requests_are_counted_with_the_first_reason(endpoint: str) -> None:
    records = [{"age": a, "thal": None, "bp": None} for a in (60, -1, -2)]
    result = probe_endpoint(endpoint, "heart-risk", records)
    assert (result.requests, result.errors) == (3, 2)
    assert result.first_error is not None and result.first_error.startswith("HTTP 400")
    assert [s.status for s in result.samples] == [200, 400, 400]


def test_no_records_or_no_server_is_one_error_naming_the_endpoint() -> None:
    with pytest.raises(EndpointProbeError, match="endpoint heart-risk: no records"):
        probe_endpoint("http://127.0.0.1:9", "heart-risk", [])
    with pytest.raises(EndpointProbeError, match="endpoint heart-risk: EndpointConnectionError"):
        probe_endpoint("http://127.0.0.1:9", "heart-risk", [{"age": 1, "thal": None, "bp": None}], timeout=2)
