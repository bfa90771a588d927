"""MLflow tracking and model registry with artifacts in the lake.

Backends (``TRACKING_BACKENDS``), chosen by :func:`open_tracking`:

- ``embedded`` (default): a SQLite tracking and registry store at ``<home>/mlflow.db``;
  ``mlflow ui --backend-store-uri sqlite:///<home>/mlflow.db`` browses it.
- ``uri``: any MLflow tracking URI from ``[ml] tracking_uri`` (a server, a database);
  ``[ml] registry_uri`` optionally points the registry elsewhere.

Artifacts always live in the lake, ``<lake>/ml/artifacts/<experiment>/…``, reached through the
storage profile's endpoint and credentials. :class:`Tracker` records training runs;
:class:`ModelRegistry` lists, resolves, approves, aliases, compares and loads model versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lake.config import Settings
from lake.errors import ConfigError
from lake.ml.errors import UnknownTrackingBackendError
from lake.ml.tracking.access import artifact_environ, scoped_environ
from lake.ml.tracking.approval import Approval, ApprovalEvent, ApprovalStatus
from lake.ml.tracking.lineage import LINEAGE_ARTIFACT, Lineage, TableVersion
from lake.ml.tracking.logs import configure_mlflow_logging
from lake.ml.tracking.names import ModelRef, validate_alias, validate_name
from lake.ml.tracking.registry import (
    Comparison,
    ModelRegistry,
    ModelSummary,
    ModelVersionDetails,
    ModelVersionInfo,
)
from lake.ml.tracking.runs import RegisteredVersion, RunResult, SparkModelInfo, TrackedRun, Tracker
from lake.ml.tracking.store import ARTIFACTS_DIR, MlflowStore, TrackingStore, mlflow_executable
from lake.storage import StorageProfile, get_profile

__all__ = [
    "ARTIFACTS_DIR",
    "LINEAGE_ARTIFACT",
    "TRACKING_BACKENDS",
    "Approval",
    "ApprovalEvent",
    "ApprovalStatus",
    "Comparison",
    "Lineage",
    "MlflowStore",
    "ModelRef",
    "ModelRegistry",
    "ModelSummary",
    "ModelVersionDetails",
    "ModelVersionInfo",
    "RegisteredVersion",
    "RunResult",
    "SparkModelInfo",
    "TableVersion",
    "TrackedRun",
    "Tracker",
    "TrackingStore",
    "artifact_environ",
    "configure_mlflow_logging",
    "default_tracking_uri",
    "mlflow_executable",
    "open_tracking",
    "scoped_environ",
    "validate_alias",
    "validate_name",
]

TRACKING_DB_NAME = "mlflow.db"
MLFLOW_LOG_NAME = "logs/mlflow.log"


def default_tracking_uri(settings: Settings) -> str:
    """The embedded store: ``sqlite:///<home>/mlflow.db``."""
    return f"sqlite:///{settings.home / TRACKING_DB_NAME}"


def _load_embedded(settings: Settings, profile: StorageProfile, **options: Any) -> TrackingStore:
    settings.home.mkdir(parents=True, exist_ok=True)
    tracking = options.get("tracking_uri") or default_tracking_uri(settings)
    registry = options.get("registry_uri") or settings.ml.registry_uri or tracking
    return MlflowStore("embedded", tracking, registry, profile)


def _load_uri(settings: Settings, profile: StorageProfile, **options: Any) -> TrackingStore:
    tracking = options.get("tracking_uri") or settings.ml.tracking_uri
    if not tracking:
        raise ConfigError(
            "the 'uri' tracking backend needs an MLflow tracking URI: set [ml] tracking_uri "
            "(or LAKEFORGE_ML__TRACKING_URI)",
            key="ml.tracking_uri",
        )
    registry = options.get("registry_uri") or settings.ml.registry_uri or tracking
    return MlflowStore("uri", tracking, registry, profile)


TrackingLoader = Callable[..., TrackingStore]
TRACKING_BACKENDS: dict[str, TrackingLoader] = {
    "embedded": _load_embedded,
    "uri": _load_uri,
}


def open_tracking(
    settings: Settings,
    profile: StorageProfile | None = None,
    *,
    backend: str | None = None,
    **options: Any,
) -> TrackingStore:
    """Open the tracking store ``backend`` (default: ``uri`` if ``[ml] tracking_uri`` is set).

    ``profile`` is the lake that keeps artifacts (default: the active profile). Options:
    ``tracking_uri``, ``registry_uri`` (override the settings). Also routes MLflow's logs to
    ``<home>/logs/mlflow.log`` (errors still reach the terminal).
    """
    name = (backend or ("uri" if settings.ml.tracking_uri else "embedded")).lower()
    loader = TRACKING_BACKENDS.get(name)
    if loader is None:
        raise UnknownTrackingBackendError(backend=name, known=sorted(TRACKING_BACKENDS))
    configure_mlflow_logging(settings.home / MLFLOW_LOG_NAME)
    return loader(settings, profile or get_profile(settings), **options)
