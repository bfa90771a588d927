"""Regression metrics over numpy arrays, defined exactly as scikit-learn defines them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["regression_metrics"]

_EPS = float(np.finfo(np.float64).eps)
Floats = NDArray[np.float64]


def regression_metrics(labels: Floats, predicted: Floats) -> dict[str, float]:
    """RMSE, MSE, MAE, R² and MAPE.

    R² follows ``r2_score(force_finite=True)``: 1.0 for a perfect fit, 0.0 for an imperfect fit
    of a constant label, NaN below two rows. MAPE is ``mean(|y - ŷ| / max(|y|, eps))`` with
    ``eps`` the float64 machine epsilon, so a zero label gives a huge (finite) term, as in
    ``mean_absolute_percentage_error``; it is a fraction, not a percentage.
    """
    error = labels - predicted
    mse = float(np.mean(error**2))
    residual_ss = float(np.sum(error**2))
    total_ss = float(np.sum((labels - np.mean(labels)) ** 2))
    if labels.size < 2:
        r2 = float("nan")
    elif residual_ss == 0:
        r2 = 1.0
    elif total_ss == 0:
        r2 = 0.0
    else:
        r2 = 1.0 - residual_ss / total_ss
    return {
        "rmse": float(np.sqrt(mse)),
        "mse": mse,
        "mae": float(np.mean(np.abs(error))),
        "r2": r2,
        "mape": float(np.mean(np.abs(error) / np.maximum(np.abs(labels), _EPS))),
    }
