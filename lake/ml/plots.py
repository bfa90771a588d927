"""Evaluation plots as PNG files (matplotlib's Agg renderer, no pyplot state, safe in threads).

Each ``plot_*`` function writes one PNG to ``path`` and returns the path. Empty or degenerate
input (a ROC curve of a single class, an empty confusion matrix, only failed trials) raises
:class:`~lake.ml.errors.PlotInputError` saying what is missing; :func:`plots_for` skips such a
plot (the evaluation's ``notes`` already say why) and writes the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lake.ml.errors import PlotInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lake.ml.evaluate import Evaluation
    from lake.ml.tune import TuneResult

__all__ = [
    "plot_calibration",
    "plot_confusion",
    "plot_elbow",
    "plot_importance",
    "plot_pr",
    "plot_residuals",
    "plot_roc",
    "plot_trials",
    "plots_for",
]

_SIZE = (6.4, 4.8)
_DPI = 100
_MAX_LABEL = 24


def plot_roc(fpr: Sequence[float], tpr: Sequence[float], path: str | Path, *, auc: float | None = None) -> Path:
    """The ROC curve (false positive rate against true positive rate) with the chance diagonal."""
    x, y = _curve("ROC", fpr, tpr, "a ROC curve needs both classes in the labels")
    fig, ax = _figure()
    ax.plot(x, y, lw=2, label="model" if auc is None else f"model (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    _unit_axes(ax, "False positive rate (1 - specificity)", "True positive rate (sensitivity)", "ROC curve")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_pr(
    recall: Sequence[float],
    precision: Sequence[float],
    path: str | Path,
    *,
    average_precision: float | None = None,
    prevalence: float | None = None,
) -> Path:
    """The precision-recall curve as a step function; ``prevalence`` draws the no-skill line."""
    x, y = _curve("precision-recall", recall, precision, "a PR curve needs positive rows in the labels")
    fig, ax = _figure()
    label = "model" if average_precision is None else f"model (AP = {average_precision:.3f})"
    ax.step(x, y, where="post", lw=2, label=label)
    if prevalence is not None:
        ax.axhline(prevalence, ls="--", color="grey", lw=1, label=f"no skill ({prevalence:.3f})")
    _unit_axes(ax, "Recall", "Precision", "Precision-recall curve")
    ax.legend(loc="lower left")
    return _save(fig, path)


def plot_confusion(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], path: str | Path, *, normalize: bool = False
) -> Path:
    """The confusion matrix as a heat map (rows: true class, columns: predicted); counts in cells."""
    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.size == 0 or counts.shape[0] != counts.shape[1]:
        raise PlotInputError(plot="confusion matrix", problem=f"expected a non-empty square matrix, got {counts.shape}")
    if len(labels) != counts.shape[0]:
        raise PlotInputError(plot="confusion matrix", problem=f"{len(labels)} labels for {counts.shape[0]} classes")
    rows = counts.sum(axis=1, keepdims=True)
    shown = np.divide(counts, rows, out=np.zeros_like(counts), where=rows != 0) if normalize else counts
    k = counts.shape[0]
    side = min(4.0 + 0.45 * k, 16.0)
    fig, ax = _figure((side + 1.2, side))
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    names = [_short(n) for n in labels]
    ax.set_xticks(range(k), names, rotation=45 if k > 3 else 0, ha="right" if k > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title("Confusion matrix" + (" (row-normalised)" if normalize else ""))
    if k <= 20:
        threshold = shown.max() / 2 if shown.max() else 1
        for i in range(k):
            for j in range(k):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(counts[i, j])}"
                ax.text(j, i, text, ha="center", va="center",
                        color="white" if shown[i, j] > threshold else "black", fontsize=9)
    return _save(fig, path)


def plot_calibration(bins: Sequence[Mapping[str, float]], path: str | Path) -> Path:
    """The reliability diagram: mean predicted probability against the observed fraction positive per bin."""
    if not bins:
        raise PlotInputError(plot="calibration", problem="no probability bins (the model gave no probabilities)")
    predicted = [b["mean_predicted"] for b in bins]
    observed = [b["fraction_positive"] for b in bins]
    counts = [b["count"] for b in bins]
    fig = Figure(figsize=(_SIZE[0], _SIZE[1] * 1.3), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
    top.plot(predicted, observed, marker="o", lw=2, label="model")
    _unit_axes(top, "", "Fraction of positives", "Calibration (reliability diagram)")
    top.legend(loc="upper left")
    widths = [b["upper"] - b["lower"] for b in bins]
    bottom.bar([b["lower"] for b in bins], counts, width=widths, align="edge", edgecolor="white")
    bottom.set_xlabel("Mean predicted probability")
    bottom.set_ylabel("Rows")
    return _save(fig, path)


def plot_importance(
    names: Sequence[str], values: Sequence[float], path: str | Path, *, kind: str = "importance", top: int = 25
) -> Path:
    """Horizontal bars of the ``top`` features by absolute value (``kind``: importance or coefficients)."""
    if len(names) != len(values):
        raise PlotInputError(plot=f"feature {kind}", problem=f"{len(names)} names for {len(values)} values")
    if not names:
        raise PlotInputError(plot=f"feature {kind}", problem="no features")
    data = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        raise PlotInputError(plot=f"feature {kind}", problem="some values are NaN or infinite")
    order = np.argsort(-np.abs(data), kind="stable")[:top][::-1]
    fig, ax = _figure((_SIZE[0] + 1.5, max(3.2, 0.3 * len(order) + 1.2)))
    colours = ["tab:blue" if data[i] >= 0 else "tab:red" for i in order]
    ax.barh([_short(names[i]) for i in order], data[order], color=colours)
    ax.axvline(0, color="black", lw=0.8)
    shown = f"top {len(order)} of {len(names)}" if len(names) > len(order) else f"{len(names)} features"
    ax.set_title(f"Feature {kind} ({shown})")
    ax.set_xlabel("Coefficient" if kind.startswith("coef") else "Importance")
    return _save(fig, path)


def plot_residuals(predicted: Sequence[float], residuals: Sequence[float], path: str | Path) -> Path:
    """Residual (label - prediction) against prediction, with the zero line."""
    x = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(residuals, dtype=np.float64)
    if x.size == 0 or x.size != y.size:
        raise PlotInputError(plot="residuals", problem=f"{x.size} predictions and {y.size} residuals")
    fig, ax = _figure()
    ax.scatter(x, y, s=10, alpha=0.5, edgecolors="none")
    ax.axhline(0, color="black", lw=1)
    ax.set_xlabel("Predicted value")
    ax.set_ylabel("Residual (label - prediction)")
    ax.set_title(f"Residuals ({x.size} rows shown)")
    return _save(fig, path)


def plot_elbow(
    ks: Sequence[int],
    path: str | Path,
    *,
    silhouette: Sequence[float] | None = None,
    sse: Sequence[float] | None = None,
) -> Path:
    """k against silhouette and/or within-cluster SSE (the elbow), for choosing k."""
    series = {name: v for name, v in (("silhouette", silhouette), ("sse", sse)) if v is not None}
    if not ks or not series:
        raise PlotInputError(plot="elbow", problem="needs at least one k and a silhouette or SSE series")
    for name, values in series.items():
        if len(values) != len(ks):
            raise PlotInputError(plot="elbow", problem=f"{len(ks)} values of k but {len(values)} {name} values")
    fig, ax = _figure()
    axes: list[Axes] = [ax] if len(series) == 1 else [ax, ax.twinx()]
    colours = ["tab:blue", "tab:orange"]
    for axis, colour, (name, values) in zip(axes, colours[: len(series)], series.items(), strict=True):
        axis.plot(list(ks), list(values), marker="o", color=colour, label=name)
        axis.set_ylabel("Silhouette" if name == "silhouette" else "Within-cluster SSE", color=colour)
    ax.set_xlabel("k (clusters)")
    ax.set_xticks(list(ks))
    ax.set_title("Choosing k: " + " and ".join(series))
    return _save(fig, path)


def plot_trials(
    metrics: Sequence[float | None], path: str | Path, *, metric: str = "metric", greater_is_better: bool = True
) -> Path:
    """Each trial's metric by trial index (failed trials marked) and the best so far."""
    values = np.array([np.nan if m is None else m for m in metrics], dtype=np.float64)
    ok = np.isfinite(values)
    if not ok.any():
        raise PlotInputError(plot="tuning trials", problem=f"none of the {values.size} trials has a metric")
    index = np.arange(values.size)
    filled = np.where(ok, values, -np.inf if greater_is_better else np.inf)
    best = np.maximum.accumulate(filled) if greater_is_better else np.minimum.accumulate(filled)
    fig, ax = _figure()
    ax.scatter(index[ok], values[ok], s=25, label="trial")
    valid = np.isfinite(best)
    ax.step(index[valid], best[valid], where="post", color="tab:green", lw=2, label="best so far")
    failed = index[~ok]
    if failed.size:
        low = np.nanmin(values)
        ax.scatter(failed, np.full(failed.size, low), marker="x", color="tab:red", label=f"failed ({failed.size})")
    ax.set_xlabel("Trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    ax.set_title(f"Tuning: {metric} ({'higher' if greater_is_better else 'lower'} is better)")
    ax.legend(loc="best")
    return _save(fig, path)


def plots_for(
    evaluation: Evaluation,
    directory: str | Path,
    *,
    importance: tuple[Sequence[str], Sequence[float]] | None = None,
    importance_kind: str = "importance",
    tuning: TuneResult | None = None,
    elbow: Mapping[int, Mapping[str, float]] | None = None,
) -> dict[str, Path]:
    """Write the plots relevant to ``evaluation.task`` into ``directory``; returns name -> path.

    Binary: roc, pr, confusion, calibration; multiclass: confusion; regression: residuals;
    clustering: elbow when ``elbow`` ({k: {"silhouette": …, "sse": …}}) is given. Also
    ``importance`` ((names, values)) and ``tuning`` (a :class:`~lake.ml.tune.TuneResult`)
    when given. Plots whose input the evaluation lacks are skipped.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    jobs: dict[str, Any] = {}
    ev = evaluation
    if ev.roc:
        jobs["roc"] = lambda p: plot_roc(ev.roc["fpr"], ev.roc["tpr"], p, auc=ev.metrics.get("roc_auc"))
    if ev.pr:
        prevalence = _prevalence(ev.confusion)
        jobs["pr"] = lambda p: plot_pr(ev.pr["recall"], ev.pr["precision"], p,
                                       average_precision=ev.metrics.get("pr_auc"), prevalence=prevalence)
    if ev.confusion:
        jobs["confusion"] = lambda p: plot_confusion(ev.confusion, ev.labels, p)
    if ev.calibration:
        jobs["calibration"] = lambda p: plot_calibration(ev.calibration, p)
    if ev.residuals:
        jobs["residuals"] = lambda p: plot_residuals(ev.residuals["predicted"], ev.residuals["residual"], p)
    if elbow:
        ks = sorted(elbow)
        series = {m: [elbow[k].get(m, math.nan) for k in ks] for m in ("silhouette", "sse")}
        kept = {m: v for m, v in series.items() if all(math.isfinite(x) for x in v)}
        jobs["elbow"] = lambda p: plot_elbow(ks, p, silhouette=kept.get("silhouette"), sse=kept.get("sse"))
    if importance is not None:
        jobs[importance_kind] = lambda p: plot_importance(*importance, p, kind=importance_kind)
    if tuning is not None:
        jobs["trials"] = lambda p: plot_trials([t.metric for t in tuning.trials], p, metric=tuning.metric,
                                               greater_is_better=tuning.greater_is_better)
    written: dict[str, Path] = {}
    for name, draw in jobs.items():
        try:
            written[name] = draw(out / f"{name}.png")
        except PlotInputError:
            continue
    return written


def _figure(size: tuple[float, float] = _SIZE) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _save(fig: Figure, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, format="png")
    return target


def _curve(plot: str, xs: Sequence[float], ys: Sequence[float], hint: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if x.size != y.size:
        raise PlotInputError(plot=plot, problem=f"{x.size} x values but {y.size} y values")
    if x.size < 2 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise PlotInputError(plot=plot, problem=f"the curve is empty or undefined; {hint}")
    return x, y


def _unit_axes(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)


def _short(name: Any) -> str:
    text = str(name)
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _prevalence(confusion: list[list[int]]) -> float | None:
    if len(confusion) != 2:
        return None
    total = sum(map(sum, confusion))
    return sum(confusion[1]) / total if total else None
