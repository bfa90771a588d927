"""ROC AUC for hard labels or for soft (probability) labels."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["roc_auc"]


def roc_auc(scores: ArrayLike, positive: ArrayLike) -> float:
    """The ROC AUC of ``scores``; ``positive`` is each row's weight of being a positive.

    With 0/1 labels this is the usual Mann-Whitney AUC (ties count one half). With
    probabilities ``p`` it is the *expected* AUC when each label is drawn as Bernoulli(p),
    which for ``scores = p`` is the Bayes-optimal AUC without the sampling noise of labels.
    Self-pairs are excluded. Returns NaN when there is no positive or no negative weight.
    """
    s = np.asarray(scores, dtype=float)
    w_pos = np.asarray(positive, dtype=float)
    if s.shape != w_pos.shape or s.ndim != 1:
        raise ValueError("scores and positive must be 1-D arrays of the same length")
    w_neg = 1.0 - w_pos
    _, group = np.unique(s, return_inverse=True)
    pos_by_score = np.bincount(group, weights=w_pos)
    neg_by_score = np.bincount(group, weights=w_neg)
    neg_below = np.cumsum(neg_by_score) - neg_by_score
    self_pairs = float(np.sum(w_pos * w_neg))
    wins = float(np.sum(pos_by_score * (neg_below + 0.5 * neg_by_score))) - 0.5 * self_pairs
    pairs = float(w_pos.sum() * w_neg.sum()) - self_pairs
    return wins / pairs if pairs > 0 else float("nan")
