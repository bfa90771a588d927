"""Errors of the local services (moto server, Spark standalone cluster, doctor, submit)."""

from __future__ import annotations

from pathlib import Path

from lake.errors import InvalidOptionError as _InvalidOption
from lake.errors import LakeforgeError

__all__ = [
    "EndpointNotFoundError",
    "EndpointProbeError",
    "ExecutorTooLargeError",
    "InfraError",
    "InvalidOptionError",
    "JavaMissingError",
    "ModelNotServableError",
    "OptionsConflictError",
    "PortInUseError",
    "ServiceStartError",
    "ServiceStopError",
    "SparkSubmitMissingError",
]


class InfraError(LakeforgeError):
    """A local service cannot be started, stopped or used."""


class ServiceStartError(InfraError):
    """A service process died or did not answer in time while starting."""

    template = "{service} did not start: {reason}{where}"
    service: str
    reason: str
    log_path: Path | None = None

    @property
    def where(self) -> str:
        return f" (log: {self.log_path})" if self.log_path else ""


class ServiceStopError(InfraError):
    """A recorded service process survived SIGTERM and SIGKILL."""

    template = "{service} (pid {pid}) did not stop after SIGTERM and SIGKILL"
    service: str
    pid: int


class PortInUseError(InfraError):
    """The requested loopback port is already bound by another process."""

    template = (
        "{service}: port {port} on 127.0.0.1 is already in use; "
        "pick another with --port or omit it for a free port"
    )
    port: int
    service: str


class InvalidOptionError(_InvalidOption, InfraError):
    """A service option has an invalid value."""


class OptionsConflictError(InfraError):
    """A command's options do not fit together, or an input is given neither or twice."""

    template = "{problem}: {remedy}"
    problem: str
    remedy: str


class JavaMissingError(InfraError):
    """No Java runtime (≥ 17) is available for Spark."""

    template = (
        "Java 17 or newer is required for Spark: {reason} "
        "(install e.g. openjdk-17-jre-headless or set JAVA_HOME)"
    )
    reason: str


class ExecutorTooLargeError(InfraError):
    """Executors ask for more memory than a worker of the local cluster offers."""

    template = (
        "executor memory {executor_memory} exceeds the {worker_memory} of each worker of "
        "{master_url}, so the job would wait forever: set LAKEFORGE_SPARK__EXECUTOR_MEMORY "
        "to at most {worker_memory} or restart the cluster with a larger --memory-per-worker"
    )
    executor_memory: str
    worker_memory: str
    master_url: str


class SparkSubmitMissingError(InfraError):
    """The script given to ``lake submit`` does not exist."""

    template = "{script}: no such script to submit"
    script: Path


class ModelNotServableError(InfraError):
    """``lake serve`` refuses a model version whose ONNX export failed (or was not logged)."""

    template = "cannot serve {model} without Spark: {reason}; fix the export or serve it with --spark (slow)"
    model: str
    reason: str


class EndpointNotFoundError(InfraError):
    """No ``lake serve`` endpoint of that name is recorded in this home."""

    template = "no model endpoint {name!r} is running; running endpoints: {known_text}"
    name: str
    known: list[str]

    @property
    def known_text(self) -> str:
        return ", ".join(self.known) or "none (start one with lake serve MODEL)"


class EndpointProbeError(InfraError):
    """``lake invoke`` could not talk to an endpoint, or the endpoint refused its requests."""

    template = "endpoint {endpoint}: {reason}"
    endpoint: str
    reason: str
