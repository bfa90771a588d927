"""The model monitor on real Spark: baseline files, every violation type, drift values vs scipy, report.

One baseline and three monitoring runs (clean, crafted to break every constraint, and a
multiclass/regression quality check) are computed once per module and asserted on by many
small tests, to keep the Spark work to a handful of passes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lake.ml.monitor import (
    Baseline,
    BaselineError,
    BaselineFileError,
    MonitorInputError,
    MonitorResult,
    build_baseline,
    check_model_quality,
    run_monitor,
    write_report,
)
from lake.ml.monitor.violations import DRIFT_METRICS_SCHEMA, VIOLATIONS_SCHEMA

FEATURES = ["x", "n", "cat", "flag", "code", "chol", "age"]
SCHEMA = (
    "id long, x double, n int, cat string, flag boolean, code int, chol double, age int, label int, score double"
)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, rows)
    p = 1 / (1 + np.exp(-0.15 * (x - 50)))
    chol = rng.normal(200, 30, rows)
    return pd.DataFrame({
        "id": np.arange(rows, dtype=np.int64),
        "x": x,
        "n": rng.poisson(4, rows).astype(np.int32),
        "cat": rng.choice(["alpha", "beta", "gamma"], rows, p=[0.5, 0.3, 0.2]),
        "flag": rng.random(rows) < 0.3,
        "code": rng.integers(1, 5, rows).astype(np.int32),
        "chol": np.where(rng.random(rows) < 0.05, np.nan, chol),
        "age": rng.integers(20, 81, rows).astype(np.int32),
        "label": (rng.random(rows) < p).astype(np.int32),
        "score": p,
    })


def _drifted(rows: int, seed: int) -> pd.DataFrame:
    """Breaks one constraint per column: shift, negatives, new category, nulls, type, missing, extra."""
    rng = np.random.default_rng(seed + 100)
    df = _frame(rows, seed)
    df["x"] = df["x"] + 10.0  # one standard deviation (labels drawn before the shift)
    negative = rng.random(rows) < 0.05
    df.loc[negative, "n"] = -rng.integers(1, 4, int(negative.sum())).astype(np.int32)
    df.loc[rng.random(rows) < 0.02, "cat"] = "delta"
    df.loc[rng.random(rows) < 0.30, "chol"] = np.nan
    unknown = rng.random(rows) < 0.10
    df["age"] = [("unknown" if u else str(a)) for u, a in zip(unknown, df["age"], strict=True)]
    df["score"] = rng.random(rows)  # the model has stopped ranking
    df["source"] = "new-feed"
    return df.drop(columns=["code"])


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {"base": _frame(1500, 1), "clean": _frame(1000, 2), "drifted": _drifted(1000, 3)}


@pytest.fixture(scope="module")
def baseline(spark, frames) -> Baseline:  # type: ignore[no-untyped-def]
    base = frames["base"]
    auc = _auc(base["label"].to_numpy(), base["score"].to_numpy())
    return build_baseline(
        spark.createDataFrame(base, SCHEMA), FEATURES, label="label", categorical=["code"],
        training_metrics={"test_roc_auc": auc, "test_accuracy": 0.7},
    )


@pytest.fixture(scope="module")
def clean(spark, frames, baseline) -> MonitorResult:  # type: ignore[no-untyped-def]
    current = spark.createDataFrame(frames["clean"], SCHEMA)
    return run_monitor(baseline, current, probability="score", model="toy", version=2)


@pytest.fixture(scope="module")
def drifted(spark, frames, baseline) -> MonitorResult:  # type: ignore[no-untyped-def]
    current = spark.createDataFrame(
        frames["drifted"],
        "id long, x double, n int, cat string, flag boolean, chol double, age string, label int, score double, "
        "source string",
    )
    return run_monitor(baseline, current, probability="score", model="toy", version="2", run_id="run-1")


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def _feature(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in document["features"] if f["name"] == name)


# --- baseline ------------------------------------------------------------------------------

def test_statistics_have_sagemaker_keys_and_inferred_types(baseline: Baseline) -> None:
    stats_doc = baseline.statistics
    assert set(stats_doc) == {"version", "dataset", "features"} and stats_doc["dataset"] == {"item_count": 1500}
    assert [f["name"] for f in stats_doc["features"]] == [*FEATURES, "label"]
    types = {f["name"]: f["inferred_type"] for f in stats_doc["features"]}
    assert types == {
        "x": "Fractional", "n": "Integral", "cat": "String", "flag": "String", "code": "String",
        "chol": "Fractional", "age": "Integral", "label": "Integral",
    }
    x = _feature(stats_doc, "x")
    assert set(x) == {"name", "inferred_type", "numerical_statistics"}
    num = x["numerical_statistics"]
    assert set(num) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert set(num["common"]) == {"num_present", "num_missing"}
    assert set(num["distribution"]["kll"]["buckets"][0]) == {"lower_bound", "upper_bound", "count"}
    cat = _feature(stats_doc, "cat")["string_statistics"]
    assert set(cat) == {"common", "distinct_count", "distribution"}
    assert set(cat["distribution"]["categorical"]["buckets"][0]) == {"value", "count"}


def test_numeric_statistics_equal_numpy(baseline: Baseline, frames: dict[str, pd.DataFrame]) -> None:
    for name in ("x", "chol", "n"):
        values = frames["base"][name].dropna().to_numpy(dtype=float)
        num = _feature(baseline.statistics, name)["numerical_statistics"]
        assert num["common"] == {"num_present": values.size, "num_missing": 1500 - values.size}
        assert num["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert num["sum"] == pytest.approx(values.sum(), rel=1e-12)
        assert num["std_dev"] == pytest.approx(values.std(ddof=0), rel=1e-9)
        assert (num["min"], num["max"]) == (values.min(), values.max())
        kll = num["distribution"]["kll"]
        assert sum(b["count"] for b in kll["buckets"]) == values.size and len(kll["buckets"]) == 10
        assert kll["cdf"]["exact"] is True and kll["cdf"]["values"] == np.unique(values).tolist()
        assert kll["cdf"]["count_le"][-1] == values.size
        assert kll["quantiles"]["values"] == np.unique(
            np.quantile(values, kll["quantiles"]["probabilities"], method="inverted_cdf")
        ).tolist()
    x = frames["base"]["x"].to_numpy()
    buckets = _feature(baseline.statistics, "x")["numerical_statistics"]["distribution"]["kll"]["buckets"]
    counts, edges = np.histogram(x, bins=np.linspace(x.min(), x.max(), 11))
    assert [b["count"] for b in buckets] == counts.tolist()
    assert [b["lower_bound"] for b in buckets] == pytest.approx(edges[:-1].tolist(), rel=1e-12)


def test_string_statistics_equal_pandas_value_counts(baseline: Baseline, frames: dict[str, pd.DataFrame]) -> None:
    for name, as_text in (("cat", str), ("flag", lambda v: str(v).lower()), ("code", str)):
        expected = frames["base"][name].map(as_text).value_counts().to_dict()
        block = _feature(baseline.statistics, name)["string_statistics"]
        assert {b["value"]: b["count"] for b in block["distribution"]["categorical"]["buckets"]} == expected
        assert block["distinct_count"] == len(expected)
        assert block["common"] == {"num_present": 1500, "num_missing": 0}


def test_constraints_suggest_completeness_sign_and_domains(baseline: Baseline) -> None:
    doc = baseline.constraints
    assert set(doc) == {"version", "features", "monitoring_config"}
    x, n, cat, chol = (_feature(doc, name) for name in ("x", "n", "cat", "chol"))
    assert set(x) == {"name", "inferred_type", "completeness", "num_constraints", "monitoringConfigOverrides"}
    assert x["num_constraints"] == {"is_non_negative": True} and n["num_constraints"]["is_non_negative"] is True
    assert chol["completeness"] == pytest.approx(1 - 0.05, abs=0.02) and x["completeness"] == 1.0
    assert sorted(cat["string_constraints"]["domains"]) == ["alpha", "beta", "gamma"]
    assert sorted(_feature(doc, "flag")["string_constraints"]["domains"]) == ["false", "true"]
    config = doc["monitoring_config"]
    assert config["distribution_constraints"]["comparison_method"] == "Robust"
    assert config["datatype_check_threshold"] == 1.0 and config["evaluate_constraints"] == "Enabled"


def test_baseline_round_trips_through_json_files(baseline: Baseline, tmp_path: Path) -> None:
    paths = baseline.to_files(tmp_path)
    assert sorted(p.name for p in paths) == ["baseline.json", "constraints.json", "statistics.json"]
    again = Baseline.from_files(tmp_path)
    assert again.to_dict() == json.loads(json.dumps(baseline.to_dict()))
    assert again.task == "binary" and again.info.families["flag"] == "boolean"
    np.testing.assert_array_equal(again.columns["x"].points, baseline.columns["x"].points)


def test_unreadable_baseline_files_say_which_file(tmp_path: Path, baseline: Baseline) -> None:
    with pytest.raises(BaselineFileError, match="statistics.json: no such file"):
        Baseline.from_files(tmp_path)
    baseline.to_files(tmp_path)
    (tmp_path / "constraints.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BaselineFileError, match="constraints.json: not readable JSON"):
        Baseline.from_files(tmp_path)


def test_build_baseline_rejects_missing_and_unsupported_columns(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1, "2026-01-01")], "a int, d string").selectExpr("a", "to_date(d) AS d")
    with pytest.raises(BaselineError, match="column 'b': not in the data"):
        build_baseline(df, ["a", "b"])
    with pytest.raises(BaselineError, match="column 'd': type date cannot be monitored"):
        build_baseline(df, ["a", "d"])
    with pytest.raises(BaselineError, match="listed as categorical"):
        build_baseline(df, ["a"], categorical=["zzz"])


# --- a clean window: nothing flagged -------------------------------------------------------

def test_same_distribution_raises_no_violation(clean: MonitorResult) -> None:
    assert clean.violations == [], [v.description for v in clean.violations]
    assert clean.drifted_features == [] and clean.current_rows == 1000
    x = clean.feature("x")
    assert x.psi is not None and x.psi < 0.05 and x.ks_pvalue is not None and x.ks_pvalue > 0.01
    quality = clean.model_quality
    assert quality is not None and quality.metric == "roc_auc" and not quality.degraded
    assert quality.baseline is not None and abs(quality.value - quality.baseline) < 0.05  # type: ignore[operator]


# --- a crafted window: each violation type -------------------------------------------------

def test_each_broken_constraint_raises_its_violation_type(drifted: MonitorResult) -> None:
    found = {(v.feature_name, v.constraint_check_type) for v in drifted.violations}
    assert found == {
        ("code", "missing_column_check"),
        ("source", "extra_column_check"),
        ("x", "baseline_drift_check"),
        ("n", "non_negative_check"),
        ("cat", "categorical_values_check"),
        ("chol", "completeness_check"),
        ("age", "data_type_check"),
        ("label", "model_quality_check"),
    }
    assert drifted.missing_columns == ["code"] and drifted.extra_columns == ["source"]
    assert drifted.drifted_features == ["x"]


def test_violation_descriptions_are_one_line_with_the_numbers(drifted: MonitorResult) -> None:
    by_type = {v.constraint_check_type: v for v in drifted.violations}
    for violation in drifted.violations:
        assert "\n" not in violation.description
    assert "only 9" in by_type["data_type_check"].description and "Integral" in by_type["data_type_check"].description
    assert "'delta'" in by_type["categorical_values_check"].description
    assert "KS distance" in by_type["baseline_drift_check"].description
    assert "below the threshold" in by_type["model_quality_check"].description
    type_check = by_type["data_type_check"]
    assert type_check.value == pytest.approx(drifted.feature("age").type_match) and type_check.threshold == 1.0
    assert 0.85 < (type_check.value or 0) < 0.95


def test_numeric_drift_values_equal_scipy_and_numpy(drifted: MonitorResult, frames: dict[str, pd.DataFrame]) -> None:
    for name in ("x", "n"):
        base = frames["base"][name].to_numpy(dtype=float)
        cur = frames["drifted"][name].to_numpy(dtype=float)
        drift = drifted.feature(name)
        reference = stats.ks_2samp(base, cur, method="asymp")
        assert drift.ks_statistic == pytest.approx(reference.statistic, abs=1e-12)
        assert drift.ks_pvalue == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)
        cut = np.unique(np.quantile(base, [k / 10 for k in range(1, 10)], method="inverted_cdf"))
        e = np.bincount(np.searchsorted(cut, base, "left"), minlength=cut.size + 1) / base.size
        a = np.bincount(np.searchsorted(cut, cur, "left"), minlength=cut.size + 1) / cur.size
        e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4)
        assert drift.psi == pytest.approx(float(np.sum((a - e) * np.log(a / e))), abs=1e-12)
    x = drifted.feature("x")
    assert x.drifted and x.ks_statistic > 0.3 and x.psi > 0.2  # type: ignore[operator]
    assert drifted.feature("n").negatives == int((frames["drifted"]["n"] < 0).sum())


def test_categorical_drift_values_equal_scipy(drifted: MonitorResult, frames: dict[str, pd.DataFrame]) -> None:
    cat = drifted.feature("cat")
    base = frames["base"]["cat"].value_counts()
    cur = frames["drifted"]["cat"].value_counts()
    keys = list(base.index)
    table = [[int(base[k]) for k in keys] + [0], [int(cur.get(k, 0)) for k in keys] + [int(cur["delta"])]]
    reference = stats.chi2_contingency(table, correction=False)
    assert cat.chi_square == pytest.approx(reference.statistic, rel=1e-12)
    assert cat.chi_square_pvalue == pytest.approx(reference.pvalue, rel=1e-9)
    assert cat.new_values == {"delta": int(cur["delta"])}
    assert cat.new_value_share == pytest.approx(cur["delta"] / 1000)
    assert not cat.drifted and cat.psi is not None and cat.psi < 0.2


def test_completeness_and_types_are_measured(drifted: MonitorResult, frames: dict[str, pd.DataFrame]) -> None:
    chol = drifted.feature("chol")
    assert chol.completeness_current == pytest.approx(frames["drifted"]["chol"].notna().mean())
    age = drifted.feature("age")
    assert age.current_type == "String" and age.baseline_type == "Integral"
    assert age.type_match == pytest.approx((frames["drifted"]["age"] != "unknown").mean())
    assert age.current_count == int((frames["drifted"]["age"] != "unknown").sum())
    assert not age.drifted  # the values that read as numbers did not move


def test_model_quality_drop_is_measured_against_the_training_auc(
    drifted: MonitorResult, frames: dict[str, pd.DataFrame]
) -> None:
    quality = drifted.model_quality
    assert quality is not None and quality.degraded and quality.rows == 1000
    df = frames["drifted"]
    assert quality.value == pytest.approx(_auc(df["label"].to_numpy(), df["score"].to_numpy()), abs=1e-9)
    assert quality.threshold == pytest.approx(quality.baseline - 0.05)  # type: ignore[operator]


def test_violations_become_delta_table_rows(drifted: MonitorResult) -> None:
    table = drifted.violations_arrow()
    assert table.schema == VIOLATIONS_SCHEMA and table.num_rows == len(drifted.violations)
    rows = {r["check_type"]: r for r in table.to_pylist()}
    assert rows["baseline_drift_check"]["run_id"] == "run-1" and rows["baseline_drift_check"]["version"] == "2"
    assert rows["baseline_drift_check"]["psi"] == pytest.approx(drifted.feature("x").psi)
    assert rows["model_quality_check"]["metric"] == "roc_auc"
    metrics = drifted.drift_metrics_arrow()
    assert metrics.schema == DRIFT_METRICS_SCHEMA and metrics.num_rows == len(drifted.features)
    assert json.loads(json.dumps(drifted.constraint_violations()))["violations"][0]["feature_name"] == "code"


def test_unknown_features_and_absent_roles_are_input_errors(spark, baseline: Baseline) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame([(1.0,)], "x double")
    with pytest.raises(MonitorInputError, match="not in the baseline"):
        run_monitor(baseline, df, features=["x", "nope"])
    with pytest.raises(MonitorInputError, match="probability column 'p'"):
        run_monitor(baseline, df, probability="p")


# --- model quality for the other tasks --------------------------------------------------------

def test_multiclass_accuracy_and_regression_rmse_degrade_past_their_thresholds(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 400)
    wrong = rng.random(400) < 0.4
    pdf = pd.DataFrame({"y": y, "pred": np.where(wrong, (y + 1) % 3, y).astype(float)})
    quality, violation = check_model_quality(
        spark.createDataFrame(pdf), task="multiclass", label="y", prediction="pred", training_metric={"accuracy": 0.9}
    )
    assert quality.value == pytest.approx(1 - wrong.mean()) and quality.degraded
    assert violation is not None and violation.metric == "accuracy" and violation.threshold == pytest.approx(0.85)

    target = rng.normal(10, 2, 300)
    reg = pd.DataFrame({"t": np.where(np.arange(300) < 20, np.nan, target), "p": target + rng.normal(0, 1, 300)})
    quality, violation = check_model_quality(
        spark.createDataFrame(reg), task="regression", label="t", prediction="p", training_metric=0.8
    )
    rmse = float(np.sqrt(np.mean((reg["p"] - reg["t"]).dropna() ** 2)))
    assert quality.metric == "rmse" and quality.value == pytest.approx(rmse, rel=1e-9)
    assert quality.rows == 280 and quality.unlabelled == 20 and quality.threshold == pytest.approx(0.88)
    assert violation is not None and quality.degraded


# --- report ---------------------------------------------------------------------------------

def test_report_embeds_the_plots_and_lists_the_violations(drifted: MonitorResult, tmp_path: Path) -> None:
    page = write_report(drifted, tmp_path)
    assert page == tmp_path / "report.html"
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "drift_psi.png" in pngs and any(n.startswith("dist_01_x") for n in pngs)
    html = page.read_text(encoding="utf-8")
    embedded = html.count('src="data:image/png;base64,')
    assert embedded == len(pngs)
    first = html.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(first)[:8] == b"\x89PNG\r\n\x1a\n"
    for name in pngs:
        assert f'alt="{name}"' in html
    for check in ("missing_column_check", "extra_column_check", "model_quality_check"):
        assert check in html
    written = json.loads((tmp_path / "constraint_violations.json").read_text(encoding="utf-8"))
    assert len(written["violations"]) == len(drifted.violations)
    current = json.loads((tmp_path / "statistics.json").read_text(encoding="utf-8"))
    assert current["dataset"]["item_count"] == 1000


# --- beyond the exact sketch ----------------------------------------------------------------

def test_many_distinct_values_use_the_quantile_sketch_and_high_cardinality_has_no_domain(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(12)
    grades = ["a", "b", "c"]
    base = pd.DataFrame({
        "v.x": rng.normal(0, 1, 5000), "uid col": [f"u{i}" for i in range(5000)], "grade": rng.choice(grades, 5000),
    })
    cur = pd.DataFrame({
        "v.x": rng.normal(0.5, 1, 3000), "uid col": [f"w{i}" for i in range(3000)],
        "grade": [f"g{i}" if i % 10 == 0 else grades[i % 3] for i in range(3000)],
    })
    baseline = build_baseline(spark.createDataFrame(base), ["v.x", "uid col", "grade"])
    v = baseline.columns["v.x"]
    assert not v.exact and v.points.size == 2049 and v.count_le[-1] == 5000
    assert v.points[0] == base["v.x"].min() and v.points[-1] == base["v.x"].max()
    assert baseline.columns["uid col"].domain is None and baseline.columns["grade"].domain == frozenset(grades)
    result = run_monitor(baseline, spark.createDataFrame(cur))
    reference = stats.ks_2samp(base["v.x"], cur["v.x"]).statistic
    drift = result.feature("v.x")
    assert drift.ks_statistic == pytest.approx(reference, abs=2 / 2048) and drift.drifted
    assert "quantile points" in " ".join(drift.notes)
    uid = result.feature("uid col")
    assert uid.psi is None and "no domain" in " ".join(uid.notes)
    grade = result.feature("grade")  # 300 distinct new values: counted, not listed one by one
    assert grade.new_value_share == pytest.approx(0.1) and grade.new_values == {}
    assert {(v.feature_name, v.constraint_check_type) for v in result.violations} == {
        ("v.x", "baseline_drift_check"), ("grade", "categorical_values_check"), ("grade", "baseline_drift_check"),
    }
    assert "300 values not listed" in result.violations_of("categorical_values_check")[0].description
