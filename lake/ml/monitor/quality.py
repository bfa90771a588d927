"""Model-quality drift: predictions joined with late-arriving ground truth vs the training metric.

The metrics are :func:`lake.ml.evaluate.evaluate`'s (exact, as scikit-learn defines them).
Default metric per task: binary ``roc_auc`` when a probability column is given, else
``accuracy``; multiclass ``accuracy``; regression ``rmse``. A greater-is-better metric is
degraded when it falls more than ``quality_max_drop`` (0.05) below the training test value, a
lower-is-better one when it rises more than ``quality_max_increase`` (10 %) above it. Rows
whose label has not arrived yet (null) are left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.errors import MetricUndefinedError, UnknownMetricError
from lake.ml.metrics import greater_is_better, resolve_metric
from lake.ml.monitor.errors import MonitorInputError
from lake.ml.monitor.profile import quote
from lake.ml.monitor.thresholds import MonitorThresholds
from lake.ml.monitor.violations import MODEL_QUALITY, Violation

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["QUALITY_TASKS", "ModelQuality", "check_model_quality", "default_metric", "join_ground_truth"]

QUALITY_TASKS = ("binary", "multiclass", "regression")
_ABSENT = "\x00absent"  # a column name no DataFrame has: tells evaluate() not to look for it


@dataclass(frozen=True)
class ModelQuality:
    """The current value of the monitored metric against the training value and its threshold."""

    task: str
    metric: str
    value: float | None
    baseline: float | None
    threshold: float | None
    greater_is_better: bool
    rows: int
    unlabelled: int
    degraded: bool
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_metric(task: str, *, has_probability: bool) -> str:
    """The metric monitored for ``task`` when none is named."""
    if task == "binary":
        return "roc_auc" if has_probability else "accuracy"
    if task == "multiclass":
        return "accuracy"
    if task == "regression":
        return "rmse"
    raise MonitorInputError(problem=f"model quality needs a task in {', '.join(QUALITY_TASKS)}, got {task!r}")


def join_ground_truth(
    predictions: DataFrame, ground_truth: DataFrame, *, on: str | list[str], label: str
) -> DataFrame:
    """``predictions`` left-joined with the ``label`` column of ``ground_truth`` by ``on``.

    Predictions without ground truth yet keep a null label (counted, not evaluated, by
    :func:`check_model_quality`); a label column already in ``predictions`` is replaced.
    """
    keys = [on] if isinstance(on, str) else list(on)
    for frame, what in ((predictions, "predictions"), (ground_truth, "ground truth")):
        absent = [k for k in keys if k not in frame.columns]
        if absent:
            raise MonitorInputError(problem=f"the {what} have no join column {absent[0]!r}")
    if label not in ground_truth.columns:
        raise MonitorInputError(problem=f"the ground truth has no label column {label!r}")
    truth = ground_truth.select(*[quote(k) for k in keys], quote(label)).dropDuplicates(keys)
    left = predictions.drop(label) if label in predictions.columns else predictions
    return left.join(truth, on=keys, how="left")


def check_model_quality(
    df: DataFrame,
    *,
    task: str,
    label: str,
    prediction: str | None = None,
    probability: str | None = None,
    training_metric: float | Mapping[str, float] | None = None,
    metric: str | None = None,
    thresholds: MonitorThresholds | None = None,
) -> tuple[ModelQuality, Violation | None]:
    """Evaluate the labelled rows of ``df`` and compare ``metric`` with the training value.

    ``training_metric`` is the value itself or a mapping of metric names (``roc_auc``,
    ``test_roc_auc``, aliases such as ``auc``) to values, e.g. the version's test metrics.
    """
    from pyspark.sql import functions as F

    from lake.ml.evaluate import evaluate

    limits = thresholds or MonitorThresholds()
    if task not in QUALITY_TASKS:
        raise MonitorInputError(problem=f"model quality needs a task in {', '.join(QUALITY_TASKS)}, got {task!r}")
    for role, name in (("label", label), ("prediction", prediction), ("probability", probability)):
        if name is not None and name not in df.columns:
            raise MonitorInputError(problem=f"the {role} column {name!r} is not in the data")
    if prediction is None and probability is None:
        raise MonitorInputError(problem="model quality needs a prediction or a probability column")
    try:
        chosen = resolve_metric(task, metric or default_metric(task, has_probability=probability is not None))
    except UnknownMetricError as exc:
        raise MonitorInputError(problem=str(exc)) from exc
    higher = greater_is_better(task, chosen)
    counts = df.agg(F.count(F.lit(1)).alias("rows"), F.count(F.col(quote(label))).alias("labelled")).collect()[0]
    labelled, unlabelled = int(counts["labelled"]), int(counts["rows"]) - int(counts["labelled"])
    notes: list[str] = []
    if unlabelled:
        notes.append(f"{unlabelled:,} rows have no ground truth yet and are not evaluated")
    baseline = _training_value(training_metric, task, chosen)

    def result(value: float | None, metrics: dict[str, float], threshold: float | None, degraded: bool) -> ModelQuality:
        return ModelQuality(
            task=task, metric=chosen, value=value, baseline=baseline, threshold=threshold,
            greater_is_better=higher, rows=labelled, unlabelled=unlabelled, degraded=degraded,
            metrics=metrics, notes=notes,
        )

    if labelled < limits.min_quality_rows:
        notes.append(f"only {labelled:,} labelled rows (< {limits.min_quality_rows}): model quality not assessed")
        return result(None, {}, None, False), None
    evaluation = evaluate(
        df.filter(F.col(quote(label)).isNotNull()),
        task,
        label_col=label,
        prediction_col=prediction or _ABSENT,
        probability_col=probability or _ABSENT,
        raw_prediction_col=_ABSENT,
    )
    try:
        value = evaluation.metric(chosen)
    except MetricUndefinedError as exc:
        notes.append(str(exc))
        return result(None, dict(evaluation.metrics), None, False), None
    if baseline is None:
        notes.append(f"no training value of {chosen}: pass training_metric (e.g. the version's test metrics)")
        return result(value, dict(evaluation.metrics), None, False), None
    if higher:
        threshold = baseline - limits.quality_max_drop
        degraded = value < threshold
        rule = f"training {baseline:.4g} - allowed drop {limits.quality_max_drop:g}"
        word = "below"
    else:
        threshold = baseline * (1 + limits.quality_max_increase)
        degraded = value > threshold
        rule = f"training {baseline:.4g} + {100 * limits.quality_max_increase:g}%"
        word = "above"
    quality = result(value, dict(evaluation.metrics), threshold, degraded)
    if not degraded:
        return quality, None
    violation = Violation(
        label, MODEL_QUALITY,
        f"Metric {chosen} {value:.4g} is {word} the threshold {threshold:.4g} ({rule}) on {labelled:,} labelled rows",
        metric=chosen, value=value, threshold=threshold, baseline_value=baseline,
    )
    return quality, violation


def _training_value(training: float | Mapping[str, float] | None, task: str, metric: str) -> float | None:
    """The training value of ``metric``: test-split keys (``test_roc_auc``) first, then plain names."""
    if training is None:
        return None
    if not isinstance(training, Mapping):
        return float(training)
    prefixed: list[tuple[str, float]] = []
    plain: list[tuple[str, float]] = []
    for key, value in training.items():
        name = str(key)
        prefix = next((p for p in ("test_", "test/", "test.") if name.startswith(p)), None)
        if prefix:
            prefixed.append((name[len(prefix):], float(value)))
        else:
            plain.append((name, float(value)))
    for name, value in (*prefixed, *plain):
        try:
            if resolve_metric(task, name) == metric:
                return value
        except UnknownMetricError:
            continue
    return None
