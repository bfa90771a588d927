"""Evaluate predictions: every metric of the curriculum, exact, plus the curves the plots need.

Classification and regression pull only the (label, score, prediction) columns to the driver
through Arrow and compute there with numpy (:mod:`lake.ml.metrics`), so every metric equals
scikit-learn's on the same predictions (tested to 1e-9). That costs about 24 bytes a row for
binary or regression predictions (8 x (k + 2) for k classes): the default limit of
:data:`DEFAULT_MAX_ROWS` (20 million rows) is under 500 MB; above it a clear error asks for a
sample. Clustering and topic metrics stay in Spark (silhouette by ``ClusteringEvaluator``,
within-cluster SSE by aggregates, LDA likelihood by the fitted model).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lake.ml.errors import EvaluationError, MetricUndefinedError, TooManyRowsError, UnknownTaskError
from lake.ml.metrics import (
    binary_metrics,
    calibration_bins,
    multiclass_metrics,
    pr_curve,
    regression_metrics,
    resolve_metric,
    roc_curve,
)

if TYPE_CHECKING:
    from pyspark.ml import Transformer
    from pyspark.sql import DataFrame

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_CURVE_POINTS",
    "Evaluation",
    "collect_predictions",
    "evaluate",
    "evaluate_arrays",
    "evaluate_clustering",
    "evaluate_topics",
]

DEFAULT_MAX_ROWS = 20_000_000
MAX_CURVE_POINTS = 1000
_PREDICTION_TASKS = ("binary", "multiclass", "regression")

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Evaluation:
    """The metrics of one set of predictions, and what the plots need; JSON-able by :meth:`to_dict`.

    ``metrics`` holds only defined values (an undefined one, e.g. ROC AUC of a single class, is
    absent and ``notes`` says why). ``confusion`` rows are true classes, columns predicted ones,
    in the order of ``labels``. ``threshold`` is the binary decision threshold used
    (``score >= threshold`` is positive). Curves hold at most :data:`MAX_CURVE_POINTS` points:
    ``roc`` = {fpr, tpr}, ``pr`` = {recall, precision}, ``calibration`` = non-empty uniform bins,
    ``residuals`` = a sample of {predicted, residual}. ``per_class`` maps a class (or cluster)
    name to its own metrics.
    """

    task: str
    metrics: dict[str, float]
    rows: int
    labels: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    threshold: float | None = None
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    roc: dict[str, list[float]] | None = None
    pr: dict[str, list[float]] | None = None
    calibration: list[dict[str, float]] = field(default_factory=list)
    residuals: dict[str, list[float]] | None = None
    notes: list[str] = field(default_factory=list)

    def metric(self, name: str) -> float:
        """The value of metric ``name`` (aliases such as ``auc`` or ``tpr`` accepted)."""
        key = resolve_metric(self.task, name)
        if key not in self.metrics:
            reason = "; ".join(self.notes) or "not computed for these predictions"
            raise MetricUndefinedError(metric=key, task=self.task, problem=reason)
        return self.metrics[key]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (non-finite floats become ``None``)."""
        return _finite(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        """The inverse of :meth:`to_dict`."""
        return cls(**data)


def evaluate(
    predictions: DataFrame,
    task: str,
    *,
    label_col: str = "label",
    prediction_col: str = "prediction",
    probability_col: str = "probability",
    raw_prediction_col: str = "rawPrediction",
    threshold: float | None = None,
    classes: Sequence[Any] | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Evaluation:
    """Evaluate a Spark DataFrame of predictions for ``task`` (binary, multiclass or regression).

    Binary labels must be 0/1 (as ``StringIndexer`` makes them); the score is the positive
    class's probability, else the positive margin of ``raw_prediction_col`` (then no log loss
    or calibration). The rows are predicted positive when ``score >= threshold``; ``threshold``
    defaults to 0.5 for probabilities and 0 for margins. ``classes`` names the label indices.
    """
    arrays = collect_predictions(
        predictions, task, label_col=label_col, prediction_col=prediction_col,
        probability_col=probability_col, raw_prediction_col=raw_prediction_col, max_rows=max_rows,
    )
    return evaluate_arrays(task, threshold=threshold, classes=classes, **arrays)


def collect_predictions(
    predictions: DataFrame,
    task: str,
    *,
    label_col: str = "label",
    prediction_col: str = "prediction",
    probability_col: str = "probability",
    raw_prediction_col: str = "rawPrediction",
    max_rows: int = DEFAULT_MAX_ROWS,
) -> dict[str, Any]:
    """The label, score and prediction columns as numpy arrays (keyword arguments of :func:`evaluate_arrays`)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    if task not in _PREDICTION_TASKS:
        raise UnknownTaskError(task=task, valid=list(_PREDICTION_TASKS))
    schema = {f.name: f.dataType for f in predictions.schema.fields}
    _require(task, schema, label_col, "label")

    def as_array(name: str) -> Any:
        return F.col(name) if not _is_vector(schema[name]) else vector_to_array(F.col(name))

    columns = [F.col(label_col).cast("double").alias("label")]
    score_kind: str | None = None
    if task == "regression":
        _require(task, schema, prediction_col, "prediction")
        columns.append(F.col(prediction_col).cast("double").alias("prediction"))
    else:
        # binary: the positive class's probability (or margin); multiclass: the probability vector
        sources = [("probability", probability_col)] + ([("margin", raw_prediction_col)] if task == "binary" else [])
        for kind, name in sources:
            if name not in schema:
                continue
            score_kind = kind
            if task == "multiclass":
                columns.append(as_array(name).alias("score"))
            elif isinstance(schema[name], NumericType):
                columns.append(F.col(name).cast("double").alias("score"))
            else:
                columns.append(as_array(name)[1].alias("score"))
            break
        if prediction_col in schema:
            columns.append(F.col(prediction_col).cast("double").alias("prediction"))
        elif task == "multiclass" or score_kind is None:
            _require(task, schema, prediction_col, "prediction")
    table = predictions.select(*columns).limit(max_rows + 1).toArrow()
    if table.num_rows > max_rows:
        raise TooManyRowsError(
            operation="evaluation on the driver", rows=table.num_rows, limit=max_rows,
            hint="evaluate a sample (DataFrame.sample) or raise max_rows if the driver has the memory",
        )
    out: dict[str, Any] = {"labels": _column(table, "label", task)}
    if "prediction" in table.column_names:
        out["predictions"] = _column(table, "prediction", task)
    if score_kind is not None:
        score = table.column("score").combine_chunks()
        if score.null_count:
            raise EvaluationError(task=task, problem=f"{score.null_count} rows have no {score_kind}")
        if task == "multiclass":
            out["probabilities"] = _matrix(score, task)
        else:
            out["scores"] = np.asarray(score.to_numpy(zero_copy_only=False), dtype=np.float64)
            out["score_kind"] = score_kind
    return out


def evaluate_arrays(
    task: str,
    labels: Floats,
    *,
    predictions: Floats | None = None,
    scores: Floats | None = None,
    score_kind: str | None = "probability",
    probabilities: Floats | None = None,
    threshold: float | None = None,
    classes: Sequence[Any] | None = None,
) -> Evaluation:
    """Evaluate numpy predictions; the array form of :func:`evaluate` (also used for pooled LOO predictions).

    Binary: ``scores`` rank the positive class (``score_kind`` "probability" or "margin"), else
    ``predictions`` alone give the threshold metrics. Multiclass: ``predictions`` with optional
    ``probabilities`` (n x k) for the log loss. Regression: ``predictions``.
    """
    y = np.asarray(labels, dtype=np.float64).ravel()
    if y.size == 0:
        raise EvaluationError(task=task, problem="there are no rows")
    if not np.all(np.isfinite(y)):
        raise EvaluationError(task=task, problem=f"{int(np.count_nonzero(~np.isfinite(y)))} labels are NaN")
    for name, values in (("predictions", predictions), ("scores", scores), ("probabilities", probabilities)):
        if values is not None and np.asarray(values).shape[0] != y.size:
            raise EvaluationError(task=task, problem=f"{y.size} labels but {np.asarray(values).shape[0]} {name}")
    if task == "binary":
        return _evaluate_binary(y, predictions, scores, score_kind, threshold, classes)
    if task == "multiclass":
        if threshold is not None:
            raise EvaluationError(task=task, problem="a decision threshold applies to binary predictions only")
        return _evaluate_multiclass(y, predictions, probabilities, classes)
    if task == "regression":
        if predictions is None:
            raise EvaluationError(task=task, problem="no predictions given")
        return _evaluate_regression(y, np.asarray(predictions, dtype=np.float64).ravel())
    raise UnknownTaskError(task=task, valid=list(_PREDICTION_TASKS))


def evaluate_clustering(
    df: DataFrame,
    features_col: str = "features",
    prediction_col: str = "prediction",
    *,
    centers: Sequence[Sequence[float]] | None = None,
) -> Evaluation:
    """Silhouette (Spark's ``ClusteringEvaluator``, squared Euclidean distance) and within-cluster SSE.

    The SSE is the sum of squared Euclidean distances from each row to its cluster's center:
    ``centers[c]`` when given (e.g. ``KMeansModel.clusterCenters()``), else the mean of the
    cluster's rows. Spark's silhouette uses *squared* Euclidean distances, i.e. it equals
    ``sklearn.metrics.silhouette_score(X, labels, metric="sqeuclidean")``.
    """
    from pyspark.ml.evaluation import ClusteringEvaluator
    from pyspark.ml.functions import vector_to_array
    from pyspark.ml.stat import Summarizer
    from pyspark.sql import functions as F

    task = "clustering"
    schema = {f.name: f.dataType for f in df.schema.fields}
    _require(task, schema, features_col, "features")
    _require(task, schema, prediction_col, "prediction")
    features = vector_to_array(F.col(features_col)) if _is_vector(schema[features_col]) else F.col(features_col)
    cluster = F.col(prediction_col).cast("int")
    if centers is None:
        if not _is_vector(schema[features_col]):
            raise EvaluationError(task=task, problem=f"column {features_col!r} must be a vector column")
        rows = df.groupBy(cluster.alias("c")).agg(Summarizer.mean(F.col(features_col)).alias("m")).collect()
        center_of = {int(r["c"]): [float(v) for v in r["m"].toArray()] for r in rows}
    else:
        center_of = {i: [float(v) for v in c] for i, c in enumerate(centers)}
    if not center_of:
        raise EvaluationError(task=task, problem="there are no rows")
    spark = df.sparkSession
    center_df = spark.createDataFrame(list(center_of.items()), "c int, center array<double>")
    squared = F.aggregate(
        F.zip_with(F.col("x"), F.col("center"), lambda a, b: (a - b) * (a - b)), F.lit(0.0), lambda acc, v: acc + v
    )
    per_cluster = (
        df.select(cluster.alias("c"), features.alias("x"))
        .join(F.broadcast(center_df), "c", "left")
        .groupBy("c")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(squared).alias("sse"),
            F.sum(F.isnull("center").cast("int")).alias("orphans"),
        )
        .collect()
    )
    orphans = [int(r["c"]) for r in per_cluster if r["orphans"]]
    if orphans:
        raise EvaluationError(task=task, problem=f"clusters {orphans} have no center among the {len(center_of)} given")
    total = sum(int(r["n"]) for r in per_cluster)
    metrics = {"sse": float(sum(float(r["sse"]) for r in per_cluster))}
    notes: list[str] = []
    if len(per_cluster) > 1:
        evaluator = ClusteringEvaluator(
            featuresCol=features_col, predictionCol=prediction_col, metricName="silhouette",
            distanceMeasure="squaredEuclidean",
        )
        metrics["silhouette"] = float(evaluator.evaluate(df))
    else:
        notes.append("silhouette undefined: all rows are in one cluster")
    ordered = sorted(per_cluster, key=lambda r: r["c"])
    per_class = {str(int(r["c"])): {"size": int(r["n"]), "sse": float(r["sse"])} for r in ordered}
    return Evaluation(
        task=task, metrics=metrics, rows=total, labels=list(per_class), per_class=per_class, notes=notes
    )


def evaluate_topics(lda_model: Transformer, df: DataFrame) -> Evaluation:
    """Log-likelihood, log-perplexity and perplexity of an LDA model on ``df``'s count vectors.

    ``lda_model`` is a fitted ``LDAModel`` or a ``PipelineModel`` ending in one (the stages
    before it then prepare ``df``). Spark defines ``log_perplexity = -log_likelihood / tokens``
    (an upper bound, variational); ``perplexity`` is its exponential.
    """
    from pyspark.ml import PipelineModel
    from pyspark.ml.clustering import LDAModel

    model: Any = lda_model
    if isinstance(model, PipelineModel):
        *prep, model = model.stages
        if prep:
            df = PipelineModel(prep).transform(df)
    if not isinstance(model, LDAModel):
        raise EvaluationError(task="topics", problem=f"expected a fitted LDA model, got {type(model).__name__}")
    rows = df.count()
    if rows == 0:
        raise EvaluationError(task="topics", problem="there are no rows")
    log_likelihood = float(model.logLikelihood(df))
    log_perplexity = float(model.logPerplexity(df))
    metrics = {"log_likelihood": log_likelihood, "log_perplexity": log_perplexity}
    notes: list[str] = []
    if log_perplexity < 700:
        metrics["perplexity"] = math.exp(log_perplexity)
    else:
        notes.append("perplexity overflows a float; see log_perplexity")
    return Evaluation(task="topics", metrics=metrics, rows=rows, notes=notes)


def _evaluate_binary(
    y: Floats,
    predictions: Floats | None,
    scores: Floats | None,
    score_kind: str | None,
    threshold: float | None,
    classes: Sequence[Any] | None,
) -> Evaluation:
    task = "binary"
    names = _class_names(classes, 2, task)
    bad = np.unique(y[(y != 0) & (y != 1)])
    if bad.size:
        raise EvaluationError(
            task=task, problem=f"labels must be 0 or 1 (index them with StringIndexer), found {bad[:5].tolist()}"
        )
    notes: list[str] = []
    if scores is None:
        if predictions is None:
            raise EvaluationError(task=task, problem="neither scores nor predictions given")
        p = np.asarray(predictions, dtype=np.float64).ravel()
        s, kind, used = p, None, 0.5
        notes.append("no score column: ranking metrics (ROC AUC, PR AUC, Gini, log loss) need scores")
    else:
        s = np.asarray(scores, dtype=np.float64).ravel()
        if not np.all(np.isfinite(s)):
            raise EvaluationError(task=task, problem=f"{int(np.count_nonzero(~np.isfinite(s)))} scores are NaN")
        kind = score_kind or "probability"
        if kind == "probability" and (s.min() < 0 or s.max() > 1):
            raise EvaluationError(task=task, problem="probabilities must lie in [0, 1]")
        used = float(threshold) if threshold is not None else (0.5 if kind == "probability" else 0.0)
    metrics, confusion, counts = binary_metrics(y, s, used, probabilities=kind == "probability")
    roc = pr = None
    calibration: list[dict[str, float]] = []
    if scores is None:
        for name in ("roc_auc", "pr_auc", "gini", "log_loss"):
            metrics.pop(name, None)
    elif counts.positives and counts.negatives:
        fpr, tpr, _ = roc_curve(counts, drop_intermediate=True)
        roc = dict(zip(("fpr", "tpr"), _downsample(fpr, tpr), strict=True))
        recall, precision = pr_curve(counts)
        pr = dict(zip(("recall", "precision"), _downsample(recall, precision), strict=True))
    else:
        only = names[1] if counts.negatives == 0 else names[0]
        notes.append(f"roc_auc, pr_auc and gini undefined: the labels hold only class {only!r}")
        for name in ("roc_auc", "pr_auc", "gini"):
            metrics.pop(name)
    if scores is not None and kind == "probability":
        calibration = calibration_bins(y, s)
    return Evaluation(
        task=task, metrics=metrics, rows=int(y.size), labels=names, confusion=confusion,
        threshold=used if scores is not None else None, roc=roc, pr=pr, calibration=calibration, notes=notes,
    )


def _evaluate_multiclass(
    y: Floats, predictions: Floats | None, probabilities: Floats | None, classes: Sequence[Any] | None
) -> Evaluation:
    task = "multiclass"
    if predictions is None and probabilities is None:
        raise EvaluationError(task=task, problem="neither predictions nor probabilities given")
    probs = None if probabilities is None else np.asarray(probabilities, dtype=np.float64)
    if probs is not None and probs.ndim != 2:
        raise EvaluationError(task=task, problem="probabilities must be an n x k matrix")
    pred = np.asarray(predictions, dtype=np.float64).ravel() if predictions is not None else None
    if pred is None and probs is not None:
        pred = np.argmax(probs, axis=1).astype(np.float64)
    assert pred is not None
    for name, values in (("labels", y), ("predictions", pred)):
        if np.any(values < 0) or np.any(values != np.round(values)):
            raise EvaluationError(task=task, problem=f"{name} must be class indices 0, 1, … (use StringIndexer)")
    k = max(int(y.max()) + 1, int(pred.max()) + 1, len(classes or ()), probs.shape[1] if probs is not None else 0)
    if probs is not None and probs.shape[1] != k:
        raise EvaluationError(task=task, problem=f"probabilities have {probs.shape[1]} columns for {k} classes")
    if probs is not None and (probs.min() < 0 or probs.max() > 1):
        raise EvaluationError(task=task, problem="probabilities must lie in [0, 1]")
    names = _class_names(classes, k, task)
    metrics, confusion, per_class = multiclass_metrics(y.astype(np.int64), pred.astype(np.int64), k, probs)
    return Evaluation(
        task=task, metrics=metrics, rows=int(y.size), labels=names, confusion=confusion,
        per_class=dict(zip(names, per_class, strict=True)),
    )


def _evaluate_regression(y: Floats, predicted: Floats) -> Evaluation:
    if not np.all(np.isfinite(predicted)):
        bad = int(np.count_nonzero(~np.isfinite(predicted)))
        raise EvaluationError(task="regression", problem=f"{bad} predictions are NaN or infinite")
    metrics = regression_metrics(y, predicted)
    notes = []
    if math.isnan(metrics["r2"]):
        del metrics["r2"]
        notes.append("r2 undefined below two rows")
    sample = _sample_indices(y.size, MAX_CURVE_POINTS)
    residuals = {"predicted": predicted[sample].tolist(), "residual": (y - predicted)[sample].tolist()}
    return Evaluation(task="regression", metrics=metrics, rows=int(y.size), residuals=residuals, notes=notes)


def _require(task: str, schema: dict[str, Any], column: str, role: str) -> None:
    if column not in schema:
        raise EvaluationError(
            task=task, problem=f"no {role} column {column!r}; the columns are {', '.join(schema)}"
        )


def _is_vector(data_type: Any) -> bool:
    from pyspark.ml.linalg import VectorUDT

    return isinstance(data_type, VectorUDT)


def _column(table: Any, name: str, task: str) -> Floats:
    column = table.column(name).combine_chunks()
    if column.null_count:
        raise EvaluationError(task=task, problem=f"{column.null_count} rows have a null {name}")
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _matrix(column: Any, task: str) -> Floats:
    lengths = np.asarray(column.value_lengths().to_numpy(zero_copy_only=False))
    if lengths.size and lengths.min() != lengths.max():
        raise EvaluationError(task=task, problem="probability vectors differ in length")
    width = int(lengths[0]) if lengths.size else 0
    return np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float64).reshape(-1, width)


def _class_names(classes: Sequence[Any] | None, k: int, task: str) -> list[str]:
    if classes is None:
        return [str(i) for i in range(k)]
    if len(classes) != k:
        raise EvaluationError(task=task, problem=f"{len(classes)} class names given for {k} classes")
    return [str(c) for c in classes]


def _downsample(*arrays: Floats, points: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """Every array thinned to at most ``points`` evenly spaced indices, keeping both ends."""
    n = arrays[0].size
    index = np.unique(np.linspace(0, n - 1, points).round().astype(np.intp)) if n > points else np.arange(n)
    return [a[index].tolist() for a in arrays]


def _sample_indices(n: int, points: int) -> NDArray[np.intp]:
    if n <= points:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=points, replace=False))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value

