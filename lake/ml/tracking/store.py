"""The tracking-store protocol and its MLflow implementation.

A store pairs an MLflow tracking/registry URI with the lake that holds the artifacts: every
experiment's artifact location is ``<lake>/ml/artifacts/<experiment>``, on every profile.
Backends differ only in where the URIs come from (see ``lake.ml.tracking.TRACKING_BACKENDS``).
"""

from __future__ import annotations

import functools
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from lake.config import mask_uri
from lake.ml.errors import NoLocalUiError, TrackingUnavailableError
from lake.ml.tracking.access import Redactor, artifact_access, artifact_environ
from lake.ml.tracking.names import validate_name
from lake.storage import StorageProfile, uris

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = ["ARTIFACTS_DIR", "MlflowStore", "TrackingStore", "mlflow_executable"]

ARTIFACTS_DIR = "ml/artifacts"
_SERVER_SCHEMES = ("http", "https", "databricks")


@runtime_checkable
class TrackingStore(Protocol):
    """Where runs are tracked and models registered, and the lake that keeps their artifacts."""

    @property
    def backend(self) -> str: ...

    @property
    def tracking_uri(self) -> str: ...

    @property
    def registry_uri(self) -> str: ...

    @property
    def profile(self) -> StorageProfile: ...

    @property
    def artifact_root(self) -> str:
        """``<lake>/ml/artifacts`` as MLflow wants it (``file:///…`` or ``s3://…``)."""
        ...

    def experiment_location(self, experiment: str) -> str:
        """The artifact location of ``experiment``: ``<artifact_root>/<experiment>``."""
        ...

    def client(self) -> MlflowClient:
        """An ``MlflowClient`` bound to this store's URIs (no global MLflow state)."""
        ...

    def artifact_access(self) -> AbstractContextManager[None]:
        """Artifact reads and writes inside this block reach the lake with its credentials."""
        ...

    def redact(self, text: str) -> str:
        """``text`` with every credential this store knows replaced by ``****``."""
        ...

    def check(self) -> None:
        """Raise :class:`TrackingUnavailableError` if the store does not answer."""
        ...

    def ui_command(self, *, reveal: bool = False) -> list[str]:
        """The ``mlflow ui`` command line that browses this store (passwords masked unless ``reveal``)."""
        ...

    def ui_environment(self) -> dict[str, str]:
        """Environment ``mlflow ui`` needs to show artifacts in the lake (holds credentials)."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description with credentials masked."""
        ...


@dataclass(frozen=True, repr=False)
class MlflowStore:
    """An MLflow tracking store (SQLite file, database or server) with artifacts in the lake."""

    backend: str
    tracking_uri: str
    registry_uri: str
    profile: StorageProfile

    @property
    def serves_ui(self) -> bool:
        """True for tracking servers, which have their own UI (``mlflow ui`` does not apply)."""
        return self.tracking_uri.split(":", 1)[0].lower() in _SERVER_SCHEMES

    @functools.cached_property
    def artifact_root(self) -> str:
        root = self.profile.resolve(ARTIFACTS_DIR)
        return root if uris.is_s3(root) else Path(root).as_uri()

    def experiment_location(self, experiment: str) -> str:
        return uris.join(self.artifact_root, validate_name(experiment, "experiment"))

    @functools.cached_property
    def _client(self) -> MlflowClient:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri)

    def client(self) -> MlflowClient:
        return self._client

    def artifact_access(self) -> AbstractContextManager[None]:
        return artifact_access(self.profile)

    @functools.cached_property
    def _redactor(self) -> Redactor:
        return Redactor.for_store(self.profile, self.tracking_uri, self.registry_uri)

    def redact(self, text: str) -> str:
        return self._redactor(text)

    def check(self) -> None:
        try:
            self.client().search_experiments(max_results=1)
        except Exception as exc:
            raise TrackingUnavailableError(
                uri=mask_uri(self.tracking_uri) or "", reason=type(exc).__name__
            ) from None

    def ui_command(self, *, reveal: bool = False) -> list[str]:
        if self.serves_ui:
            raise NoLocalUiError(uri=mask_uri(self.tracking_uri) or "")

        def show(uri: str) -> str:
            return uri if reveal else (mask_uri(uri) or uri)

        command = ["mlflow", "ui", "--backend-store-uri", show(self.tracking_uri)]
        if self.registry_uri != self.tracking_uri:
            command += ["--registry-store-uri", show(self.registry_uri)]
        return command

    def ui_environment(self) -> dict[str, str]:
        return {k: v for k, v in artifact_environ(self.profile).items() if v is not None}

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "tracking_uri": mask_uri(self.tracking_uri),
            "registry_uri": mask_uri(self.registry_uri),
            "artifact_root": self.artifact_root,
            "profile": self.profile.name,
        }

    def __repr__(self) -> str:
        return (
            f"MlflowStore(backend={self.backend!r}, tracking_uri={mask_uri(self.tracking_uri)!r}, "
            f"artifact_root={self.artifact_root!r})"
        )


def mlflow_executable() -> list[str]:
    """``mlflow`` of this interpreter's environment (for launching ``mlflow ui`` from code)."""
    script = Path(sys.executable).with_name("mlflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlflow"]
