"""The model registry: list, resolve, show, compare, approve/reject, alias, load, lineage.

References are ``NAME`` (latest version), ``NAME:VERSION`` (``NAME:latest`` too) or
``NAME@ALIAS``. Unknown names, versions and aliases are errors that list what exists.
Approval follows the rules in :mod:`lake.ml.tracking.approval`.
"""

from __future__ import annotations

import getpass
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lake.ml.errors import (
    LineageNotFoundError,
    UnknownModelAliasError,
    UnknownModelError,
    UnknownModelVersionError,
)
from lake.ml.tracking import tags as T
from lake.ml.tracking.approval import Approval, ApprovalStatus, check_transition
from lake.ml.tracking.lineage import LINEAGE_ARTIFACT, Lineage
from lake.ml.tracking.names import ModelRef, validate_alias, validate_name
from lake.ml.tracking.spark_model import load_spark_model
from lake.ml.tracking.store import TrackingStore

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from pyspark.ml import PipelineModel

__all__ = ["Comparison", "ModelRegistry", "ModelSummary", "ModelVersionDetails", "ModelVersionInfo"]

_SEARCH_PAGE = 1000


def _iso(millis: int | None) -> str | None:
    if not millis:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else value


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered model version."""

    name: str
    version: int
    run_id: str | None
    artifact_uri: str
    created_at: str | None
    aliases: tuple[str, ...]
    approval: ApprovalStatus
    description: str | None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "artifact_uri": self.artifact_uri,
            "created_at": self.created_at,
            "aliases": list(self.aliases),
            "approval": self.approval.value,
            "description": self.description,
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class ModelSummary:
    """One registered model as ``lake model list`` shows it."""

    name: str
    latest_version: int | None
    versions: int
    aliases: Mapping[str, int]
    latest_approval: ApprovalStatus | None
    description: str | None
    updated_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest_version": self.latest_version,
            "versions": self.versions,
            "aliases": dict(self.aliases),
            "latest_approval": self.latest_approval.value if self.latest_approval else None,
            "description": self.description,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class ModelVersionDetails:
    """Everything about a version: its run's params and metrics, approval, aliases, lineage."""

    info: ModelVersionInfo
    run_status: str | None
    params: Mapping[str, str]
    metrics: Mapping[str, Mapping[str, float]]
    other_metrics: Mapping[str, float]
    run_tags: Mapping[str, str]
    approval: Approval
    lineage: Lineage | None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.info.to_dict(),
            "run_status": self.run_status,
            "params": dict(self.params),
            "metrics": {s: {m: _finite(v) for m, v in vals.items()} for s, vals in self.metrics.items()},
            "other_metrics": {k: _finite(v) for k, v in self.other_metrics.items()},
            "run_tags": dict(self.run_tags),
            "approval": self.approval.to_dict(),
            "lineage": self.lineage.to_dict() if self.lineage else None,
        }


@dataclass(frozen=True)
class Comparison:
    """Versions side by side: every metric, and the params whose values differ."""

    versions: tuple[ModelVersionInfo, ...]
    metrics: Mapping[str, tuple[float | None, ...]]
    params: Mapping[str, tuple[str | None, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "versions": [v.ref for v in self.versions],
            "metrics": {k: [_finite(x) for x in vals] for k, vals in self.metrics.items()},
            "params": {k: list(vals) for k, vals in self.params.items()},
        }


class ModelRegistry:
    """Registered models and versions of one :class:`TrackingStore`."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    # -- reading -----------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        client = self.store.client()
        names: list[str] = []
        token: str | None = None
        while True:
            page = client.search_registered_models(max_results=_SEARCH_PAGE, page_token=token)
            names.extend(m.name for m in page)
            token = page.token
            if not token:
                return sorted(names)

    def _versions(self, name: str) -> list[ModelVersion]:
        client = self.store.client()
        found: list[ModelVersion] = []
        token: str | None = None
        while True:
            page = client.search_model_versions(
                f"name = '{validate_name(name)}'", max_results=_SEARCH_PAGE, page_token=token
            )
            found.extend(page)
            token = page.token
            if not token:
                return sorted(found, key=lambda mv: int(mv.version))

    def _registered(self, name: str) -> Any:
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

        try:
            return self.store.client().get_registered_model(validate_name(name))
        except MlflowException as exc:
            if exc.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
                raise UnknownModelError(name=name, known=self.model_names()) from None
            raise

    def list_models(self) -> list[ModelSummary]:
        """Every registered model with its latest version, aliases and latest approval status."""
        summaries: list[ModelSummary] = []
        for name in self.model_names():
            model = self._registered(name)
            versions = self._versions(name)
            latest = versions[-1] if versions else None
            summaries.append(
                ModelSummary(
                    name=name,
                    latest_version=int(latest.version) if latest else None,
                    versions=len(versions),
                    aliases={a: int(v) for a, v in sorted(_aliases(model).items())},
                    latest_approval=Approval.from_tags(latest.tags).status if latest else None,
                    description=model.description or None,
                    updated_at=_iso(model.last_updated_timestamp),
                )
            )
        return summaries

    def versions(self, name: str) -> list[ModelVersionInfo]:
        """Every version of ``name``, oldest first."""
        model = self._registered(name)
        by_version = _aliases_by_version(model)
        return [_info(mv, by_version) for mv in self._versions(name)]

    def resolve(self, ref: str | ModelRef) -> ModelVersionInfo:
        """The version ``ref`` names (the latest one for a bare ``NAME``)."""
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode

        parsed = ModelRef.parse(ref)
        model = self._registered(parsed.name)
        by_version = _aliases_by_version(model)
        client = self.store.client()
        if parsed.alias is not None:
            try:
                mv = client.get_model_version_by_alias(parsed.name, parsed.alias)
            except MlflowException as exc:
                if exc.error_code in (
                    ErrorCode.Name(RESOURCE_DOES_NOT_EXIST),
                    ErrorCode.Name(INVALID_PARAMETER_VALUE),
                ):
                    raise UnknownModelAliasError(
                        name=parsed.name, alias=parsed.alias, known=sorted(_aliases(model))
                    ) from None
                raise
            return _info(mv, by_version)
        versions = self._versions(parsed.name)
        if parsed.version is None:
            if not versions:
                raise UnknownModelVersionError(name=parsed.name, version="(latest)", known=[])
            return _info(versions[-1], by_version)
        for mv in versions:
            if int(mv.version) == parsed.version:
                return _info(mv, by_version)
        raise UnknownModelVersionError(
            name=parsed.name, version=parsed.version, known=[int(mv.version) for mv in versions]
        )

    def show(self, ref: str | ModelRef) -> ModelVersionDetails:
        """A version with its run's params, per-split metrics, tags, approval, aliases and lineage."""
        info = self.resolve(ref)
        params: dict[str, str] = {}
        metrics: dict[str, dict[str, float]] = {}
        other: dict[str, float] = {}
        run_tags: dict[str, str] = {}
        run_status = None
        if info.run_id:
            run = self.store.client().get_run(info.run_id)
            run_status = run.info.status
            params = dict(run.data.params)
            run_tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.log-model")}
            metrics, other = split_metrics(run.data.metrics, run_tags.get(T.SPLITS, ""))
        lineage = self._lineage_or_none(info)
        return ModelVersionDetails(
            info=info,
            run_status=run_status,
            params=params,
            metrics=metrics,
            other_metrics=other,
            run_tags=run_tags,
            approval=Approval.from_tags(info.tags),
            lineage=lineage,
        )

    def compare(self, refs: Sequence[str | ModelRef]) -> Comparison:
        """Metrics of several versions side by side (and the params that differ)."""
        details = [self.show(r) for r in refs]
        flat = [
            {f"{s}_{m}": v for s, vals in d.metrics.items() for m, v in vals.items()} | dict(d.other_metrics)
            for d in details
        ]
        metric_keys = sorted({k for f in flat for k in f})
        param_keys = sorted({k for d in details for k in d.params})
        params = {
            k: tuple(d.params.get(k) for d in details)
            for k in param_keys
            if len({d.params.get(k) for d in details}) > 1
        }
        return Comparison(
            versions=tuple(d.info for d in details),
            metrics={k: tuple(f.get(k) for f in flat) for k in metric_keys},
            params=params,
        )

    # -- approval and aliases ------------------------------------------------------------------

    def approval(self, ref: str | ModelRef) -> Approval:
        return Approval.from_tags(self.resolve(ref).tags)

    def approve(self, ref: str | ModelRef, *, by: str | None = None, comment: str | None = None) -> Approval:
        """Set ``Approved`` (see the approval rules)."""
        return self._decide(ref, ApprovalStatus.APPROVED, by, comment)

    def reject(self, ref: str | ModelRef, *, by: str | None = None, comment: str | None = None) -> Approval:
        """Set ``Rejected``; a comment saying why is required."""
        return self._decide(ref, ApprovalStatus.REJECTED, by, comment)

    def _decide(
        self, ref: str | ModelRef, status: ApprovalStatus, by: str | None, comment: str | None
    ) -> Approval:
        info = self.resolve(ref)
        current = Approval.from_tags(info.tags)
        comment = comment.strip() if comment and comment.strip() else None
        if not check_transition(info.name, info.version, current.status, status, comment):
            return current
        updated = current.moved_to(status, by or getpass.getuser(), comment)
        client = self.store.client()
        for key, value in updated.to_tags().items():
            client.set_model_version_tag(info.name, str(info.version), key, self.store.redact(value))
        return updated

    def set_alias(self, name: str, alias: str, version: int | str) -> ModelVersionInfo:
        """Point ``alias`` at ``version`` of ``name`` (moving it if it pointed elsewhere)."""
        validate_alias(alias)
        target = self.resolve(ModelRef(name=name, version=int(version)))
        self.store.client().set_registered_model_alias(name, alias, str(target.version))
        return self.resolve(ModelRef(name=name, alias=alias))

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from ``name``; an alias that does not exist is an error listing those that do."""
        model = self._registered(name)
        if alias not in _aliases(model):
            raise UnknownModelAliasError(name=name, alias=alias, known=sorted(_aliases(model)))
        self.store.client().delete_registered_model_alias(name, alias)

    # -- artifacts -----------------------------------------------------------------------------

    def load_spark_model(self, ref: str | ModelRef) -> PipelineModel:
        """The fitted Spark ``PipelineModel`` of a version (needs an active SparkSession)."""
        info = self.resolve(ref)
        with self.store.artifact_access():
            return load_spark_model(info.artifact_uri, self.store.profile)

    def lineage_of(self, ref: str | ModelRef) -> Lineage:
        """Exactly what the version's training run read (from its ``lineage.json``)."""
        info = self.resolve(ref)
        lineage = self._lineage_or_none(info)
        if lineage is None:
            raise LineageNotFoundError(name=info.name, version=info.version, run_id=info.run_id or "-")
        return lineage

    def _lineage_or_none(self, info: ModelVersionInfo) -> Lineage | None:
        if not info.run_id:
            return None
        client = self.store.client()
        with self.store.artifact_access():
            listed = {a.path for a in client.list_artifacts(info.run_id)}
            if LINEAGE_ARTIFACT not in listed:
                return None
            with tempfile.TemporaryDirectory(prefix="lakeforge-lineage-") as tmp:
                local = client.download_artifacts(info.run_id, LINEAGE_ARTIFACT, tmp)
                return Lineage.from_json(Path(local).read_text(encoding="utf-8"))


def split_metrics(
    metrics: Mapping[str, float], splits: str
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """``test_roc_auc`` → ``{"test": {"roc_auc": …}}`` for the splits recorded on the run."""
    names = sorted((s for s in splits.split(",") if s), key=len, reverse=True)
    nested: dict[str, dict[str, float]] = {}
    other: dict[str, float] = {}
    for key, value in sorted(metrics.items()):
        split = next((s for s in names if key.startswith(f"{s}_")), None)
        if split is None:
            other[key] = value
        else:
            nested.setdefault(split, {})[key[len(split) + 1 :]] = value
    return nested, other


def _aliases(model: Any) -> dict[str, str]:
    raw = getattr(model, "aliases", None) or {}
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(a.alias): str(a.version) for a in raw}


def _aliases_by_version(model: Any) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for alias, version in _aliases(model).items():
        out.setdefault(int(version), []).append(alias)
    return {v: tuple(sorted(a)) for v, a in out.items()}


def _info(mv: ModelVersion, by_version: Mapping[int, tuple[str, ...]]) -> ModelVersionInfo:
    tags = dict(mv.tags or {})
    return ModelVersionInfo(
        name=mv.name,
        version=int(mv.version),
        run_id=mv.run_id or None,
        artifact_uri=mv.source or "",
        created_at=_iso(mv.creation_timestamp),
        aliases=by_version.get(int(mv.version), tuple(mv.aliases or ())),
        approval=Approval.from_tags(tags).status,
        description=mv.description or None,
        tags=tags,
    )

