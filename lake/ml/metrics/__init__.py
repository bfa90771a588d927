"""Exact evaluation metrics over numpy arrays, defined as scikit-learn defines them.

The computation is our own numpy code (a few dozen lines per task), not scikit-learn: the
tests use scikit-learn as an independent oracle on the same predictions, which would be a
tautology if the library called it too.
"""

from lake.ml.metrics.binary import (
    ThresholdCounts,
    average_precision,
    binary_confusion,
    binary_log_loss,
    binary_metrics,
    calibration_bins,
    pr_curve,
    roc_auc,
    roc_curve,
    threshold_counts,
)
from lake.ml.metrics.multiclass import confusion_matrix, multiclass_log_loss, multiclass_metrics
from lake.ml.metrics.names import METRICS, TASKS, greater_is_better, resolve_metric
from lake.ml.metrics.regression import regression_metrics

__all__ = [
    "METRICS",
    "TASKS",
    "ThresholdCounts",
    "average_precision",
    "binary_confusion",
    "binary_log_loss",
    "binary_metrics",
    "calibration_bins",
    "confusion_matrix",
    "greater_is_better",
    "multiclass_log_loss",
    "multiclass_metrics",
    "pr_curve",
    "regression_metrics",
    "resolve_metric",
    "roc_auc",
    "roc_curve",
    "threshold_counts",
]
