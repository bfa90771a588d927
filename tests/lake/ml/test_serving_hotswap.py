"""Alias moves under load: the endpoint swaps versions without one failed request; bad versions never go live."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import Imputer, VectorAssembler

from lake.ml.export import export_onnx
from lake.ml.serving import EndpointServer, ModelHolder, ModelPackage

RECORD = json.dumps({"age": 58.0, "bp": 131, "chol": 205.0}).encode()


@pytest.fixture(scope="module")
def versions(spark, ml_frame):  # type: ignore[no-untyped-def]
    """Two different fitted models over the same inputs: the bytes of versions 1/3 and of version 2."""
    df = ml_frame.select("age", "bp", "chol", "label")
    out = []
    for reg in (0.0, 5.0):
        stages = [Imputer(inputCols=["age"], outputCols=["_age"]),
                  VectorAssembler(inputCols=["_age", "bp", "chol"], outputCol="features"),
                  LogisticRegression(maxIter=20, regParam=reg)]
        export = export_onnx(Pipeline(stages=stages).fit(df), spark, df)
        out.append((export.model_bytes, export.signature))
    return {1: out[0], 2: out[1], 3: out[0]}


class Registry:
    """A stand-in for ``MODEL@champion``: the test moves the alias, the endpoint polls it."""

    def __init__(self, versions: dict[int, Any]) -> None:
        self.versions = versions
        self.alias = 1
        self.calls = 0

    def resolve(self) -> ModelPackage:
        self.calls += 1
        data, signature = self.versions[self.alias]
        return ModelPackage(self.alias, data, signature)


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_alias_moves_twice_under_load_without_a_failed_request(versions) -> None:  # type: ignore[no-untyped-def]
    registry = Registry(versions)
    holder = ModelHolder("heart", registry.resolve, poll_seconds=0.1)
    stop = threading.Event()
    seen: list[list[tuple[int, int, bytes]]] = [[] for _ in range(6)]

    def client(server: EndpointServer, mine: list[tuple[int, int, bytes]]) -> None:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        while not stop.is_set():
            try:
                connection.request("POST", "/invocations", RECORD, {"Content-Type": "application/json"})
                response = connection.getresponse()
                body = response.read()
                version = json.loads(body)["version"] if response.status == 200 else -1
                mine.append((response.status, version, body))
            except (OSError, http.client.HTTPException) as exc:
                mine.append((0, -1, repr(exc).encode()))
                connection.close()
                connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        connection.close()

    def count(version: int) -> int:
        return sum(1 for thread in seen for _, v, _ in list(thread) if v == version)

    with EndpointServer(holder, port=0) as server:
        threads = [threading.Thread(target=client, args=(server, mine)) for mine in seen]
        for t in threads:
            t.start()
        try:
            _wait(lambda: count(1) >= 100)
            registry.alias = 2
            _wait(lambda: count(2) >= 100)
            registry.alias = 3
            _wait(lambda: count(3) >= 100)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
    failures = [(s, body) for thread in seen for s, _, body in thread if s != 200]
    assert not failures, failures[:3]
    assert holder.swaps == 2 and holder.poll_errors == 0
    for thread in seen:  # each client sees 1, then 2, then 3: never an older version after a newer one
        order = [v for _, v, _ in thread]
        assert order == sorted(order)
    first = {v: json.loads(body)["probabilities"][0] for thread in seen for _, v, body in thread}
    assert first[1] == first[3] != first[2]  # versions 1 and 3 are the same model, 2 another


def test_failed_polls_and_broken_versions_keep_the_current_model(versions) -> None:  # type: ignore[no-untyped-def]
    data, signature = versions[1]
    state: dict[str, Any] = {"mode": "ok"}

    def resolve() -> ModelPackage:
        if state["mode"] == "down":
            raise ConnectionError("registry unreachable")
        if state["mode"] == "broken":
            return ModelPackage(2, b"not an onnx model", signature)
        return ModelPackage(1, data, signature)

    holder = ModelHolder("heart", resolve, poll_seconds=0)
    with EndpointServer(holder, port=0) as server:
        for mode in ("down", "broken"):
            state["mode"] = mode
            assert holder.refresh() is False
            connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
            connection.request("POST", "/invocations", RECORD, {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["version"] == 1
            connection.close()
    assert holder.poll_errors == 2 and holder.swaps == 0
    assert "onnxruntime cannot load it" in (holder.last_error or "")


def test_a_server_does_not_start_without_a_model() -> None:
    def resolve() -> ModelPackage:
        raise LookupError("no alias champion")

    with pytest.raises(LookupError):
        EndpointServer(ModelHolder("heart", resolve, poll_seconds=0), port=0).start()
