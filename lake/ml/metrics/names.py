"""The metric names of each task, their aliases, and which direction is better."""

from __future__ import annotations

from lake.ml.errors import UnknownMetricError, UnknownTaskError

__all__ = ["METRICS", "TASKS", "greater_is_better", "resolve_metric"]

TASKS = ("binary", "multiclass", "regression", "clustering", "topics")

METRICS: dict[str, tuple[str, ...]] = {
    "binary": (
        "accuracy", "precision", "recall", "sensitivity", "specificity", "f1",
        "roc_auc", "pr_auc", "gini", "log_loss",
    ),
    "multiclass": (
        "accuracy", "precision_macro", "recall_macro", "f1_macro",
        "precision_weighted", "recall_weighted", "f1_weighted", "log_loss",
    ),
    "regression": ("rmse", "mse", "mae", "r2", "mape"),
    "clustering": ("silhouette", "sse"),
    "topics": ("log_likelihood", "log_perplexity", "perplexity"),
}

_ALIASES: dict[str, dict[str, str]] = {
    "binary": {
        "tpr": "recall", "true_positive_rate": "recall", "tnr": "specificity",
        "true_negative_rate": "specificity", "auc": "roc_auc", "area_under_roc": "roc_auc",
        "average_precision": "pr_auc", "area_under_pr": "pr_auc", "logloss": "log_loss",
    },
    # Spark's MulticlassClassificationEvaluator means the weighted average by "f1" etc.
    "multiclass": {
        "f1": "f1_weighted", "precision": "precision_weighted", "recall": "recall_weighted",
        "logloss": "log_loss",
    },
    "regression": {"mean_absolute_percentage_error": "mape"},
    "clustering": {"wssse": "sse", "within_cluster_sse": "sse"},
    "topics": {},
}

_LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mse", "mae", "mape", "sse", "log_perplexity", "perplexity"})


def resolve_metric(task: str, name: str) -> str:
    """The canonical name of metric ``name`` for ``task`` (aliases resolved), or a clear error."""
    if task not in METRICS:
        raise UnknownTaskError(task=task, valid=list(METRICS))
    key = name.strip().lower()
    key = _ALIASES[task].get(key, key)
    if key not in METRICS[task]:
        raise UnknownMetricError(metric=name, task=task, valid=[*METRICS[task], *_ALIASES[task]])
    return key


def greater_is_better(task: str, name: str) -> bool:
    """True when a larger value of metric ``name`` means a better model."""
    return resolve_metric(task, name) not in _LOWER_IS_BETTER
