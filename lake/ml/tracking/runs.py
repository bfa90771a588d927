"""Record one training run: params, per-split metrics, artifacts, lineage, the Spark model, a version.

``Tracker(store).start_run(name)`` opens an MLflow run in the experiment ``name`` (artifact
location ``<lake>/ml/artifacts/<name>``). Used as a context manager, the run ends FINISHED when
the block completes and FAILED (KILLED on Ctrl-C) with a one-line ``lakeforge.error`` tag when it
raises. Nothing is half-registered: a run that does not finish leaves no model version — a
version created by it is deleted, and the logged model is marked FAILED.
"""

from __future__ import annotations

import getpass
import json
import logging
import math
import numbers
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lake.ml.errors import (
    ExperimentLocationError,
    InvalidMetricError,
    ModelLoggingError,
    RunStateError,
    TrackingError,
)
from lake.ml.tracking import tags as T
from lake.ml.tracking.approval import Approval, ApprovalStatus
from lake.ml.tracking.lineage import LINEAGE_ARTIFACT, Lineage
from lake.ml.tracking.names import validate_name
from lake.ml.tracking.spark_model import save_spark_model
from lake.ml.tracking.store import TrackingStore

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import ModelSignature
    from pyspark.ml import Transformer
    from pyspark.sql import DataFrame

__all__ = ["RegisteredVersion", "RunResult", "SparkModelInfo", "TrackedRun", "Tracker"]

_log = logging.getLogger(__name__)
_METRIC_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_PARAM_LIMIT = 6000
_TAG_LIMIT = 8000
_ERROR_LIMIT = 1000
_BATCH = 100
MODEL_ARTIFACT_NAME = "model"


@dataclass(frozen=True)
class SparkModelInfo:
    """The Spark model logged by a run (an MLflow logged model in the lake)."""

    model_id: str
    artifact_uri: str
    signature: dict[str, Any] | None


@dataclass(frozen=True)
class RegisteredVersion:
    """A model version created by a run."""

    name: str
    version: int
    run_id: str
    artifact_uri: str
    approval: ApprovalStatus

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class RunResult:
    """How a run ended: what ``lake train --json`` prints."""

    run_id: str
    model: str
    version: int | None
    status: str
    metrics: dict[str, dict[str, float]]
    artifact_uri: str
    seconds: float
    error: str | None = None
    model_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "metrics": {
                s: {k: (v if math.isfinite(v) else None) for k, v in m.items()} for s, m in self.metrics.items()
            },
            "artifact_uri": self.artifact_uri,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "model_uri": self.model_uri,
        }


class Tracker:
    """Starts tracked runs on one :class:`TrackingStore`."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    def experiment_id(self, experiment: str) -> str:
        """The id of ``experiment``, created (or restored) with its artifact location in the lake."""
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

        expected = self.store.experiment_location(experiment)
        client = self.store.client()
        found = client.get_experiment_by_name(experiment)
        if found is None:
            try:
                return client.create_experiment(experiment, artifact_location=expected)
            except MlflowException as exc:
                if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                    raise
                found = client.get_experiment_by_name(experiment)
                if found is None:
                    raise
        if found.artifact_location.rstrip("/") != expected.rstrip("/"):
            raise ExperimentLocationError(
                experiment=experiment, location=found.artifact_location, expected=expected
            )
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        return str(found.experiment_id)

    def start_run(
        self,
        model_name: str,
        *,
        experiment: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> TrackedRun:
        """Open a RUNNING run for the registered model ``model_name`` (experiment defaults to it)."""
        validate_name(model_name)
        experiment_id = self.experiment_id(experiment or model_name)
        user = getpass.getuser()
        run_tags = {
            T.MODEL: model_name,
            T.LAKE: self.store.profile.lake_uri,
            T.PROFILE: self.store.profile.name,
            "mlflow.user": user,
            "mlflow.source.type": "JOB",
            "mlflow.source.name": "lakeforge",
        }
        run_tags.update({str(k): str(v) for k, v in (tags or {}).items()})
        run = self.store.client().create_run(
            experiment_id, tags=_redact_tags(self.store, run_tags), run_name=run_name
        )
        return TrackedRun(self.store, run.info.run_id, experiment_id, model_name, run.info.artifact_uri, user)


@dataclass
class _State:
    status: str = "RUNNING"
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    lineage: Lineage | None = None
    model: SparkModelInfo | None = None
    version: RegisteredVersion | None = None
    result: RunResult | None = None


class TrackedRun:
    """One MLflow run in progress; use as a context manager or end it with :meth:`finish`/:meth:`fail`."""

    def __init__(
        self,
        store: TrackingStore,
        run_id: str,
        experiment_id: str,
        model_name: str,
        artifact_uri: str,
        user: str,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.model_name = model_name
        self.artifact_uri = artifact_uri
        self.user = user
        self._started = time.monotonic()
        self._state = _State()

    # -- state -----------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._state.status

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        return {s: dict(m) for s, m in self._state.metrics.items()}

    @property
    def model(self) -> SparkModelInfo | None:
        return self._state.model

    @property
    def version(self) -> RegisteredVersion | None:
        return self._state.version

    @property
    def result(self) -> RunResult | None:
        """How the run ended (``None`` while it runs)."""
        return self._state.result

    def _require_running(self, action: str) -> None:
        if self._state.status != "RUNNING":
            raise RunStateError(run_id=self.run_id, problem=f"cannot {action}: the run is {self._state.status}")

    def __enter__(self) -> TrackedRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            if self._state.status == "RUNNING":
                self.fail(exc, killed=isinstance(exc, KeyboardInterrupt))
        elif self._state.status == "RUNNING":
            self.finish()

    # -- logging -----------------------------------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> dict[str, str]:
        """Log ``params`` (nested mappings flatten to dotted keys); returns what was logged."""
        from mlflow.entities import Param

        self._require_running("log params")
        flat = {k: _param_value(self.store, k, v) for k, v in _flatten(params).items()}
        items = [Param(k, v) for k, v in flat.items()]
        for start in range(0, len(items), _BATCH):
            self.store.client().log_batch(self.run_id, params=items[start : start + _BATCH])
        return flat

    def log_metrics(
        self, metrics: Mapping[str, Mapping[str, float]], *, step: int | None = None
    ) -> dict[str, dict[str, float]]:
        """Log ``{split: {metric: value}}`` as ``<split>_<metric>``; returns all metrics so far."""
        from mlflow.entities import Metric

        self._require_running("log metrics")
        now = int(time.time() * 1000)
        entries: list[Metric] = []
        checked: dict[str, dict[str, float]] = {}
        for split, values in metrics.items():
            for metric, value in values.items():
                number = _metric_value(split, metric, value)
                checked.setdefault(split, {})[metric] = number
                entries.append(Metric(f"{split}_{metric}", number, now, step or 0))
        for start in range(0, len(entries), 1000):
            self.store.client().log_batch(self.run_id, metrics=entries[start : start + 1000])
        for split, values in checked.items():
            self._state.metrics.setdefault(split, {}).update(values)
        self.store.client().set_tag(self.run_id, T.SPLITS, ",".join(sorted(self._state.metrics)))
        return self.metrics

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set run tags (credentials redacted)."""
        from mlflow.entities import RunTag

        self._require_running("set tags")
        items = [RunTag(k, v) for k, v in _redact_tags(self.store, tags).items()]
        for start in range(0, len(items), _BATCH):
            self.store.client().log_batch(self.run_id, tags=items[start : start + _BATCH])

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        """Upload a file, or a directory's contents, to the run's artifacts in the lake."""
        self._require_running("log artifacts")
        local = Path(path)
        if not local.exists():
            raise RunStateError(run_id=self.run_id, problem=f"cannot log artifact {local}: no such file or directory")
        with self.store.artifact_access():
            if local.is_dir():
                self.store.client().log_artifacts(self.run_id, str(local), artifact_path)
            else:
                self.store.client().log_artifact(self.run_id, str(local), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        """Write ``text`` as the artifact ``artifact_file`` (e.g. ``spec.toml``)."""
        self._require_running("log artifacts")
        with self.store.artifact_access():
            self.store.client().log_text(self.run_id, text, artifact_file)

    def log_dict(self, data: Mapping[str, Any] | Sequence[Any], artifact_file: str) -> None:
        """Write ``data`` as a JSON artifact (e.g. ``prep_report.json``, ``trials.json``)."""
        self.log_text(json.dumps(data, indent=2, sort_keys=True, default=str), artifact_file)

    def set_lineage(self, lineage: Lineage) -> None:
        """Record what the run read: ``lineage.json`` plus ``lakeforge.lineage.*`` run tags."""
        self._require_running("set lineage")
        self.log_text(lineage.to_json(), LINEAGE_ARTIFACT)
        self.set_tags(lineage.tags())
        self._state.lineage = lineage

    def log_spark_model(
        self,
        model: Transformer,
        *,
        input_example: DataFrame | pd.DataFrame,
        signature: ModelSignature | None = None,
        extra_pip_requirements: Sequence[str] = (),
        dfs_tmpdir: str | None = None,
    ) -> SparkModelInfo:
        """Log the fitted Spark model (MLflow ``spark`` flavor) with signature and input example."""
        from mlflow.entities import LoggedModelOutput, LoggedModelStatus
        from mlflow.models import Model

        self._require_running("log the model")
        if self._state.model is not None:
            raise RunStateError(run_id=self.run_id, problem="a model was already logged by this run")
        client = self.store.client()
        logged = client.create_logged_model(
            self.experiment_id, name=MODEL_ARTIFACT_NAME, source_run_id=self.run_id, model_type="spark"
        )
        try:
            with tempfile.TemporaryDirectory(prefix="lakeforge-model-") as tmp:
                local = Path(tmp) / MODEL_ARTIFACT_NAME
                meta = Model(
                    artifact_path=logged.artifact_location,
                    model_uuid=logged.model_id,
                    run_id=self.run_id,
                    model_id=logged.model_id,
                )
                try:
                    used = save_spark_model(
                        model,
                        local,
                        input_example=input_example,
                        signature=signature,
                        extra_pip_requirements=extra_pip_requirements,
                        mlflow_model=meta,
                        dfs_tmpdir=dfs_tmpdir,
                    )
                except TrackingError:
                    raise
                except Exception as exc:
                    raise ModelLoggingError(model=self.model_name, reason=_one_line(self.store, exc)) from exc
                with self.store.artifact_access():
                    client.log_model_artifacts(logged.model_id, str(local))
            client.log_outputs(self.run_id, [LoggedModelOutput(logged.model_id, step=0)])
            client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
        except BaseException:
            _quietly(lambda: client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED))
            raise
        info = SparkModelInfo(logged.model_id, logged.artifact_location, used.to_dict() if used else None)
        self._state.model = info
        return info

    # -- registration and the end --------------------------------------------------------------

    def register(self, *, description: str | None = None, tags: Mapping[str, Any] | None = None) -> RegisteredVersion:
        """Register the logged model as a new version of ``model_name`` (``PendingManualApproval``).

        If anything fails after the version was created, the version is deleted before raising.
        """
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

        self._require_running("register")
        if self._state.model is None:
            raise RunStateError(run_id=self.run_id, problem="nothing to register: log the model first")
        if self._state.version is not None:
            raise RunStateError(run_id=self.run_id, problem=f"already registered as {self._state.version.ref}")
        client = self.store.client()
        try:
            client.create_registered_model(self.model_name)
        except MlflowException as exc:
            if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                raise
        version_tags: dict[str, Any] = {
            **Approval.initial(self.user).to_tags(),
            T.MODEL_ID: self._state.model.model_id,
            T.LAKE: self.store.profile.lake_uri,
        }
        if self._state.lineage is not None:
            version_tags.update(self._state.lineage.tags())
        version_tags.update(tags or {})
        try:
            created = client.create_model_version(
                self.model_name,
                source=self._state.model.artifact_uri,
                run_id=self.run_id,
                tags=_redact_tags(self.store, version_tags),
                description=description,
                model_id=self._state.model.model_id,
            )
            number = int(created.version)
            client.set_tag(self.run_id, T.VERSION, str(number))
        except BaseException:
            self._delete_versions()
            raise
        self._state.version = RegisteredVersion(
            self.model_name, number, self.run_id, self._state.model.artifact_uri, ApprovalStatus.PENDING
        )
        return self._state.version

    def finish(self) -> RunResult:
        """End the run FINISHED."""
        self._require_running("finish")
        self.store.client().set_terminated(self.run_id, "FINISHED")
        return self._end("FINISHED", None)

    def fail(self, error: BaseException | str, *, killed: bool = False) -> RunResult:
        """End the run FAILED (or KILLED) with a one-line error; remove any version it registered."""
        from mlflow.entities import LoggedModelStatus

        self._require_running("fail")
        status = "KILLED" if killed else "FAILED"
        message = _one_line(self.store, error)
        client = self.store.client()
        self._delete_versions()
        if self._state.model is not None:
            model_id = self._state.model.model_id
            _quietly(lambda: client.finalize_logged_model(model_id, LoggedModelStatus.FAILED))
        error_type = type(error).__name__ if isinstance(error, BaseException) else "Error"
        _quietly(lambda: client.set_tag(self.run_id, T.ERROR, message))
        _quietly(lambda: client.set_tag(self.run_id, T.ERROR_TYPE, error_type))
        _quietly(lambda: client.set_terminated(self.run_id, status))
        return self._end(status, message)

    def _delete_versions(self) -> None:
        """Delete every version of this run's model created from this run (also unacknowledged ones)."""
        client = self.store.client()
        self._state.version = None
        try:
            found = client.search_model_versions(f"name = '{self.model_name}' and run_id = '{self.run_id}'")
        except Exception as exc:
            _log.error("run %s: could not look up its model versions to remove them: %s", self.run_id, exc)
            return
        for mv in found:
            name, number = mv.name, mv.version
            _quietly(lambda n=name, v=number: client.delete_model_version(n, v))  # type: ignore[misc]
        _quietly(lambda: client.delete_tag(self.run_id, T.VERSION))

    def _end(self, status: str, error: str | None) -> RunResult:
        version = self._state.version.version if self._state.version else None
        self._state.status = status
        self._state.result = RunResult(
            run_id=self.run_id,
            model=self.model_name,
            version=version,
            status=status,
            metrics=self.metrics,
            artifact_uri=self.artifact_uri,
            seconds=time.monotonic() - self._started,
            error=error,
            model_uri=self._state.model.artifact_uri if self._state.model and version is not None else None,
        )
        return self._state.result


def _quietly(action: Any) -> None:
    """Run a clean-up step; a failure is logged as an error and does not hide the original one."""
    try:
        action()
    except Exception as exc:
        _log.error("clean-up step failed: %s: %s", type(exc).__name__, exc)


def _one_line(store: TrackingStore, error: BaseException | str) -> str:
    text = str(error).strip() or (type(error).__name__ if isinstance(error, BaseException) else "error")
    first = text.splitlines()[0].strip()
    return store.redact(first)[:_ERROR_LIMIT]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _param_value(store: TrackingStore, key: str, value: Any) -> str:
    from lake.config import Secret, is_secret_key

    if isinstance(value, Secret) or is_secret_key(key):
        return "****"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = store.redact(text)
    if len(text) > _PARAM_LIMIT:
        marker = f"…[truncated from {len(text)} characters]"
        text = text[: _PARAM_LIMIT - len(marker)] + marker
    return text


def _redact_tags(store: TrackingStore, tags: Mapping[str, Any]) -> dict[str, str]:
    from lake.config import is_secret_key

    out: dict[str, str] = {}
    for key, value in tags.items():
        text = "****" if is_secret_key(str(key)) else store.redact(str(value))
        out[str(key)] = text if len(text) <= _TAG_LIMIT else text[: _TAG_LIMIT - 1] + "…"
    return out


def _metric_value(split: str, metric: str, value: Any) -> float:
    for part in (split, metric):
        if not isinstance(part, str) or not _METRIC_PART.fullmatch(part):
            raise InvalidMetricError(
                split=str(split), metric=str(metric), value=value,
                problem="names use letters, digits, '_', '-' and '.'",
            )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidMetricError(split=split, metric=metric, value=value, problem="expected a number")
    number = float(value)
    if math.isinf(number):
        raise InvalidMetricError(split=split, metric=metric, value=value, problem="expected a finite number")
    return number
