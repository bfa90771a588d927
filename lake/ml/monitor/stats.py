"""Drift statistics over counts: KS from cumulative counts, PSI, chi-square, L-infinity distance.

Everything here works on small numpy count arrays that the Spark passes produced, so it is
exact arithmetic on exact counts. The numeric distributions are step CDFs known at a sorted
set of support points ``b``: ``count_le[j] = #{x <= b[j]}`` and ``count_lt[j] = #{x < b[j]}``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "DECILES",
    "PSI_EPSILON",
    "bin_counts",
    "chi_square",
    "decile_edges",
    "ks_pvalue",
    "ks_statistic",
    "linf_distance",
    "psi",
]

DECILES = tuple(round(0.1 * k, 1) for k in range(1, 10))
PSI_EPSILON = 1e-4  # share given to an empty bin so the log stays finite

Floats = NDArray[np.float64]


def ks_statistic(
    base_le: ArrayLike, base_lt: ArrayLike, base_n: int, cur_le: ArrayLike, cur_lt: ArrayLike, cur_n: int
) -> float:
    """sup |F_base - F_current| from counts at the baseline's support points.

    Both CDFs are step functions; between two support points the baseline's is constant when
    the points hold every distinct baseline value, so the supremum is reached at a point or
    just before one (its left limit, from the ``lt`` counts). The result then equals
    ``scipy.stats.ks_2samp(base, current).statistic``; with fewer points than distinct
    values it is a lower bound within the baseline mass between adjacent points.
    """
    if base_n <= 0 or cur_n <= 0:
        raise ValueError("ks_statistic needs two non-empty samples")
    at = np.abs(np.asarray(base_le, dtype=np.float64) / base_n - np.asarray(cur_le, dtype=np.float64) / cur_n)
    before = np.abs(np.asarray(base_lt, dtype=np.float64) / base_n - np.asarray(cur_lt, dtype=np.float64) / cur_n)
    if at.size == 0:
        return 1.0
    return float(max(at.max(), before.max()))


def ks_pvalue(statistic: float, base_n: int, cur_n: int) -> float:
    """Two-sided asymptotic p-value of the two-sample KS statistic (``ks_2samp(method="asymp")``)."""
    m, n = sorted((float(base_n), float(cur_n)), reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(statistic, np.round(en)), 0.0, 1.0))


def decile_edges(points: ArrayLike, count_le: ArrayLike, n: int, quantiles: Sequence[float] = DECILES) -> Floats:
    """The distinct support points at the given quantiles (smallest point whose CDF >= q).

    With every distinct value among the points this is ``numpy.quantile(x, q,
    method="inverted_cdf")``. Used as PSI bin edges: bins ``(-inf, e0], (e0, e1], …, (ek, inf)``.
    """
    values = np.asarray(points, dtype=np.float64)
    cdf = np.asarray(count_le, dtype=np.float64) / n
    if values.size == 0:
        return values
    # a tiny tolerance so q = 0.3 is reached by 3 of 10 values despite float rounding
    index = np.searchsorted(cdf, np.asarray(quantiles) - 1e-12, side="left")
    return np.unique(values[np.minimum(index, values.size - 1)])


def bin_counts(points: ArrayLike, count_le: ArrayLike, n: int, edges: ArrayLike) -> NDArray[np.int64]:
    """Counts in the bins ``(-inf, e0], (e0, e1], …, (ek, inf)``; every edge must be a support point."""
    values = np.asarray(points, dtype=np.float64)
    cum = np.asarray(count_le, dtype=np.int64)
    cut = np.asarray(edges, dtype=np.float64)
    where = np.searchsorted(values, cut)
    if cut.size and (np.any(where >= values.size) or np.any(values[np.minimum(where, values.size - 1)] != cut)):
        raise ValueError("bin edges must be support points")
    at_edges = cum[where] if cut.size else np.zeros(0, dtype=np.int64)
    return np.diff(np.concatenate([[0], at_edges, [n]])).astype(np.int64)


def psi(expected: ArrayLike, actual: ArrayLike, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum((a - e) * ln(a / e))`` over bin shares.

    Counts are turned into shares; an empty bin gets share ``epsilon`` on either side.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape or e.size == 0:
        raise ValueError("psi needs two count vectors of the same non-zero length")
    if e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("psi needs non-empty samples")
    ep = np.maximum(e / e.sum(), epsilon)
    ap = np.maximum(a / a.sum(), epsilon)
    return float(np.sum((ap - ep) * np.log(ap / ep)))


def linf_distance(base_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Largest absolute difference between the category shares of two count vectors."""
    b = np.asarray(base_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    if b.sum() <= 0 or c.sum() <= 0:
        raise ValueError("linf_distance needs non-empty samples")
    return float(np.max(np.abs(b / b.sum() - c / c.sum())))


def chi_square(base_counts: ArrayLike, cur_counts: ArrayLike) -> tuple[float, float, int] | None:
    """Pearson's chi-square test of homogeneity on the 2 x k table (no continuity correction).

    Categories empty in both samples are dropped; None when fewer than two remain. Equals
    ``scipy.stats.chi2_contingency([base, cur], correction=False)``.
    """
    table = np.vstack([np.asarray(base_counts, dtype=np.float64), np.asarray(cur_counts, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return None
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue), int(result.dof)
