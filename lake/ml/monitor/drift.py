"""Data-quality checks of one column: the baseline column against its current profile.

Numeric drift: the Kolmogorov-Smirnov distance (L-infinity between the CDFs, SageMaker's
``baseline_drift_check`` distance) with its asymptotic p-value, and the PSI over the
baseline's deciles. Categorical drift: the category shares, with values outside the baseline
domain pooled into one "new values" bucket, compared by L-infinity distance, PSI and Pearson's
chi-square test of homogeneity. What flags a violation is documented in
:mod:`lake.ml.monitor.thresholds`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lake.ml.monitor.baseline import BaselineColumn
from lake.ml.monitor.profile import ColumnProfile
from lake.ml.monitor.stats import bin_counts, chi_square, ks_pvalue, ks_statistic, linf_distance, psi
from lake.ml.monitor.thresholds import MonitorThresholds
from lake.ml.monitor.violations import (
    BASELINE_DRIFT,
    CATEGORICAL_VALUES,
    COMPLETENESS,
    DATA_TYPE,
    NON_NEGATIVE,
    Violation,
)

__all__ = ["NEW_VALUES_BUCKET", "FeatureDrift", "check_column", "current_type"]

NEW_VALUES_BUCKET = "(new values)"
_SHOWN_NEW_VALUES = 20
_TYPES = {"integral": "Integral", "fractional": "Fractional", "string": "String", "boolean": "String"}


@dataclass(frozen=True)
class FeatureDrift:
    """Drift metrics of one monitored column (None where a metric does not apply or was not assessed).

    ``bins`` holds what the report plots: bin ``labels`` with ``baseline`` and ``current``
    shares (decile bins for numbers, categories plus new values for categories).
    """

    feature: str
    role: str
    kind: str
    baseline_type: str
    current_type: str | None
    baseline_count: int
    current_count: int
    completeness_baseline: float
    completeness_current: float | None
    type_match: float | None = None
    psi: float | None = None
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    linf_distance: float | None = None
    chi_square: float | None = None
    chi_square_pvalue: float | None = None
    chi_square_dof: int | None = None
    new_values: dict[str, int] = field(default_factory=dict)
    new_value_share: float | None = None
    negatives: int | None = None
    baseline_mean: float | None = None
    current_mean: float | None = None
    drifted: bool = False
    bins: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_type(profile: ColumnProfile) -> str:
    """The current column's inferred type: the baseline's when every value has it, else its own."""
    if profile.present and profile.matched == profile.present:
        spec = profile.spec
        return _TYPES[spec.family] if spec.numeric else "String"
    return _TYPES.get(profile.family or "", "Unknown")


def check_column(
    column: BaselineColumn, profile: ColumnProfile, thresholds: MonitorThresholds
) -> tuple[FeatureDrift, list[Violation]]:
    """Every data-quality check of one column present in the current data.

    A label's completeness is not checked: labels arrive late, so missing ones are expected.
    """
    limits = thresholds.with_overrides(column.overrides)
    violations: list[Violation] = []
    notes: list[str] = []
    name = column.name
    rows, present = profile.rows, profile.present
    completeness = present / rows if rows else None
    type_match = profile.matched / present if present else None

    if type_match is not None and type_match < limits.datatype_check_threshold:
        expected = column.inferred_type + (" (boolean)" if column.family == "boolean" and not column.numeric else "")
        violations.append(Violation(
            name, DATA_TYPE,
            f"Data type match requirement is not met. Expected data type: {expected}, expected match: "
            f"{_pct(limits.datatype_check_threshold)}. Observed: only {_pct(type_match)} of {present:,} present "
            f"values are {column.inferred_type} (column is {profile.dtype})",
            metric="type_match", value=type_match, threshold=limits.datatype_check_threshold, baseline_value=1.0,
        ))
    floor = column.completeness - limits.completeness_tolerance
    if column.role == "label" and completeness is not None and completeness < floor:
        notes.append(f"label {_pct(completeness)} complete: ground truth not arrived yet is not a violation")
    elif completeness is not None and completeness < floor:
        violations.append(Violation(
            name, COMPLETENESS,
            f"Data completeness requirement is not met. Expected: at least {_pct(floor)} non-null (baseline "
            f"{_pct(column.completeness)}, tolerance {_pct(limits.completeness_tolerance)}). Observed: only "
            f"{_pct(completeness)} of {rows:,} rows are non-null",
            metric="completeness", value=completeness, threshold=floor, baseline_value=column.completeness,
        ))
    base: dict[str, Any] = {
        "feature": name,
        "role": column.role,
        "kind": column.kind,
        "baseline_type": column.inferred_type,
        "current_type": current_type(profile),
        "baseline_count": column.sample_size,
        "completeness_baseline": column.completeness,
        "completeness_current": completeness,
        "type_match": type_match,
    }
    if column.numeric:
        drift, found = _numeric(column, profile, limits, notes)
    else:
        drift, found = _categorical(column, profile, limits, notes)
    violations += found
    return FeatureDrift(**base, **drift, notes=notes), violations


def _numeric(
    column: BaselineColumn, profile: ColumnProfile, limits: MonitorThresholds, notes: list[str]
) -> tuple[dict[str, Any], list[Violation]]:
    num = profile.numeric
    assert num is not None
    found: list[Violation] = []
    out: dict[str, Any] = {
        "current_count": num.count, "negatives": num.negatives,
        "baseline_mean": column.mean, "current_mean": num.mean,
    }
    if column.is_non_negative and num.negatives:
        found.append(Violation(
            column.name, NON_NEGATIVE,
            f"Non-negative requirement is not met: {num.negatives:,} of {num.count:,} values are negative "
            f"(min {_g(num.min)}); the baseline had none",
            metric="negatives", value=float(num.negatives), threshold=0.0, baseline_value=0.0,
        ))
    n_base, n_cur = column.sample_size, num.count
    if not limits.perform_comparison:
        notes.append("distribution comparison disabled (perform_comparison)")
        return out, found
    if n_base == 0:
        notes.append("the baseline has no values: drift not assessed")
        return out, found
    if n_cur < limits.min_drift_rows:
        notes.append(f"only {n_cur} current values (< {limits.min_drift_rows}): drift not assessed")
        return out, found
    d = ks_statistic(column.count_le, column.count_lt, n_base, num.count_le, num.count_lt, n_cur)
    p = ks_pvalue(d, n_base, n_cur)
    edges = column.deciles
    base_bins = bin_counts(column.points, column.count_le, n_base, edges)
    cur_bins = bin_counts(column.points, num.count_le, n_cur, edges)
    index = psi(base_bins, cur_bins)
    out.update(psi=index, ks_statistic=d, ks_pvalue=p, bins={
        "labels": _interval_labels(edges),
        "baseline": (base_bins / n_base).tolist(),
        "current": (cur_bins / n_cur).tolist(),
    })
    if not column.exact:
        notes.append("baseline CDF known at 2,049 quantile points: KS within the mass between adjacent points")
    reasons = []
    if d > limits.comparison_threshold:
        reasons.append(f"KS distance {d:.3f} > {limits.comparison_threshold:g}")
    if index > limits.psi_threshold:
        reasons.append(f"PSI {index:.3f} > {limits.psi_threshold:g}")
    significant = p < limits.significance
    if reasons and (significant or not limits.robust):
        out["drifted"] = True
        by_ks = d > limits.comparison_threshold
        found.append(Violation(
            column.name, BASELINE_DRIFT,
            f"Baseline drift: {'; '.join(reasons)} (KS p-value {p:.3g}; {n_cur:,} current vs {n_base:,} baseline "
            f"values; mean {_g(column.mean)} -> {_g(num.mean)})",
            metric="ks_statistic" if by_ks else "psi", value=d if by_ks else index,
            threshold=limits.comparison_threshold if by_ks else limits.psi_threshold,
        ))
    elif reasons:
        notes.append(f"{'; '.join(reasons)} but not significant (KS p-value {p:.3g} >= {limits.significance:g})")
    return out, found


def _categorical(
    column: BaselineColumn, profile: ColumnProfile, limits: MonitorThresholds, notes: list[str]
) -> tuple[dict[str, Any], list[Violation]]:
    cat = profile.categorical
    assert cat is not None
    found: list[Violation] = []
    total = sum(cat.counts.values()) + cat.other
    out: dict[str, Any] = {"current_count": total}
    if column.domain is None:
        notes.append("the baseline has no domain (too many distinct values): new values and drift not assessed")
        return out, found
    new = {k: n for k, n in cat.counts.items() if k not in column.domain}
    new_total = sum(new.values()) + cat.other
    out["new_values"] = dict(list(new.items())[:_SHOWN_NEW_VALUES])
    out["new_value_share"] = new_total / total if total else None
    if total and 1 - new_total / total < limits.domain_content_threshold:
        shown = ", ".join(f"{k!r} ({n:,})" for k, n in list(new.items())[:5])
        more = f" and {len(new) - 5} more" if len(new) > 5 else ""
        lumped = f"; {cat.other:,} values not listed" if cat.other else ""
        found.append(Violation(
            column.name, CATEGORICAL_VALUES,
            f"Data domain requirement is not met. Expected: {_pct(limits.domain_content_threshold)} of values in the "
            f"baseline domain of {len(column.domain)} values. Observed: only {_pct(1 - new_total / total)} of "
            f"{total:,}; new values: {shown}{more}{lumped}",
            metric="domain_share", value=1 - new_total / total, threshold=limits.domain_content_threshold,
            baseline_value=1.0,
        ))
    if not limits.perform_comparison:
        notes.append("distribution comparison disabled (perform_comparison)")
        return out, found
    n_base = column.sample_size
    if n_base == 0 or total < limits.min_drift_rows:
        notes.append(f"only {total} current values (< {limits.min_drift_rows}): drift not assessed")
        return out, found
    keys = list(column.categories)
    base_counts = np.asarray([column.categories[k] for k in keys] + [0], dtype=np.float64)
    cur_counts = np.asarray([cat.counts.get(k, 0) for k in keys] + [new_total], dtype=np.float64)
    index = psi(base_counts, cur_counts)
    distance = linf_distance(base_counts, cur_counts)
    chi = chi_square(base_counts, cur_counts)
    out.update(psi=index, linf_distance=distance, bins={
        "labels": [*keys, NEW_VALUES_BUCKET],
        "baseline": (base_counts / base_counts.sum()).tolist(),
        "current": (cur_counts / cur_counts.sum()).tolist(),
    })
    p = None
    if chi is not None:
        out.update(chi_square=chi[0], chi_square_pvalue=chi[1], chi_square_dof=chi[2])
        p = chi[1]
    significant = p is not None and p < limits.significance
    if limits.categorical_drift_method == "ChiSquared":
        reasons = [f"chi-square p-value {p:.3g} < {limits.significance:g}"] if significant else []
        decided = bool(reasons)
    else:
        reasons = []
        if distance > limits.categorical_comparison_threshold:
            reasons.append(f"L-infinity distance {distance:.3f} > {limits.categorical_comparison_threshold:g}")
        if index > limits.psi_threshold:
            reasons.append(f"PSI {index:.3f} > {limits.psi_threshold:g}")
        decided = bool(reasons) and (significant or not limits.robust)
        if reasons and not decided:
            notes.append(f"{'; '.join(reasons)} but not significant (chi-square p-value {_g(p)})")
    if decided:
        out["drifted"] = True
        by_linf = distance > limits.categorical_comparison_threshold
        chi_text = f"chi-square {chi[0]:.1f}, dof {chi[2]}, p-value {chi[1]:.3g}" if chi else "no chi-square"
        found.append(Violation(
            column.name, BASELINE_DRIFT,
            f"Categorical drift: {'; '.join(reasons)} ({chi_text}; {total:,} current vs {n_base:,} baseline values)",
            metric="linf_distance" if by_linf else "psi", value=distance if by_linf else index,
            threshold=limits.categorical_comparison_threshold if by_linf else limits.psi_threshold,
        ))
    return out, found


def _interval_labels(edges: np.ndarray) -> list[str]:
    if edges.size == 0:
        return ["all"]
    labels = [f"<= {_g(edges[0])}"]
    labels += [f"({_g(lo)}, {_g(hi)}]" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"> {_g(edges[-1])}")
    return labels


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _g(value: float | None) -> str:
    return "n/a" if value is None else f"{float(value):.4g}"
