"""Binary-classification metrics over numpy arrays, defined exactly as scikit-learn defines them.

Labels are 0/1, scores rank the positive class (a probability or a margin), and a row is
predicted positive when ``score >= threshold``. Ties in scores are handled as scikit-learn's
``roc_curve``/``precision_recall_curve`` do: all rows sharing a score move across a threshold
together. ``pr_auc`` is *average precision* (``sklearn.metrics.average_precision_score``):
``sum_n (R_n - R_{n-1}) * P_n`` over the distinct thresholds, the step-wise area without the
optimistic linear interpolation of a trapezoidal PR area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ThresholdCounts",
    "average_precision",
    "binary_confusion",
    "binary_log_loss",
    "binary_metrics",
    "calibration_bins",
    "pr_curve",
    "roc_auc",
    "roc_curve",
    "threshold_counts",
]

_EPS = float(np.finfo(np.float64).eps)
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class ThresholdCounts:
    """False and true positives when predicting ``score >= t`` for each distinct score ``t``, descending."""

    thresholds: Floats
    fps: Floats
    tps: Floats

    @property
    def positives(self) -> float:
        return float(self.tps[-1]) if self.tps.size else 0.0

    @property
    def negatives(self) -> float:
        return float(self.fps[-1]) if self.fps.size else 0.0


def threshold_counts(labels: NDArray[np.float64], scores: NDArray[np.float64]) -> ThresholdCounts:
    """Cumulative counts at every distinct score (scikit-learn's ``confusion_matrix_at_thresholds``)."""
    order = np.argsort(scores, kind="mergesort")[::-1]
    ranked = scores[order]
    hits = labels[order].astype(np.float64)
    last_of_run = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    tps = np.cumsum(hits, dtype=np.float64)[last_of_run]
    fps = 1.0 + last_of_run.astype(np.float64) - tps
    return ThresholdCounts(thresholds=ranked[last_of_run], fps=fps, tps=tps)


def roc_curve(counts: ThresholdCounts, *, drop_intermediate: bool = False) -> tuple[Floats, Floats, Floats]:
    """(fpr, tpr, thresholds) starting at (0, 0) with threshold +inf; needs both classes.

    ``drop_intermediate`` drops the points inside straight segments, as scikit-learn does.
    """
    fps, tps, thresholds = counts.fps, counts.tps, counts.thresholds
    if drop_intermediate and fps.size > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def roc_auc(counts: ThresholdCounts) -> float:
    """Area under the ROC curve by the trapezoidal rule; NaN with a single class."""
    if counts.positives == 0 or counts.negatives == 0:
        return float("nan")
    fpr, tpr, _ = roc_curve(counts)
    return float(np.trapezoid(tpr, fpr))


def pr_curve(counts: ThresholdCounts) -> tuple[Floats, Floats]:
    """(recall, precision) in order of increasing threshold, ending at (0, 1) like scikit-learn's."""
    predicted = counts.tps + counts.fps
    precision = np.divide(counts.tps, predicted, out=np.zeros_like(predicted), where=predicted != 0)
    recall = counts.tps / counts.positives
    return np.r_[recall[::-1], 0.0], np.r_[precision[::-1], 1.0]


def average_precision(counts: ThresholdCounts) -> float:
    """Average precision ``sum (R_n - R_{n-1}) P_n``; NaN with a single class."""
    if counts.positives == 0 or counts.negatives == 0:
        return float("nan")
    recall, precision = pr_curve(counts)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def binary_log_loss(labels: Floats, probabilities: Floats) -> float:
    """Mean cross-entropy with probabilities clipped to ``[eps, 1 - eps]`` (scikit-learn's ``log_loss``)."""
    p_pos = np.clip(probabilities, _EPS, 1 - _EPS)
    p_neg = np.clip(1.0 - probabilities, _EPS, 1 - _EPS)
    return float(np.mean(-np.where(labels == 1, np.log(p_pos), np.log(p_neg))))


def binary_confusion(labels: Floats, predicted: NDArray[np.bool_]) -> list[list[int]]:
    """``[[tn, fp], [fn, tp]]`` — rows are the true class, columns the predicted one."""
    positive = labels == 1
    tp = int(np.count_nonzero(positive & predicted))
    fp = int(np.count_nonzero(~positive & predicted))
    fn = int(np.count_nonzero(positive & ~predicted))
    tn = int(labels.size - tp - fp - fn)
    return [[tn, fp], [fn, tp]]


def calibration_bins(labels: Floats, probabilities: Floats, n_bins: int = 10) -> list[dict[str, float]]:
    """Non-empty uniform bins of predicted probability (scikit-learn's ``calibration_curve``, uniform)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], probabilities)
    total = np.bincount(ids, minlength=n_bins)
    predicted = np.bincount(ids, weights=probabilities, minlength=n_bins)
    observed = np.bincount(ids, weights=labels, minlength=n_bins)
    return [
        {
            "lower": float(edges[i]), "upper": float(edges[i + 1]), "count": int(total[i]),
            "mean_predicted": float(predicted[i] / total[i]), "fraction_positive": float(observed[i] / total[i]),
        }
        for i in range(n_bins) if total[i]
    ]


def _ratio(num: float, den: float) -> float:
    """``num / den``, 0 when ``den`` is 0 (scikit-learn's ``zero_division=0``)."""
    return num / den if den else 0.0


def binary_metrics(
    labels: Floats, scores: Floats, threshold: float, *, probabilities: bool
) -> tuple[dict[str, float], list[list[int]], ThresholdCounts]:
    """Every binary metric for 0/1 ``labels`` and positive-class ``scores`` cut at ``threshold``.

    Ratios with a zero denominator are 0 (scikit-learn's ``zero_division=0``); ranking metrics
    are NaN when ``labels`` hold a single class; ``log_loss`` only when ``probabilities``.
    """
    confusion = binary_confusion(labels, scores >= threshold)
    (tn, fp), (fn, tp) = confusion
    counts = threshold_counts(labels, scores)
    auc = roc_auc(counts)
    recall = _ratio(tp, tp + fn)
    metrics = {
        "accuracy": _ratio(tp + tn, labels.size),
        "precision": _ratio(tp, tp + fp),
        "recall": recall,
        "sensitivity": recall,
        "specificity": _ratio(tn, tn + fp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": auc,
        "pr_auc": average_precision(counts),
        "gini": 2 * auc - 1,
    }
    if probabilities:
        metrics["log_loss"] = binary_log_loss(labels, scores)
    return metrics, confusion, counts
