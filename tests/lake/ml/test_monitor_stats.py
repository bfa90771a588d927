"""The monitor's drift statistics, thresholds and violations, without Spark: scipy/numpy as oracles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import stats

from lake.ml.errors import MLError
from lake.ml.monitor import MonitorError, MonitorThresholds, ThresholdValueError, Violation
from lake.ml.monitor.errors import BaselineError
from lake.ml.monitor.stats import (
    DECILES,
    bin_counts,
    chi_square,
    decile_edges,
    ks_pvalue,
    ks_statistic,
    linf_distance,
    psi,
)

TOL = 1e-12


def _cdf(sample: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(sample)
    return np.searchsorted(ordered, points, "right"), np.searchsorted(ordered, points, "left")


def _ks_from_samples(base: np.ndarray, cur: np.ndarray) -> float:
    points = np.unique(base)  # every distinct baseline value: the exact case
    base_le, base_lt = _cdf(base, points)
    cur_le, cur_lt = _cdf(cur, points)
    return ks_statistic(base_le, base_lt, base.size, cur_le, cur_lt, cur.size)


@pytest.mark.parametrize("shift", [0.0, 0.15, 0.8])
def test_ks_statistic_from_counts_equals_ks_2samp_on_continuous_samples(shift: float) -> None:
    rng = np.random.default_rng(3)
    base, cur = rng.normal(0, 1, 700), rng.normal(shift, 1.2, 450)
    assert _ks_from_samples(base, cur) == pytest.approx(stats.ks_2samp(base, cur).statistic, abs=TOL)


def test_ks_statistic_equals_ks_2samp_with_ties_and_values_outside_the_baseline() -> None:
    rng = np.random.default_rng(4)
    base = rng.integers(0, 12, 900).astype(float)
    cur = np.concatenate([rng.integers(3, 20, 600), [-5, -5, 40]]).astype(float)
    assert _ks_from_samples(base, cur) == pytest.approx(stats.ks_2samp(base, cur).statistic, abs=TOL)


def test_ks_pvalue_equals_the_asymptotic_ks_2samp_pvalue() -> None:
    rng = np.random.default_rng(5)
    base, cur = rng.normal(0, 1, 2000), rng.normal(0.1, 1, 1500)
    reference = stats.ks_2samp(base, cur, method="asymp")
    assert ks_pvalue(reference.statistic, base.size, cur.size) == pytest.approx(reference.pvalue, rel=1e-9)


def test_decile_edges_are_numpy_inverted_cdf_quantiles() -> None:
    rng = np.random.default_rng(6)
    sample = np.round(rng.gamma(2.0, 3.0, 1000), 1)
    points = np.unique(sample)
    le, _ = _cdf(sample, points)
    expected = np.unique(np.quantile(sample, DECILES, method="inverted_cdf"))
    np.testing.assert_array_equal(decile_edges(points, le, sample.size), expected)


def test_psi_over_decile_bins_equals_a_direct_computation() -> None:
    rng = np.random.default_rng(7)
    base, cur = rng.normal(0, 1, 1000), rng.normal(0.5, 1, 800)
    points = np.unique(base)
    base_le, _ = _cdf(base, points)
    cur_le, _ = _cdf(cur, points)
    edges = decile_edges(points, base_le, base.size)
    got = psi(bin_counts(points, base_le, base.size, edges), bin_counts(points, cur_le, cur.size, edges))
    cut = np.quantile(base, DECILES, method="inverted_cdf")
    e = np.bincount(np.searchsorted(cut, base, "left"), minlength=10) / base.size
    a = np.bincount(np.searchsorted(cut, cur, "left"), minlength=10) / cur.size
    assert got == pytest.approx(float(np.sum((a - e) * np.log(a / e))), abs=TOL)
    assert got > 0.2


def test_psi_gives_empty_bins_a_small_share_and_is_zero_for_equal_shares() -> None:
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0, abs=TOL)
    eps = 1e-4
    expected = (0.5 - eps) * np.log(0.5 / eps) + (0.5 - 1.0) * np.log(0.5 / 1.0)
    assert psi([10, 0], [5, 5]) == pytest.approx(expected, abs=TOL)


def test_bin_counts_rejects_edges_that_are_not_support_points() -> None:
    with pytest.raises(ValueError, match="support points"):
        bin_counts([1.0, 2.0, 3.0], [1, 2, 3], 3, [2.5])


def test_chi_square_equals_scipy_contingency_and_drops_empty_categories() -> None:
    base, cur = [120, 60, 20, 0], [80, 70, 50, 0]
    expected = stats.chi2_contingency([[120, 60, 20], [80, 70, 50]], correction=False)
    assert chi_square(base, cur) == (
        pytest.approx(expected.statistic, rel=1e-12), pytest.approx(expected.pvalue, rel=1e-9), 2
    )
    assert chi_square([5, 0], [7, 0]) is None


def test_linf_distance_is_the_largest_share_difference() -> None:
    assert linf_distance([50, 50, 0], [30, 50, 20]) == pytest.approx(0.2, abs=TOL)


def test_thresholds_round_trip_through_sagemaker_monitoring_config() -> None:
    limits = MonitorThresholds(comparison_threshold=0.2, comparison_method="Simple", psi_threshold=0.3)
    config = limits.to_monitoring_config()
    assert config["distribution_constraints"] == {
        "perform_comparison": "Enabled", "comparison_threshold": 0.2, "comparison_method": "Simple",
        "categorical_comparison_threshold": 0.1, "categorical_drift_method": "LInfinity",
    }
    assert config["datatype_check_threshold"] == 1.0 and config["lakeforge"]["psi_threshold"] == 0.3
    assert MonitorThresholds.from_monitoring_config(config) == limits


def test_feature_overrides_replace_thresholds_and_unknown_keys_fail() -> None:
    limits = MonitorThresholds().with_overrides({"distribution_constraints": {"comparison_threshold": 0.3}})
    assert limits.comparison_threshold == 0.3
    with pytest.raises(ThresholdValueError, match="comparison_treshold"):
        MonitorThresholds().with_overrides({"comparison_treshold": 0.3})


@pytest.mark.parametrize(
    ("option", "value"),
    [("comparison_threshold", 1.5), ("significance", 0.0), ("comparison_method", "Fancy"), ("min_drift_rows", 0)],
)
def test_invalid_thresholds_name_the_option(option: str, value: object) -> None:
    with pytest.raises(ThresholdValueError) as info:
        MonitorThresholds(**{option: value})  # type: ignore[arg-type]
    assert info.value.option == option and option in str(info.value)


def test_violation_serialises_as_sagemaker_entry() -> None:
    v = Violation("age", "baseline_drift_check", "drifted", metric="psi", value=0.4, threshold=0.2)
    assert v.to_dict() == {
        "feature_name": "age", "constraint_check_type": "baseline_drift_check", "description": "drifted",
        "metric_name": "psi", "value": 0.4, "threshold": 0.2,
    }


def test_monitor_errors_belong_to_the_ml_base_and_pickle_with_fields() -> None:
    error = BaselineError(column="when", reason="type date cannot be monitored")
    assert isinstance(error, MonitorError) and isinstance(error, MLError)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.column == "when" and str(copy) == str(error) == (
        "cannot build the monitoring baseline: column 'when': type date cannot be monitored"
    )


def test_violation_and_metric_rows_write_to_a_delta_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from deltalake import DeltaTable, write_deltalake

    from lake.ml.monitor import FeatureDrift, MonitorResult

    drift = FeatureDrift(
        feature="age", role="feature", kind="numeric", baseline_type="Integral", current_type="Integral",
        baseline_count=100, current_count=80, completeness_baseline=1.0, completeness_current=1.0,
        type_match=1.0, psi=0.4, ks_statistic=0.3, ks_pvalue=1e-9, drifted=True,
    )
    result = MonitorResult(
        run_id="r1", created_at=datetime(2026, 12, 1, tzinfo=UTC), model="heart", version="3",
        baseline_rows=100, current_rows=80, features=[drift],
        violations=[Violation("age", "baseline_drift_check", "KS distance 0.3 > 0.1", "ks_statistic", 0.3, 0.1)],
        model_quality=None, statistics={}, thresholds=MonitorThresholds(),
    )
    write_deltalake(str(tmp_path / "violations"), result.violations_arrow())
    write_deltalake(str(tmp_path / "metrics"), result.drift_metrics_arrow())
    rows = DeltaTable(str(tmp_path / "violations")).to_pyarrow_table().to_pylist()
    assert [(r["feature"], r["check_type"], r["value"], r["psi"], r["version"]) for r in rows] == [
        ("age", "baseline_drift_check", 0.3, 0.4, "3")
    ]
    assert DeltaTable(str(tmp_path / "metrics")).to_pyarrow_table().column("drifted").to_pylist() == [True]
