"""Transient Kinesis failures are retried with backoff; terminal ones fail clearly.

Faults are injected over real HTTP by a loopback proxy in front of the moto server.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from lake.stream.kinesis import (
    KinesisOptions,
    KinesisServiceError,
    KinesisStreamNotFoundError,
    KinesisUnavailableError,
)
from lake.stream.kinesis.client import KinesisClient

pytestmark = pytest.mark.moto


@dataclass
class FaultProxy:
    """Answers the next requests for ``operation`` with the queued (status, code) faults."""

    endpoint: str
    faults: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def fail(self, operation: str, *faults: tuple[int, str]) -> None:
        self.faults.setdefault(operation, []).extend(faults)


@pytest.fixture
def fault_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    target = urlparse(moto_endpoint)
    proxy = FaultProxy("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
            proxy.seen.append(operation)
            pending = proxy.faults.get(operation)
            if pending:
                status, code = pending.pop(0)
                payload = json.dumps({"__type": code, "message": f"injected {code}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            conn.request("POST", self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    yield proxy
    server.shutdown()
    thread.join()


def _client(
    options_for: Callable[..., dict[str, str]], stream: str, endpoint: str, **extra: str
) -> tuple[KinesisClient, list[float]]:
    slept: list[float] = []
    opts = KinesisOptions.from_options({**options_for(stream), "endpoint": endpoint, **extra})
    return KinesisClient(opts, sleep=slept.append), slept


def test_throttling_and_server_errors_are_retried_with_backoff(
    kinesis_stream: Callable[..., str],
    kinesis_options_for: Callable[..., dict[str, str]],
    fault_proxy: FaultProxy,
) -> None:
    stream = kinesis_stream(2)
    fault_proxy.fail(
        "ListShards",
        (400, "ProvisionedThroughputExceededException"),
        (500, "InternalFailure"),
        (503, "ServiceUnavailable"),
    )
    client, slept = _client(kinesis_options_for, stream, fault_proxy.endpoint)
    assert len(client.list_shards()) == 2
    assert fault_proxy.seen.count("ListShards") == 4
    assert len(slept) == 3 and all(0 <= s <= 5 for s in slept)


def test_connection_failures_are_retried(
    kinesis_stream: Callable[..., str],
    kinesis_options_for: Callable[..., dict[str, str]],
) -> None:
    stream = kinesis_stream(1)
    opts = KinesisOptions.from_options(
        {
            **kinesis_options_for(stream),
            "endpoint": "http://127.0.0.1:9",
            "retryTimeoutSeconds": "1",
        }
    )
    client = KinesisClient(opts, sleep=lambda s: None)
    with pytest.raises(KinesisUnavailableError, match="still failing after") as err:
        client.list_shards()
    assert err.value.transient
    assert err.value.attempts > 1


def test_retries_stop_when_the_budget_is_spent(
    kinesis_stream: Callable[..., str],
    kinesis_options_for: Callable[..., dict[str, str]],
    fault_proxy: FaultProxy,
) -> None:
    stream = kinesis_stream(1)
    fault_proxy.fail("ListShards", *[(400, "LimitExceededException")] * 200)
    now = [0.0]
    opts = KinesisOptions.from_options(
        {
            **kinesis_options_for(stream),
            "endpoint": fault_proxy.endpoint,
            "retryTimeoutSeconds": "10",
        }
    )
    client = KinesisClient(
        opts, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
    with pytest.raises(KinesisUnavailableError, match=r"ListShards on stream .* LimitExceeded"):
        client.list_shards()
    assert 1 < now[0] <= 10  # backed off within the budget, then gave up
    assert fault_proxy.seen.count("ListShards") < 200


def test_missing_stream_is_terminal_and_named(
    kinesis_options_for: Callable[..., dict[str, str]], moto_endpoint: str, unique_name: str
) -> None:
    client, slept = _client(kinesis_options_for, f"{unique_name}-absent", moto_endpoint)
    with pytest.raises(KinesisStreamNotFoundError, match=f"'{unique_name}-absent' not found"):
        client.list_shards()
    assert slept == []


def test_access_denied_is_terminal(
    kinesis_stream: Callable[..., str],
    kinesis_options_for: Callable[..., dict[str, str]],
    fault_proxy: FaultProxy,
) -> None:
    stream = kinesis_stream(1)
    fault_proxy.fail("ListShards", (400, "AccessDeniedException"))
    client, slept = _client(kinesis_options_for, stream, fault_proxy.endpoint)
    with pytest.raises(KinesisServiceError, match=r"ListShards .* AccessDeniedException"):
        client.list_shards()
    assert slept == []
