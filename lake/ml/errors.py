"""Errors of the machine-learning library: one base, narrow subclasses with fields."""

from __future__ import annotations

import difflib

from lake.errors import LakeforgeError, Transient

__all__ = [
    "AllTrialsFailedError",
    "ApprovalTransitionError",
    "BadRequestError",
    "BatchTransformError",
    "DataError",
    "EvaluationError",
    "ExperimentLocationError",
    "ExportError",
    "ExportMismatchError",
    "InvalidAliasError",
    "InvalidMetricError",
    "InvalidModelNameError",
    "InvalidModelReferenceError",
    "LineageNotFoundError",
    "MLError",
    "MetricUndefinedError",
    "ModelLoggingError",
    "NoLocalUiError",
    "PlotInputError",
    "RunStateError",
    "ServingError",
    "SpecError",
    "ThresholdError",
    "TooManyRowsError",
    "TrackingError",
    "TrackingUnavailableError",
    "TrainingError",
    "TuneError",
    "TuneSetupError",
    "TuneSpaceError",
    "UnknownMetricError",
    "UnknownModelAliasError",
    "UnknownModelError",
    "UnknownModelVersionError",
    "UnknownTaskError",
    "UnknownTrackingBackendError",
]


class MLError(LakeforgeError):
    """Base of every error raised by ``lake.ml``."""


class TrackingError(MLError):
    """MLflow tracking or the model registry failed or was used wrongly."""

    @property
    def known_text(self) -> str:
        known = list(getattr(self, "known", None) or [])
        shown = ", ".join(str(k) for k in known[:20])
        return (shown + (f", … ({len(known)} in all)" if len(known) > 20 else "")) or "none"


class UnknownTrackingBackendError(TrackingError):
    """The requested tracking backend is not registered."""

    template = "unknown tracking backend {backend!r}; valid backends: {known_text}"
    backend: str
    known: list[str]


class TrackingUnavailableError(Transient, TrackingError):
    """The MLflow tracking store did not answer."""

    template = "MLflow tracking store {uri} is unavailable ({reason}); check that it runs and is reachable"
    uri: str
    reason: str


class ExperimentLocationError(TrackingError):
    """An experiment keeps its artifacts outside the current lake."""

    template = (
        "experiment {experiment!r} keeps its artifacts at {location}, outside this lake ({expected}); "
        "train under another experiment name or use the tracking store of that lake"
    )
    experiment: str
    location: str
    expected: str


class InvalidModelNameError(TrackingError):
    """A model or experiment name MLflow, S3 keys and references cannot all carry."""

    template = (
        "invalid {what} name {name!r}: use letters, digits, '_', '-' and '.', starting with a letter or "
        "digit (at most 200 characters)"
    )
    name: str
    what: str = "model"


class InvalidModelReferenceError(TrackingError):
    """A model reference string is malformed."""

    template = "invalid model reference {reference!r}: expected NAME, NAME:VERSION or NAME@ALIAS ({reason})"
    reference: str
    reason: str


class UnknownModelError(TrackingError):
    """No registered model of that name."""

    template = "no registered model {name!r}; registered models: {known_text}"
    name: str
    known: list[str]


class UnknownModelVersionError(TrackingError):
    """The model exists but not that version (or has no version at all)."""

    template = "model {name!r} has no version {version}; its versions: {known_text}"
    name: str
    version: object
    known: list[int]


class UnknownModelAliasError(TrackingError):
    """The model exists but has no such alias."""

    template = "model {name!r} has no alias {alias!r}; its aliases: {known_text}"
    name: str
    alias: str
    known: list[str]


class InvalidAliasError(TrackingError):
    """An alias name MLflow would refuse or that reads as a version."""

    template = "invalid alias {alias!r}: {reason}"
    alias: str
    reason: str


class ApprovalTransitionError(TrackingError):
    """An approval change the registry's rules do not allow."""

    template = "cannot move {name}:{version} from {current} to {requested}: {rule}"
    name: str
    version: int
    current: str
    requested: str
    rule: str


class RunStateError(TrackingError):
    """A tracked run was used out of order (after it ended, registering twice, …)."""

    template = "run {run_id}: {problem}"
    run_id: str
    problem: str


class LineageNotFoundError(TrackingError):
    """A model version was registered without a lineage record."""

    template = "{name}:{version} has no lineage record (run {run_id}): it cannot be reproduced from the lake"
    name: str
    version: int
    run_id: str


class InvalidMetricError(TrackingError):
    """A metric name or value MLflow cannot store."""

    template = "metric {split}/{metric}: {problem}, got {value!r}"
    split: str
    metric: str
    value: object
    problem: str


class ModelLoggingError(TrackingError):
    """The fitted model could not be saved as an MLflow model."""

    template = "cannot log the Spark model of {model!r}: {reason}"
    model: str
    reason: str


class NoLocalUiError(TrackingError):
    """``mlflow ui`` does not apply to a tracking server (it serves its own UI)."""

    template = "tracking store {uri} is an MLflow server with its own UI: open {uri} in a browser"
    uri: str


class UnknownTaskError(MLError):
    """A task name outside binary, multiclass, regression, clustering, topics."""

    template = "unknown task {task!r}; valid tasks: {valid_text}"
    task: str
    valid: list[str]

    @property
    def valid_text(self) -> str:
        return ", ".join(self.valid)


class UnknownMetricError(MLError):
    """A metric name the task does not define."""

    template = "unknown metric {metric!r} for task {task}; valid metrics: {valid_text}"
    metric: str
    task: str
    valid: list[str]

    @property
    def valid_text(self) -> str:
        return ", ".join(self.valid)


class EvaluationError(MLError):
    """Predictions cannot be evaluated as given (missing column, bad labels, nulls, …)."""

    template = "cannot evaluate {task} predictions: {problem}"
    task: str
    problem: str


class MetricUndefinedError(EvaluationError):
    """The metric exists for the task but is undefined on these predictions."""

    template = "{metric} is undefined on these {task} predictions: {problem}"
    metric: str


class TooManyRowsError(MLError):
    """An operation that works on the driver (or per row) got more rows than its documented limit."""

    template = "{operation} takes at most {limit:,} rows, got {rows:,}; {hint}"
    operation: str
    rows: int
    limit: int
    hint: str


class ThresholdError(MLError):
    """No decision threshold can be chosen from the given labels and scores."""

    template = "cannot choose a decision threshold: {problem}"
    problem: str


class PlotInputError(MLError):
    """A plot's input is empty or degenerate (e.g. a ROC curve of a single class)."""

    template = "cannot draw the {plot} plot: {problem}"
    plot: str
    problem: str


class TuneError(MLError):
    """Hyperparameter tuning cannot start or did not produce a model."""


class TuneSpaceError(TuneError):
    """One dimension of ``[tune] space`` is malformed."""

    template = "tune.space.{name}: {problem}"
    name: str
    problem: str


class TuneSetupError(TuneError):
    """The tuning request is inconsistent (missing validation split, grid over max_trials, …)."""

    template = "cannot tune: {problem}"
    problem: str


class AllTrialsFailedError(TuneError):
    """Every tuning trial failed; the first failure says why."""

    template = "all {trials} tuning trials failed; trial {index} ({params}): {error}"
    trials: int
    index: int
    params: str
    error: str


class SpecError(MLError):
    """The training spec is malformed: unknown key or algorithm, bad value, impossible combination."""

    template = "spec {key}: {reason}{hint}"
    key: str
    reason: str
    valid: tuple[str, ...] = ()
    got: str | None = None

    @property
    def hint(self) -> str:
        valid = [str(v) for v in self.valid]
        if not valid:
            return ""
        close = difflib.get_close_matches(self.got, valid, n=1, cutoff=0.6) if self.got else []
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{guess}; valid: {', '.join(valid)}"


class DataError(MLError):
    """The data cannot train the spec's model (missing column, single class, all-null feature, …)."""

    template = "{where}: {reason}"
    column: str | None
    reason: str

    @property
    def where(self) -> str:
        return f"column {self.column!r}" if self.column else "training data"


class ExportError(MLError):
    """A fitted pipeline cannot be exported to ONNX; ``stage`` names the stage (its class name)."""

    template = "cannot export {stage} to ONNX: {reason}"
    stage: str
    reason: str


class ExportMismatchError(ExportError):
    """The ONNX export scores differently from Spark; ``stage`` is the first stage whose output disagrees."""

    template = "ONNX and Spark disagree at {stage}: {reason}"


class ServingError(MLError):
    """The model endpoint cannot load or serve a model."""

    template = "{message}"
    message: str


class BadRequestError(ServingError):
    """A request the endpoint refuses; ``status`` is the HTTP status (4xx) it answers with."""

    template = "{reason}"
    reason: str
    status: int = 400


class BatchTransformError(MLError):
    """A batch transform cannot run as asked; ``reason`` says why and what to do."""

    template = "batch transform with model {model}: {reason}"
    model: str
    reason: str


class TrainingError(MLError):
    """A training run failed on an error that is not a lakeforge error (Spark, MLflow, …); ``stage`` says where."""

    template = "training {model} failed at {stage}: {reason}"
    model: str
    stage: str
    reason: str
