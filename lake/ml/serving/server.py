"""A SageMaker-runtime-compatible HTTP endpoint on 127.0.0.1 (``GET /ping``, ``POST /invocations``,
``POST /endpoints/{name}/invocations``), so a stock boto3 ``sagemaker-runtime`` client with
``endpoint_url`` set invokes it.

Server choice: the standard library's ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive, one
thread per connection. A request is tiny and its work (onnxruntime ``run``, ~tens of µs)
releases the GIL, so per-request overhead is what matters; this server parses a request in
well under a millisecond with no extra dependency, and kept-alive connections (boto3 pools
them) skip the accept/thread cost. uvicorn here would run on pure-Python h11 (no httptools or
uvloop installed) and add an event loop hop without being faster.

Errors are one-line JSON ``{"error": ..., "message": ...}`` with a 4xx status (the
``x-amzn-ErrorType`` header makes boto3 raise ``ValidationError`` with that message); an
unexpected failure is a 500 and is logged. Bodies over 6 MB (SageMaker's limit) get 413.
SIGTERM/SIGINT stop the server gracefully: stop accepting, let requests in flight finish,
close idle connections, stop polling, flush data capture.

Run ``python -m lake.ml.serving.server --help`` for the service entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lake.ml.errors import BadRequestError
from lake.ml.serving.capture import DataCapture
from lake.ml.serving.hotswap import Builder, ModelHolder, Resolver
from lake.ml.serving.records import JSON, media_type, parse_body

__all__ = ["MAX_BODY_BYTES", "EndpointServer", "main", "serve"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 6 * 1024 * 1024
_DRAIN_LIMIT = 4 * MAX_BODY_BYTES
_INVOKE = re.compile(r"^/endpoints/([^/]+)/invocations$")
_ACCEPTED = ("application/json", "application/*", "*/*")
VERSION_HEADER = "X-Lakeforge-Model-Version"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], endpoint: EndpointServer) -> None:
        self.endpoint = endpoint
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lakeforge-endpoint"
    sys_version = ""
    timeout = 120  # idle keep-alive connections close after this
    wbufsize = 64 * 1024  # headers and body leave in one write
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # -- routing ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        endpoint = self.server.endpoint
        if self.path.split("?", 1)[0] == "/ping":
            if endpoint.holder.loaded:
                scorer = endpoint.holder.current
                self._json(200, {"status": "ok", "endpoint": endpoint.name, "model": scorer.name,
                                 "version": scorer.version, "scorer": scorer.kind})
            else:
                self._error(503, "ModelNotReadyException", "no model is loaded yet")
            return
        self._error(404, "NotFound", f"no such path {self.path[:100]!r}; use GET /ping or POST /invocations")

    def do_POST(self) -> None:
        endpoint = self.server.endpoint
        path = self.path.split("?", 1)[0]
        match = _INVOKE.match(path)
        if path != "/invocations" and match is None:
            self._discard_body()
            self._error(404, "NotFound", f"no such path {self.path[:100]!r}; POST /invocations or "
                        f"/endpoints/{endpoint.name}/invocations")
            return
        if match is not None and match.group(1) != endpoint.name:
            self._discard_body()
            self._error(404, "ValidationError", f"endpoint {match.group(1)[:100]!r} not found; this server serves "
                        f"{endpoint.name!r}")
            return
        with endpoint.in_flight():
            self._invoke()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, oversized headers, unknown method) as one-line JSON."""
        if code == 501:  # an unknown method is the client's mistake, not ours
            code = 405
        self.close_connection = True
        reason = message or self.responses.get(code, ("request refused",))[0]
        with contextlib.suppress(OSError):
            self._error(code, "BadRequest" if code < 500 else "InternalFailure", reason)

    def _method_not_allowed(self) -> None:
        self._discard_body()
        self._error(405, "MethodNotAllowed", f"{self.command} is not supported; use GET /ping or POST /invocations")

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _method_not_allowed

    # -- invocation ---------------------------------------------------------------------------

    def _invoke(self) -> None:
        endpoint = self.server.endpoint
        try:
            body = self._read_body(endpoint.max_body)
            accept = media_type(self.headers.get("Accept"))
            if accept and accept not in _ACCEPTED:
                raise BadRequestError(reason=f"cannot answer in {accept!r}; accept {JSON}", status=406)
            content_type = self.headers.get("Content-Type")
            scorer = endpoint.holder.current
            columns = parse_body(body, content_type, scorer.signature, extra=endpoint.extra_fields)
            response = scorer.score_columns(columns)
        except BadRequestError as exc:
            self._error(exc.status, "ValidationError", str(exc))
            return
        except Exception as exc:
            log.exception("endpoint %s: scoring failed", endpoint.name)
            self._error(500, "InternalFailure", f"scoring failed: {type(exc).__name__}")
            return
        payload = json.dumps(response, separators=(",", ":"), allow_nan=False).encode()
        self._send(200, payload, {VERSION_HEADER: str(scorer.version),
                                  "x-Amzn-Invoked-Production-Variant": f"{scorer.name}-v{scorer.version}"})
        if endpoint.capture is not None:
            endpoint.capture.offer(
                model_name=scorer.name, model_version=scorer.version, input_content_type=media_type(content_type),
                input_data=body, output_data=payload.decode(), records=columns.count,
                inference_id=self.headers.get("X-Amzn-SageMaker-Inference-Id") or uuid.uuid4().hex,
            )

    def _read_body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise BadRequestError(reason="chunked bodies are not supported; send Content-Length", status=411)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise BadRequestError(reason=f"invalid Content-Length {length_text[:40]!r}") from None
        if length > limit:
            self._drain(length)
            raise BadRequestError(reason=f"the body is {length:,} bytes; the limit is {limit:,} bytes "
                                  "(send fewer records per request)", status=413)
        return self.rfile.read(length)

    def _drain(self, length: int) -> None:
        """Read and drop an oversized body so the client sees the 413 (or close if it is absurdly large)."""
        if length > _DRAIN_LIMIT:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return
        if length > 0:
            self._drain(length)

    # -- responses ----------------------------------------------------------------------------

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body, separators=(",", ":")).encode(), headers)

    def _error(self, status: int, code: str, message: str) -> None:
        message = " ".join(message.split())
        self._json(status, {"error": code, "message": message}, {"x-amzn-ErrorType": code})

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)


class EndpointServer:
    """The endpoint: a model holder, optional data capture, and the HTTP server on ``host:port``."""

    def __init__(self, holder: ModelHolder, *, name: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 capture: DataCapture | None = None, extra_fields: str = "reject",
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.holder = holder
        self.name = name or holder.name
        self.capture = capture
        self.extra_fields = extra_fields
        self.max_body = max_body
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        self._active = 0
        self._active_lock = threading.Condition()
        self._stopped = False

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def in_flight(self) -> _InFlight:
        return _InFlight(self)

    def start(self) -> EndpointServer:
        """Load the model if needed, start polling and capture, and serve in a background thread."""
        if not self.holder.loaded:
            try:
                self.holder.load()
            except BaseException:
                self._stopped = True
                self._httpd.server_close()
                raise
        self.holder.start()
        if self.capture is not None:
            self.capture.start()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"endpoint-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, wait up to ``grace`` s for requests in flight, close connections, flush capture."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()  # waits for serve_forever to return: only when it runs
        deadline = time.monotonic() + grace
        with self._active_lock:
            while self._active and time.monotonic() < deadline:
                self._active_lock.wait(max(0.0, deadline - time.monotonic()))
        with self._httpd.connections_lock:
            connections = list(self._httpd.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(grace)
        self.holder.stop()
        if self.capture is not None:
            self.capture.close()

    def __enter__(self) -> EndpointServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _InFlight:
    def __init__(self, server: EndpointServer) -> None:
        self.server = server

    def __enter__(self) -> None:
        with self.server._active_lock:
            self.server._active += 1

    def __exit__(self, *exc: object) -> None:
        with self.server._active_lock:
            self.server._active -= 1
            self.server._active_lock.notify_all()


def serve(model_name: str, resolve: Resolver, *, endpoint_name: str | None = None, host: str = "127.0.0.1",
          port: int = 8080, poll_seconds: float = 10.0, build: Builder | None = None,
          capture: DataCapture | None = None, extra_fields: str = "reject", max_body: int = MAX_BODY_BYTES,
          on_ready: Callable[[EndpointServer], None] | None = None) -> None:
    """Serve ``model_name`` until SIGTERM or SIGINT (blocking; call from the main thread)."""
    holder = ModelHolder(model_name, resolve, build=build, poll_seconds=poll_seconds)
    server = EndpointServer(holder, name=endpoint_name, host=host, port=port, capture=capture,
                            extra_fields=extra_fields, max_body=max_body)
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("endpoint %s: signal %d, stopping", server.name, signum)
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.start()
        if on_ready is not None:
            on_ready(server)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


# -- the service entry point -------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lake.ml.serving.server",
                                     description="Serve a model as a SageMaker-runtime-compatible endpoint.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="registry reference NAME, NAME:VERSION or NAME@ALIAS (polled for moves)")
    source.add_argument("--onnx", help="a directory written by OnnxExport.save (a fixed model)")
    parser.add_argument("--name", help="endpoint name (default: the model name)")
    parser.add_argument("--model-name", help="model name reported for --onnx (default: the directory name)")
    parser.add_argument("--version", default="1", help="version reported for --onnx (default 1)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--poll-seconds", type=float, default=10.0, help="registry poll interval (0: never)")
    parser.add_argument("--spark", action="store_true",
                        help="score through Spark (slow: hundreds of ms per request) for models without ONNX")
    parser.add_argument("--artifact-path", default="onnx", help="where the run logged the ONNX export")
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default: lakeforge's settings)")
    parser.add_argument("--registry-uri", help="MLflow registry URI (default: the tracking URI)")
    parser.add_argument("--capture-fraction", type=float, default=0.0, help="fraction of invocations captured")
    parser.add_argument("--capture-uri", help="Delta table for captured data (default <lake>/ml/capture/<name>)")
    parser.add_argument("--capture-flush-seconds", type=float, default=5.0)
    parser.add_argument("--extra-fields", choices=("reject", "ignore"), default="reject",
                        help="unknown fields in a record: refuse the request (default) or ignore them")
    parser.add_argument("--log-level", default="WARNING")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, build the model source and capture, serve; prints the URL once ready."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.spark and args.onnx:
        parser.error("--spark serves a registry model (--model); --onnx is already an exported model")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.onnx:
        from pathlib import Path

        from lake.ml.export.onnx_export import OnnxExport
        from lake.ml.serving.hotswap import ModelPackage

        export = OnnxExport.load(args.onnx)
        model_name = args.model_name or Path(args.onnx).resolve().name
        package = ModelPackage(version=args.version, model_bytes=export.model_bytes, signature=export.signature)

        def fixed() -> ModelPackage:
            return package

        resolve: Resolver = fixed
        build: Builder | None = None
        poll = 0.0
        profile = None
    else:
        from lake.ml.serving.registry import open_model_source

        source = open_model_source(args.model, spark=args.spark, artifact_path=args.artifact_path,
                                   tracking_uri=args.tracking_uri, registry_uri=args.registry_uri)
        model_name, resolve, build, poll, profile = (source.model_name, source.resolve, source.build,
                                                     args.poll_seconds, source.profile)
    endpoint = args.name or model_name
    capture = None
    if args.capture_fraction > 0:
        from lake.ml.serving.capture import DeltaCaptureSink

        if args.capture_uri and profile is None:
            sink = DeltaCaptureSink(args.capture_uri)
        else:
            if profile is None:
                from lake.config import load_settings
                from lake.storage import get_profile

                profile = get_profile(load_settings())
            sink = DeltaCaptureSink.for_profile(profile, endpoint, path=args.capture_uri)
        capture = DataCapture(sink, endpoint=endpoint, fraction=args.capture_fraction,
                              flush_seconds=args.capture_flush_seconds)

    def ready(server: EndpointServer) -> None:
        scorer = server.holder.current
        print(f"{server.url} endpoint={server.name} model={scorer.name} version={scorer.version} "
              f"scorer={scorer.kind}", flush=True)

    serve(model_name, resolve, endpoint_name=endpoint, host=args.host, port=args.port, poll_seconds=poll,
          build=build, capture=capture, extra_fields=args.extra_fields, on_ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
