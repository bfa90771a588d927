"""choose_threshold picks what a brute-force search over every candidate threshold picks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from lake.ml.errors import ThresholdError
from lake.ml.threshold import choose_threshold


def _brute_force(y: np.ndarray, s: np.ndarray, method: str) -> float:
    """The best threshold among the distinct scores, highest on ties, measured with scikit-learn."""
    best_value, best_t = -np.inf, None
    for t in sorted(set(s.tolist()), reverse=True):
        yhat = s >= t
        if method == "f1":
            value = skm.f1_score(y, yhat, zero_division=0)
        else:
            value = skm.recall_score(y, yhat) - (1 - skm.recall_score(y, yhat, pos_label=0))
        if value > best_value + 1e-12:
            best_value, best_t = value, t
    assert best_t is not None
    return best_t


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("method", ["f1", "youden"])
def test_threshold_equals_brute_force(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200).astype(float)
    s = np.clip(0.3 * y + rng.uniform(0, 0.7, y.size), 0, 1).round(2)  # ties included
    assert choose_threshold(y, s, method) == _brute_force(y, s, method)


def test_f1_and_youden_differ_on_imbalanced_data() -> None:
    rng = np.random.default_rng(9)
    y = (rng.uniform(size=300) < 0.1).astype(float)
    s = np.clip(0.25 * y + rng.uniform(0, 0.75, y.size), 0, 1)
    f1, youden = choose_threshold(y, s, "f1"), choose_threshold(y, s, "youden")
    assert f1 == _brute_force(y, s, "f1") and youden == _brute_force(y, s, "youden")
    assert f1 != youden


def test_fixed_returns_the_given_value() -> None:
    assert choose_threshold([0, 1], [0.2, 0.8], "fixed", fixed=0.35) == 0.35
    assert choose_threshold([0, 1], [0.2, 0.8]) == 0.5


def test_perfect_separation_cuts_at_the_lowest_positive_score() -> None:
    y = np.array([0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.6, 0.9])
    assert choose_threshold(y, s, "f1") == 0.6
    assert choose_threshold(y, s, "youden") == 0.6


@pytest.mark.parametrize(
    ("labels", "scores", "method", "message"),
    [
        ([1, 1, 1], [0.2, 0.5, 0.9], "f1", "only positive rows"),
        ([0, 0], [0.2, 0.5], "youden", "only negative rows"),
        ([], [], "f1", "no rows"),
        ([0, 1], [0.2], "f1", "2 labels but 1 scores"),
        ([0, 2], [0.2, 0.4], "f1", "labels must be 0 or 1"),
        ([0, 1], [0.2, float("nan")], "f1", "1 scores are NaN"),
        ([0, 1], [0.2, 0.4], "median", "unknown method 'median'; valid methods: fixed, f1, youden"),
    ],
)
def test_degenerate_input_is_a_clear_error(labels: list, scores: list, method: str, message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        choose_threshold(labels, scores, method)
