"""Plots are real PNG files of sensible size; degenerate input is a clear error, never a crash."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lake.ml.errors import PlotInputError
from lake.ml.evaluate import evaluate_arrays
from lake.ml.plots import (
    plot_calibration,
    plot_confusion,
    plot_elbow,
    plot_importance,
    plot_pr,
    plot_residuals,
    plot_roc,
    plot_trials,
    plots_for,
)
from lake.ml.tune import Trial, TuneResult


def _assert_png(path: Path, min_side: int = 300) -> None:
    assert path.is_file() and path.stat().st_size > 5_000
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert min_side <= width <= 2000 and min_side <= height <= 2000
        assert len(set(image.convert("L").getdata())) > 10  # something was drawn


def _binary():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400).astype(float)
    return evaluate_arrays("binary", y, scores=np.clip(0.3 * y + rng.uniform(0, 0.7, 400), 0, 1))


def test_every_plot_writes_a_valid_png(tmp_path: Path) -> None:
    ev = _binary()
    assert ev.roc is not None and ev.pr is not None
    paths = [
        plot_roc(ev.roc["fpr"], ev.roc["tpr"], tmp_path / "roc.png", auc=ev.metrics["roc_auc"]),
        plot_pr(ev.pr["recall"], ev.pr["precision"], tmp_path / "pr.png", average_precision=0.7, prevalence=0.5),
        plot_confusion(ev.confusion, ev.labels, tmp_path / "confusion.png"),
        plot_confusion(ev.confusion, ev.labels, tmp_path / "confusion_norm.png", normalize=True),
        plot_calibration(ev.calibration, tmp_path / "calibration.png"),
        plot_importance([f"f{i}" for i in range(40)], np.linspace(-1, 2, 40), tmp_path / "sub" / "coef.png",
                        kind="coefficients"),
        plot_residuals(np.arange(50.0), np.sin(np.arange(50.0)), tmp_path / "residuals.png"),
        plot_elbow([2, 3, 4, 5], tmp_path / "elbow.png", silhouette=[0.4, 0.6, 0.5, 0.45], sse=[90, 50, 40, 35]),
        plot_trials([0.7, None, 0.75, 0.72, 0.8], tmp_path / "trials.png", metric="roc_auc"),
    ]
    for path in paths:
        _assert_png(path)


def test_plot_returns_the_path_it_wrote(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "roc.png"
    assert plot_roc([0, 0.5, 1], [0, 0.8, 1], str(target)) == target


def test_single_class_roc_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlotInputError, match="cannot draw the ROC plot: the curve is empty or undefined; .*both"):
        plot_roc([np.nan, np.nan], [0.0, 1.0], tmp_path / "roc.png")
    with pytest.raises(PlotInputError, match="cannot draw the precision-recall plot"):
        plot_pr([], [], tmp_path / "pr.png")
    assert not (tmp_path / "roc.png").exists()


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda p: plot_confusion([], [], p), "non-empty square matrix"),
        (lambda p: plot_confusion([[1, 2]], ["a"], p), "non-empty square matrix"),
        (lambda p: plot_confusion([[1, 2], [3, 4]], ["a"], p), "1 labels for 2 classes"),
        (lambda p: plot_calibration([], p), "no probability bins"),
        (lambda p: plot_importance([], [], p), "no features"),
        (lambda p: plot_importance(["a"], [1.0, 2.0], p), "1 names for 2 values"),
        (lambda p: plot_importance(["a"], [float("nan")], p), "NaN"),
        (lambda p: plot_residuals([], [], p), "0 predictions"),
        (lambda p: plot_elbow([], p, sse=[]), "at least one k"),
        (lambda p: plot_elbow([2, 3], p, sse=[1.0]), "2 values of k but 1 sse values"),
        (lambda p: plot_trials([None, None], p), "none of the 2 trials has a metric"),
    ],
)
def test_degenerate_input_is_a_plot_input_error(tmp_path: Path, draw, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlotInputError, match=message):
        draw(tmp_path / "x.png")


def test_plots_for_binary_writes_the_binary_set(tmp_path: Path) -> None:
    written = plots_for(_binary(), tmp_path, importance=(["age", "bp"], [0.7, -0.2]), importance_kind="coefficients")
    assert set(written) == {"roc", "pr", "confusion", "calibration", "coefficients"}
    for path in written.values():
        _assert_png(path)


def test_plots_for_single_class_skips_the_curves(tmp_path: Path) -> None:
    ev = evaluate_arrays("binary", np.zeros(30), scores=np.linspace(0, 1, 30))
    written = plots_for(ev, tmp_path)
    assert set(written) == {"confusion", "calibration"}
    assert "undefined" in ev.notes[0]


def test_plots_for_multiclass_regression_and_clustering(tmp_path: Path) -> None:
    y = np.array([0, 1, 2, 2, 1, 0] * 10, dtype=float)
    multi = plots_for(evaluate_arrays("multiclass", y, predictions=np.roll(y, 1)), tmp_path / "m")
    assert set(multi) == {"confusion"}
    reg = plots_for(evaluate_arrays("regression", y, predictions=y + 0.1), tmp_path / "r")
    assert set(reg) == {"residuals"}
    from lake.ml.evaluate import Evaluation

    clusters = Evaluation(task="clustering", metrics={"sse": 3.0, "silhouette": 0.5}, rows=10)
    elbow = {2: {"silhouette": 0.5, "sse": 9.0}, 3: {"silhouette": 0.6, "sse": 5.0}, 4: {"silhouette": 0.4, "sse": 4.0}}
    written = plots_for(clusters, tmp_path / "c", elbow=elbow)
    assert set(written) == {"elbow"}
    _assert_png(written["elbow"])


def test_plots_for_draws_the_tuning_trials(tmp_path: Path) -> None:
    trials = [Trial(i, {"x": i}, m, None, 1.0, "OK" if m is not None else "FAILED") for i, m in
              enumerate([3.0, 2.5, None, 2.7, 2.2])]
    result = TuneResult(trials=trials, best_index=4, best_params={"x": 4}, best_metric=2.2, metric="rmse",
                        greater_is_better=False, strategy="grid", method="cv", fold_rows=[5, 5], seconds=5.0)
    written = plots_for(evaluate_arrays("regression", np.arange(5.0), predictions=np.arange(5.0)), tmp_path,
                        tuning=result)
    _assert_png(written["trials"])


def test_plots_can_be_drawn_from_several_threads(tmp_path: Path) -> None:
    ev = _binary()
    errors: list[BaseException] = []

    def draw(i: int) -> None:
        try:
            plots_for(ev, tmp_path / str(i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(3):
        assert len(list((tmp_path / str(i)).glob("*.png"))) == 4
