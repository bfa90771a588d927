"""Model endpoints (``lake serve``): SageMaker-runtime-compatible HTTP servers on 127.0.0.1, one per name.

Each endpoint is a detached ``python -m infra.services.model_server_child`` process that runs
:mod:`lake.ml.serving.server` (ONNX scoring with onnxruntime, or the slow Spark path with
``--spark``), recorded in the state file as ``endpoint:<name>`` with its pid, port, URL, model
reference, scorer and capture table. It is started and stopped through the shared
:class:`~infra.services.lifecycle.ManagedService` lifecycle: a start waits until ``GET /ping``
answers (the model is loaded), a stop signals exactly the recorded pid while its command line
still shows this home's endpoint of that name.

A model reference with an alias (``heart@champion``) is polled: moving the alias swaps the
served version without a restart (the holder loads the new version fully before the swap).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.inference.endpoints import ENTRY_PREFIX
from infra.errors import EndpointNotFoundError, InvalidOptionError
from infra.services.lifecycle import ManagedService, ServiceStart, ServiceStop, Spawner, check_port, pick_port
from infra.services.process import LOOPBACK, free_port, http_get_json, utc_now
from lake.config import Settings
from lake.state import ServiceState

__all__ = [
    "CHILD_MODULE",
    "ENTRY_PREFIX",
    "EndpointOptions",
    "ModelEndpoint",
    "endpoint_markers",
    "list_endpoints",
    "start_model_endpoint",
    "stop_model_endpoint",
    "validate_endpoint_name",
]

CHILD_MODULE = "infra.services.model_server_child"
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})$")


def validate_endpoint_name(name: str) -> str:
    """SageMaker's endpoint-name rule: letters, digits and hyphens, up to 63, starting with a letter or digit."""
    if not _NAME.match(name or ""):
        raise InvalidOptionError("--name", name, "1-63 letters, digits or hyphens, starting with a letter or digit "
                                 "(SageMaker's endpoint-name rule)")
    return name


def endpoint_markers(home: Path, name: str) -> list[str]:
    """Command-line markers of this home's endpoint ``name`` (``--endpoint=N`` is followed by ``--``)."""
    return [CHILD_MODULE, f"--home={home} --endpoint={name} --"]


@dataclass(frozen=True)
class EndpointOptions:
    """How ``lake serve`` runs one endpoint."""

    model: str
    name: str
    port: int | None = None
    spark: bool = False
    capture_fraction: float = 0.0
    capture_uri: str | None = None
    poll_seconds: float = 5.0
    extra_fields: str = "reject"

    def validate(self) -> None:
        validate_endpoint_name(self.name)
        check_port("--port", self.port)
        if not 0.0 <= self.capture_fraction <= 1.0:
            raise InvalidOptionError("--capture-fraction", self.capture_fraction, "a fraction between 0 and 1")
        if not self.poll_seconds >= 0:
            raise InvalidOptionError("--poll-seconds", self.poll_seconds, "seconds ≥ 0 (0: never re-resolve)")

    def server_args(self, port: int) -> list[str]:
        """Arguments of ``python -m lake.ml.serving.server``."""
        args = ["--model", self.model, "--name", self.name, "--host", LOOPBACK, "--port", str(port),
                "--poll-seconds", f"{self.poll_seconds:g}", "--extra-fields", self.extra_fields,
                "--log-level", "INFO"]
        if self.spark:
            args.append("--spark")
        if self.capture_fraction > 0:
            args += ["--capture-fraction", f"{self.capture_fraction:g}"]
            if self.capture_uri:
                args += ["--capture-uri", self.capture_uri]
        return args


class ModelEndpoint(ManagedService):
    """One named endpoint of one home, recorded as ``endpoint:<name>``."""

    name = ENTRY_PREFIX  # refined per instance
    label = "model endpoint"
    stop_timeout = 30.0

    def __init__(self, home: Path, endpoint: str, settings: Settings | None = None,
                 options: EndpointOptions | None = None, *, timeout: float = 180.0) -> None:
        super().__init__(home, ready_timeout=timeout)
        self.endpoint = endpoint
        self.name = f"{ENTRY_PREFIX}{endpoint}"  # type: ignore[misc]
        self.settings = settings
        self.options = options

    def markers(self) -> list[str]:
        return endpoint_markers(self.home, self.endpoint)

    def validate(self) -> None:
        if self.options is None:
            raise ValueError("starting an endpoint needs EndpointOptions")
        self.options.validate()

    def health(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        answer = http_get_json(f"{entry.get('url')}/ping")
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            return None
        return {"serving_version": answer.get("version"), "scorer": answer.get("scorer")}

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        if self.settings is None or self.options is None:
            raise ValueError("starting an endpoint needs settings and options")
        options = self.options
        port = pick_port(options.port, None, service=f"endpoint {options.name}") or free_port()
        log = self.home / "logs" / f"endpoint-{options.name}.log"
        cmd = [sys.executable, "-m", CHILD_MODULE, f"--home={self.home}", f"--endpoint={options.name}", "--",
               *options.server_args(port)]
        env = {**os.environ, "LAKEFORGE_HOME": str(self.settings.home),
               "LAKEFORGE_PROJECT_DIR": str(self.settings.project_dir), "PYTHONUNBUFFERED": "1",
               "SPARK_LOCAL_IP": LOOPBACK}
        env.update(_setting_env(self.settings))
        proc = spawner.spawn(f"endpoint {options.name}", cmd, log_path=log, env=env, cwd=self.settings.project_dir)
        url = f"http://{LOOPBACK}:{port}"

        def ready() -> bool:
            answer = http_get_json(f"{url}/ping")
            return isinstance(answer, dict) and answer.get("status") == "ok"

        spawner.wait_until(ready, self.ready_timeout, what="the endpoint did not answer GET /ping")
        answer = http_get_json(f"{url}/ping") or {}
        return {
            "pid": proc.pid, "endpoint": options.name, "model": options.model, "port": port, "host": LOOPBACK,
            "url": url, "invocations": f"{url}/endpoints/{options.name}/invocations",
            "scorer": answer.get("scorer"), "version_at_start": answer.get("version"),
            "capture_fraction": options.capture_fraction, "capture_uri": options.capture_uri,
            "log": str(log), "started_at": utc_now(),
        }


def _setting_env(settings: Settings) -> dict[str, str]:
    """The active profile and lake for the child (so it reads the same registry and lake)."""
    out = {"LAKEFORGE_PROFILE": settings.profile}
    if settings.lake:
        out["LAKEFORGE_LAKE"] = str(settings.lake)
    return out


def start_model_endpoint(settings: Settings, options: EndpointOptions, *, timeout: float = 180.0) -> ServiceStart:
    """Start endpoint ``options.name`` unless this home's already runs (then return its entry)."""
    return ModelEndpoint(settings.home, options.name, settings, options, timeout=timeout).start()


def stop_model_endpoint(home: Path, name: str) -> ServiceStop:
    """Stop exactly the recorded process of endpoint ``name``; an unknown name lists the running ones."""
    service = ModelEndpoint(home, name)
    if service.recorded() is None:
        raise EndpointNotFoundError(name=name, known=sorted(e["endpoint"] for e in list_endpoints(home)))
    return service.stop()


def list_endpoints(home: Path) -> list[dict[str, Any]]:
    """Every recorded endpoint of this home with its status (running | not answering | stale)."""
    found = []
    for key in sorted(ServiceState(home).read()):
        if key.startswith(ENTRY_PREFIX):
            status = ModelEndpoint(home, key[len(ENTRY_PREFIX):]).status()
            if status is not None:
                status.setdefault("endpoint", key[len(ENTRY_PREFIX):])
                found.append(status)
    return found
