"""Multiclass metrics over numpy arrays, defined exactly as scikit-learn defines them.

Classes are the integers ``0 … k-1`` (what ``StringIndexer`` produces). Per-class metrics and
the confusion matrix cover all ``k`` classes; macro averages run over the classes present in
the labels or the predictions (scikit-learn's default ``labels=None``); weighted averages
weight each class by its support. A zero denominator gives 0 (``zero_division=0``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["confusion_matrix", "multiclass_log_loss", "multiclass_metrics"]

_EPS = float(np.finfo(np.float64).eps)
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def confusion_matrix(labels: Ints, predicted: Ints, k: int) -> Ints:
    """``k x k`` counts; rows are the true class, columns the predicted one."""
    return np.bincount(labels * k + predicted, minlength=k * k).reshape(k, k).astype(np.int64)


def multiclass_log_loss(labels: Ints, probabilities: Floats) -> float:
    """Mean ``-log p[true class]`` with probabilities clipped to ``[eps, 1 - eps]``."""
    p_true = probabilities[np.arange(labels.size), labels]
    return float(np.mean(-np.log(np.clip(p_true, _EPS, 1 - _EPS))))


def _divide(num: Floats, den: Floats) -> Floats:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den != 0)


def multiclass_metrics(
    labels: Ints, predicted: Ints, k: int, probabilities: Floats | None
) -> tuple[dict[str, float], list[list[int]], list[dict[str, float]]]:
    """(metrics, confusion matrix, per-class metrics in class order) for ``k`` classes."""
    matrix = confusion_matrix(labels, predicted, k)
    tp = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    predicted_count = matrix.sum(axis=0).astype(np.float64)
    fp = predicted_count - tp
    fn = support - tp
    tn = labels.size - tp - fp - fn
    precision = _divide(tp, predicted_count)
    recall = _divide(tp, support)
    f1 = _divide(2 * tp, 2 * tp + fp + fn)
    specificity = _divide(tn, tn + fp)
    present = (support + predicted_count) > 0
    weights = support / support.sum()
    metrics = {"accuracy": float(tp.sum() / labels.size)}
    for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
        metrics[f"{name}_macro"] = float(np.mean(values[present]))
        metrics[f"{name}_weighted"] = float(np.sum(values * weights))
    if probabilities is not None:
        metrics["log_loss"] = multiclass_log_loss(labels, probabilities)
    per_class = [
        {
            "precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]),
            "specificity": float(specificity[c]), "support": int(support[c]),
        }
        for c in range(k)
    ]
    return metrics, matrix.tolist(), per_class
