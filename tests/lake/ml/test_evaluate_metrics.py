"""Every classification and regression metric equals scikit-learn's on the same predictions (1e-9)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from lake.ml.errors import EvaluationError, MetricUndefinedError, UnknownMetricError, UnknownTaskError
from lake.ml.evaluate import MAX_CURVE_POINTS, Evaluation, evaluate_arrays
from lake.ml.metrics import greater_is_better, resolve_metric

TOL = 1e-9


def _binary_data(n: int = 400, seed: int = 7, decimals: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities rounded so that many scores tie."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1).round(decimals)
    return y, p


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.7, 0.0, 1.0])
def test_binary_metrics_equal_sklearn_with_tied_scores(threshold: float) -> None:
    y, p = _binary_data()
    assert np.unique(p).size < 20  # heavy ties
    ev = evaluate_arrays("binary", y, scores=p, threshold=threshold)
    yhat = (p >= threshold).astype(float)
    expected = {
        "accuracy": skm.accuracy_score(y, yhat),
        "precision": skm.precision_score(y, yhat, zero_division=0),
        "recall": skm.recall_score(y, yhat, zero_division=0),
        "sensitivity": skm.recall_score(y, yhat, zero_division=0),
        "specificity": skm.recall_score(y, yhat, pos_label=0, zero_division=0),
        "f1": skm.f1_score(y, yhat, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p),
        "pr_auc": skm.average_precision_score(y, p),
        "gini": 2 * skm.roc_auc_score(y, p) - 1,
        "log_loss": skm.log_loss(y, p, labels=[0, 1]),
    }
    assert set(ev.metrics) == set(expected)
    for name, value in expected.items():
        assert ev.metrics[name] == pytest.approx(value, abs=TOL), name
    assert ev.confusion == skm.confusion_matrix(y, yhat, labels=[0, 1]).tolist()
    assert ev.threshold == threshold


def test_binary_curves_equal_sklearn_curves() -> None:
    y, p = _binary_data(decimals=2)
    ev = evaluate_arrays("binary", y, scores=p)
    fpr, tpr, _ = skm.roc_curve(y, p)  # drop_intermediate=True, as ours
    assert ev.roc is not None and ev.pr is not None
    np.testing.assert_allclose(ev.roc["fpr"], fpr, atol=TOL)
    np.testing.assert_allclose(ev.roc["tpr"], tpr, atol=TOL)
    precision, recall, _ = skm.precision_recall_curve(y, p)
    np.testing.assert_allclose(ev.pr["recall"], recall, atol=TOL)
    np.testing.assert_allclose(ev.pr["precision"], precision, atol=TOL)


def test_calibration_bins_equal_sklearn_calibration_curve() -> None:
    y, p = _binary_data(decimals=3)
    ev = evaluate_arrays("binary", y, scores=p)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose([b["fraction_positive"] for b in ev.calibration], prob_true, atol=TOL)
    np.testing.assert_allclose([b["mean_predicted"] for b in ev.calibration], prob_pred, atol=TOL)
    assert sum(b["count"] for b in ev.calibration) == y.size


def test_curves_are_downsampled_and_keep_their_ends() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 20_000).astype(float)
    p = rng.uniform(0, 1, y.size)
    ev = evaluate_arrays("binary", y, scores=p)
    assert ev.roc is not None and ev.pr is not None
    assert 2 < len(ev.roc["fpr"]) <= MAX_CURVE_POINTS
    assert 2 < len(ev.pr["recall"]) <= MAX_CURVE_POINTS
    assert (ev.roc["fpr"][0], ev.roc["tpr"][0], ev.roc["fpr"][-1], ev.roc["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert (ev.pr["recall"][-1], ev.pr["precision"][-1]) == (0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=60).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_ranking_metrics_equal_sklearn_on_any_tied_input(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows], dtype=float)
    s = np.array([r[1] for r in rows], dtype=float) / 6
    ev = evaluate_arrays("binary", y, scores=s)
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, s), abs=TOL)
    assert ev.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(y, s), abs=TOL)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, s, labels=[0, 1]), abs=TOL)


def test_log_loss_clips_certain_wrong_probabilities_like_sklearn() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.0, 1.0, 1.0, 0.0])
    ev = evaluate_arrays("binary", y, scores=p)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, p), abs=TOL)


def test_margin_scores_give_ranking_metrics_but_no_log_loss() -> None:
    y, p = _binary_data()
    margin = np.log(np.clip(p, 1e-3, 1 - 1e-3) / (1 - np.clip(p, 1e-3, 1 - 1e-3)))
    ev = evaluate_arrays("binary", y, scores=margin, score_kind="margin")
    assert "log_loss" not in ev.metrics and ev.calibration == []
    assert ev.threshold == 0.0
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, margin), abs=TOL)
    assert ev.metrics["f1"] == pytest.approx(skm.f1_score(y, margin >= 0), abs=TOL)


def test_predictions_only_give_threshold_metrics() -> None:
    y, p = _binary_data()
    yhat = (p > 0.5).astype(float)
    ev = evaluate_arrays("binary", y, predictions=yhat, scores=None)
    assert "roc_auc" not in ev.metrics and ev.threshold is None
    assert ev.metrics["f1"] == pytest.approx(skm.f1_score(y, yhat), abs=TOL)


def test_single_class_leaves_ranking_metrics_undefined_with_a_note() -> None:
    y = np.zeros(50)
    p = np.linspace(0, 1, 50)
    ev = evaluate_arrays("binary", y, scores=p, classes=["healthy", "sick"])
    assert {"roc_auc", "pr_auc", "gini"}.isdisjoint(ev.metrics)
    assert ev.roc is None and ev.pr is None
    assert "'healthy'" in ev.notes[0]
    with pytest.raises(MetricUndefinedError, match="roc_auc is undefined.*only class 'healthy'"):
        ev.metric("auc")
    assert ev.metrics["specificity"] == pytest.approx(skm.recall_score(y, p >= 0.5, pos_label=0), abs=TOL)
    json.dumps(ev.to_dict(), allow_nan=False)


def test_binary_labels_must_be_zero_or_one() -> None:
    with pytest.raises(EvaluationError, match=r"labels must be 0 or 1.*\[2\.0\]"):
        evaluate_arrays("binary", np.array([0.0, 1.0, 2.0]), scores=np.array([0.1, 0.2, 0.3]))


def test_nan_scores_are_refused_with_their_count() -> None:
    with pytest.raises(EvaluationError, match="1 scores are NaN"):
        evaluate_arrays("binary", np.array([0.0, 1.0]), scores=np.array([0.1, np.nan]))


def _multiclass_data(n: int = 300, k: int = 3, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y.astype(float), probs, probs.argmax(axis=1).astype(float)


def test_multiclass_metrics_equal_sklearn() -> None:
    y, probs, pred = _multiclass_data()
    ev = evaluate_arrays("multiclass", y, predictions=pred, probabilities=probs, classes=["a", "b", "c"])
    assert ev.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=TOL)
    for avg in ("macro", "weighted"):
        assert ev.metrics[f"precision_{avg}"] == pytest.approx(
            skm.precision_score(y, pred, average=avg, zero_division=0), abs=TOL)
        assert ev.metrics[f"recall_{avg}"] == pytest.approx(
            skm.recall_score(y, pred, average=avg, zero_division=0), abs=TOL)
        assert ev.metrics[f"f1_{avg}"] == pytest.approx(skm.f1_score(y, pred, average=avg, zero_division=0), abs=TOL)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, probs, labels=[0, 1, 2]), abs=TOL)
    assert ev.confusion == skm.confusion_matrix(y, pred).tolist()
    precision, recall, f1, support = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    for c, name in enumerate(["a", "b", "c"]):
        row = ev.per_class[name]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((precision[c], recall[c], f1[c]), abs=TOL)
        assert row["support"] == support[c]
        assert row["specificity"] == pytest.approx(skm.recall_score(y == c, pred == c, pos_label=False), abs=TOL)


def test_multiclass_with_a_class_never_seen_nor_predicted() -> None:
    y, probs3, pred = _multiclass_data()
    probs = np.c_[probs3, np.zeros(y.size)]  # class 3 exists in the model but not in this split
    ev = evaluate_arrays("multiclass", y, predictions=pred, probabilities=probs)
    assert len(ev.confusion) == 4 and ev.per_class["3"]["support"] == 0
    # macro averages run over the classes present, as scikit-learn's default labels=None does
    assert ev.metrics["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=TOL)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, probs, labels=[0, 1, 2, 3]), abs=TOL)
    assert ev.metric("f1") == ev.metrics["f1_weighted"]


def test_multiclass_refuses_probabilities_of_the_wrong_width() -> None:
    y, probs, pred = _multiclass_data()
    with pytest.raises(EvaluationError, match="2 columns for 3 classes"):
        evaluate_arrays("multiclass", y, predictions=pred, probabilities=probs[:, :2])


def test_regression_metrics_equal_sklearn_including_mape_with_zero_labels() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(10, 3, 300)
    y[:7] = 0.0
    yhat = y + rng.normal(0, 1, y.size)
    ev = evaluate_arrays("regression", y, predictions=yhat)
    assert ev.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(y, yhat), abs=TOL)
    assert ev.metrics["mse"] == pytest.approx(skm.mean_squared_error(y, yhat), abs=TOL)
    assert ev.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, yhat), abs=TOL)
    assert ev.metrics["r2"] == pytest.approx(skm.r2_score(y, yhat), abs=TOL)
    expected_mape = skm.mean_absolute_percentage_error(y, yhat)
    assert expected_mape > 1e12  # the zeros dominate, as in scikit-learn
    assert ev.metrics["mape"] == pytest.approx(expected_mape, rel=TOL)
    assert ev.residuals is not None and len(ev.residuals["predicted"]) == y.size


@pytest.mark.parametrize(("y", "yhat"), [([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]), ([3.0, 3.0, 3.0], [2.0, 3.0, 4.0])])
def test_r2_of_a_constant_label_follows_sklearn(y: list[float], yhat: list[float]) -> None:
    ev = evaluate_arrays("regression", np.array(y), predictions=np.array(yhat))
    assert ev.metrics["r2"] == skm.r2_score(y, yhat)


def test_residual_sample_is_capped() -> None:
    y = np.arange(5000, dtype=float)
    ev = evaluate_arrays("regression", y, predictions=y + 1)
    assert ev.residuals is not None and len(ev.residuals["residual"]) == MAX_CURVE_POINTS
    assert set(ev.residuals["residual"]) == {-1.0}


def test_evaluation_round_trips_through_json() -> None:
    y, p = _binary_data()
    ev = evaluate_arrays("binary", y, scores=p, threshold=0.4, classes=["no", "yes"])
    again = Evaluation.from_dict(json.loads(json.dumps(ev.to_dict(), allow_nan=False)))
    assert again == ev


def test_metric_names_resolve_aliases_and_directions() -> None:
    assert resolve_metric("binary", "AUC") == "roc_auc"
    assert resolve_metric("binary", "tpr") == "recall"
    assert resolve_metric("multiclass", "f1") == "f1_weighted"
    assert greater_is_better("binary", "roc_auc") and not greater_is_better("regression", "rmse")
    assert not greater_is_better("topics", "log_perplexity")
    with pytest.raises(UnknownMetricError, match="unknown metric 'rmse' for task binary; valid metrics: accuracy"):
        resolve_metric("binary", "rmse")
    with pytest.raises(UnknownTaskError, match="unknown task 'ranking'"):
        resolve_metric("ranking", "ndcg")
