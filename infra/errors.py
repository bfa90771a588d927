"""Errors of the local services (moto server, Spark standalone cluster, doctor, submit)."""

from __future__ import annotations

from pathlib import Path

from lake.errors import TerminalError

__all__ = [
    "ExecutorTooLargeError",
    "InfraError",
    "InvalidOptionError",
    "JavaMissingError",
    "PortInUseError",
    "ServiceStartError",
    "ServiceStopError",
    "SparkSubmitMissingError",
]


class InfraError(TerminalError):
    """A local service cannot be started, stopped or used."""


class ServiceStartError(InfraError):
    """A service process died or did not answer in time while starting."""

    def __init__(self, service: str, reason: str, *, log_path: Path | None = None):
        self.service = service
        self.reason = reason
        self.log_path = log_path
        where = f" (log: {log_path})" if log_path else ""
        super().__init__(f"{service} did not start: {reason}{where}")


class ServiceStopError(InfraError):
    """A recorded service process survived SIGTERM and SIGKILL."""

    def __init__(self, service: str, pid: int):
        self.service = service
        self.pid = pid
        super().__init__(f"{service} (pid {pid}) did not stop after SIGTERM and SIGKILL")


class PortInUseError(InfraError):
    """The requested loopback port is already bound by another process."""

    def __init__(self, port: int, *, service: str):
        self.port = port
        self.service = service
        super().__init__(
            f"{service}: port {port} on 127.0.0.1 is already in use; "
            "pick another with --port or omit it for a free port"
        )


class InvalidOptionError(InfraError):
    """A service option has an invalid value."""

    def __init__(self, option: str, value: object, expected: str):
        self.option = option
        self.value = value
        self.expected = expected
        super().__init__(f"{option}: expected {expected}, got {value!r}")


class JavaMissingError(InfraError):
    """No Java runtime (≥ 17) is available for Spark."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(
            f"Java 17 or newer is required for Spark: {reason} (install e.g. openjdk-17-jre-headless or set JAVA_HOME)"
        )


class ExecutorTooLargeError(InfraError):
    """Executors ask for more memory than a worker of the local cluster offers."""

    def __init__(self, executor_memory: str, worker_memory: str, master_url: str):
        self.executor_memory = executor_memory
        self.worker_memory = worker_memory
        self.master_url = master_url
        super().__init__(
            f"executor memory {executor_memory} exceeds the {worker_memory} of each worker of "
            f"{master_url}, so the job would wait forever: set LAKEFORGE_SPARK__EXECUTOR_MEMORY "
            f"to at most {worker_memory} or restart the cluster with a larger --memory-per-worker"
        )


class SparkSubmitMissingError(InfraError):
    """The script given to ``lake submit`` does not exist."""

    def __init__(self, script: Path):
        self.script = script
        super().__init__(f"{script}: no such script to submit")
