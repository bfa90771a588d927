"""Choose the decision threshold of a binary classifier on the validation split.

A row is predicted positive when ``score >= threshold``. The candidates are the distinct
scores (every distinct way to cut the ranking); ``"f1"`` takes the one with the highest F1,
``"youden"`` the one with the highest Youden's J = TPR - FPR. Among equal values the highest
threshold wins (the most conservative cut). For Spark predictions of the validation split,
``lake.ml.evaluate.collect_predictions(df, "binary")`` gives the ``labels`` and ``scores``;
pass the result to ``evaluate(..., threshold=…)`` so the Evaluation records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from lake.ml.errors import ThresholdError
from lake.ml.metrics.binary import threshold_counts

__all__ = ["THRESHOLD_METHODS", "ThresholdMethod", "choose_threshold"]

ThresholdMethod = Literal["fixed", "f1", "youden"]
THRESHOLD_METHODS: Sequence[str] = ("fixed", "f1", "youden")


def choose_threshold(
    labels: ArrayLike, scores: ArrayLike, method: ThresholdMethod | str = "fixed", fixed: float = 0.5
) -> float:
    """The threshold ``method`` picks for 0/1 ``labels`` and positive-class ``scores``."""
    if method not in THRESHOLD_METHODS:
        raise ThresholdError(problem=f"unknown method {method!r}; valid methods: {', '.join(THRESHOLD_METHODS)}")
    if method == "fixed":
        if not np.isfinite(fixed):
            raise ThresholdError(problem=f"the fixed threshold must be a finite number, got {fixed!r}")
        return float(fixed)
    y = np.asarray(labels, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.size != s.size:
        raise ThresholdError(problem=f"{y.size} labels but {s.size} scores")
    if y.size == 0:
        raise ThresholdError(problem="no rows to choose a threshold on")
    if not np.all(np.isin(y, (0.0, 1.0))):
        raise ThresholdError(problem="labels must be 0 or 1")
    if not np.all(np.isfinite(s)):
        raise ThresholdError(problem=f"{int(np.count_nonzero(~np.isfinite(s)))} scores are NaN or infinite")
    counts = threshold_counts(y, s)
    if counts.positives == 0 or counts.negatives == 0:
        only = "positive" if counts.negatives == 0 else "negative"
        raise ThresholdError(problem=f"the labels hold only {only} rows; a {method} threshold needs both classes")
    if method == "f1":
        value = 2 * counts.tps / (counts.tps + counts.fps + counts.positives)
    else:
        value = counts.tps / counts.positives - counts.fps / counts.negatives
    return float(counts.thresholds[int(np.argmax(value))])
