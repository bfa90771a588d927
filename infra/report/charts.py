"""The report's charts as PNG bytes, drawn with matplotlib's Agg renderer (no pyplot state).

Why matplotlib rather than Vega-Lite: the report must be one self-contained file that opens
without network access, and a Vega-Lite chart needs the Vega JavaScript runtime (about 1 MB)
inlined into every report and a browser with JavaScript enabled to draw anything; a PNG needs
neither and also shows in mail clients, CI artifacts and file previews. matplotlib is already
pinned and is what the ML run artifacts use, so the model's ROC, PR, confusion-matrix,
importance and tuning charts are drawn by the same functions (:mod:`lake.ml.plots`) and look the
same in the report as in MLflow. Each function returns a :class:`Chart` or raises
:class:`~infra.report.errors.ChartInputError` when its input is empty or degenerate.
"""

from __future__ import annotations

import io
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from infra.report.errors import ChartInputError
from infra.report.model import (
    DriftSection,
    IngestSection,
    ModelSection,
    QualitySection,
    StageTiming,
    Tuning,
)
from lake.ml import plots
from lake.ml.errors import PlotInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "STATUS_COLOURS",
    "Chart",
    "confusion",
    "drift_psi",
    "feature_importance",
    "ingest_freshness",
    "ingest_throughput",
    "pr",
    "quality_rules",
    "roc",
    "stage_timings",
    "tuning_trials",
]

_DPI = 100
_SIZE = (7.2, 4.2)
_MAX_RULES = 30
_MAX_FEATURES = 30
_MAX_LABEL = 40
STATUS_COLOURS = {
    "passed": "#2e7d32", "ok": "#2e7d32", "warned": "#f9a825", "dropped": "#6a1b9a", "failed": "#c62828",
    "skipped": "#9e9e9e", "not run": "#bdbdbd",
}


@dataclass(frozen=True)
class Chart:
    """A PNG image with the text that describes it (the ``alt`` of its ``<img>``)."""

    name: str
    png: bytes
    alt: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, read from the PNG header."""
        width, height = struct.unpack(">II", self.png[16:24])
        return int(width), int(height)


def stage_timings(stages: Sequence[StageTiming]) -> Chart:
    """Horizontal bars of seconds per stage, coloured by status, in run order."""
    timed = [s for s in stages if s.seconds is not None]
    if not timed:
        raise ChartInputError(chart="stage timings", problem="no stage recorded its seconds")
    fig, ax = _figure((_SIZE[0], max(2.4, 0.38 * len(timed) + 1.2)))
    names = [_short(s.stage) for s in timed][::-1]
    seconds = [float(s.seconds or 0.0) for s in timed][::-1]
    ax.barh(names, seconds, color=[STATUS_COLOURS[str(s.status)] for s in timed][::-1])
    for y, value in enumerate(seconds):
        ax.text(value, y, f" {value:.1f}s", va="center", fontsize=8)
    ax.set_xlabel("Seconds")
    ax.set_xlim(0, max(seconds) * 1.18 or 1)
    ax.set_title(f"Seconds per stage (total {sum(seconds):.1f}s)")
    ax.grid(axis="x", alpha=0.3)
    alt = "Seconds per stage: " + ", ".join(f"{s.stage} {s.seconds:.1f}s ({s.status})" for s in timed)
    return _chart("stage-timings", fig, alt)


def ingest_throughput(ingest: IngestSection) -> Chart:
    """Records per micro-batch over the run (bars) and records per second (line)."""
    batches = [b for b in ingest.batches if b.records or b.seconds]
    if not batches:
        raise ChartInputError(chart="ingest throughput", problem="no micro-batch read any records")
    starts = [b.started_at for b in batches]
    if all(isinstance(s, datetime) for s in starts):
        first = min(s for s in starts if s is not None)
        xs = np.array([(s - first).total_seconds() for s in starts if s is not None])
        xlabel, width = "Seconds since the first batch started", _bar_width(xs)
    else:
        xs = np.array([b.batch_id for b in batches], dtype=np.float64)
        xlabel, width = "Batch id", 0.8
    records = np.array([b.records for b in batches], dtype=np.float64)
    seconds = np.array([b.seconds for b in batches], dtype=np.float64)
    rate = np.divide(records, seconds, out=np.full_like(records, np.nan), where=seconds > 0)
    fig, ax = _figure()
    ax.bar(xs, records, width=width, color="tab:blue", alpha=0.75, label="records per batch", align="edge")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Records per batch")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin = ax.twinx()
    twin.plot(xs + width / 2, rate, color="tab:orange", marker="o", lw=1.5, label="records / second")
    twin.set_ylabel("Records per second")
    twin.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.legend(lines, ["records per batch", "records / second"], loc="outside lower center", ncol=2, fontsize=8,
               frameon=False)
    total = int(records.sum())
    fig.suptitle(f"Ingest throughput: {ingest.stream}, {total:,} records in {len(batches)} batches", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    alt = (f"Ingest throughput of stream {ingest.stream}: {total} records in {len(batches)} micro-batches, "
           f"median {np.nanmedian(rate):.0f} records per second")
    return _chart("ingest-throughput", fig, alt)


def ingest_freshness(ingest: IngestSection) -> Chart:
    """Arrival-to-visible seconds: the per-record distribution with p50/p95, else per-batch lines."""
    values = np.asarray(ingest.freshness_s, dtype=np.float64)
    fig, ax = _figure()
    if values.size:
        p50, p95 = np.percentile(values, [50, 95])
        ax.hist(values, bins=min(40, max(5, values.size // 5)), color="tab:blue", alpha=0.75)
        ax.axvline(p50, color="tab:green", lw=2, label=f"p50 {p50:.2f}s")
        ax.axvline(p95, color="tab:red", lw=2, ls="--", label=f"p95 {p95:.2f}s")
        ax.set_xlabel("Seconds from arrival in the stream to visible in bronze")
        ax.set_ylabel("Records")
        ax.set_title(f"Freshness of {values.size:,} records")
        alt = f"Freshness distribution of {values.size} records: p50 {p50:.2f} s, p95 {p95:.2f} s"
    else:
        series = [("p50", "freshness_p50_s", "tab:green", "-"), ("p95", "freshness_p95_s", "tab:red", "--"),
                  ("max (oldest record)", "freshness_max_s", "tab:purple", ":")]
        drawn: list[str] = []
        for label, attr, colour, style in series:
            points = [(b.batch_id, getattr(b, attr)) for b in ingest.batches if getattr(b, attr) is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", color=colour, ls=style, label=label)
                drawn.append(f"{label} up to {max(ys):.2f} s")
        if not drawn:
            raise ChartInputError(chart="ingest freshness", problem="the run measured no arrival-to-visible times")
        ax.set_xlabel("Batch id")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("Seconds from arrival to visible")
        ax.set_ylim(bottom=0)
        ax.set_title(f"Freshness per batch: {ingest.stream}")
        alt = f"Freshness per micro-batch of stream {ingest.stream}: " + "; ".join(drawn)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return _chart("ingest-freshness", fig, alt)


def quality_rules(quality: QualitySection) -> Chart:
    """Per rule: the share of rows that passed and that failed (stacked, coloured by the rule's
    outcome), and beside it the failing rows as a count so that a handful out of thousands shows."""
    rows = list(quality.rows)
    if not rows:
        raise ChartInputError(chart="quality results", problem="no rule was evaluated")
    shown = sorted(rows, key=_failed_share, reverse=True)[:_MAX_RULES] if len(rows) > _MAX_RULES else rows
    fig = Figure(figsize=(_SIZE[0] + 2.4, max(2.8, 0.36 * len(shown) + 1.6)), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    share, count = fig.subplots(1, 2, sharey=True, width_ratios=[3, 2])
    most = max([r.failed or 0 for r in shown] + [1])
    for y, row in enumerate(reversed(shown)):
        outcome = "failed" if row.status == "passed" else row.status
        if row.evaluated and row.failed is not None:
            bad = row.failed / row.evaluated
            share.barh(y, 1 - bad, color=STATUS_COLOURS["passed"])
            share.barh(y, bad, left=1 - bad, color=STATUS_COLOURS[outcome])
            count.barh(y, row.failed, color=STATUS_COLOURS[outcome if row.failed else "passed"])
            count.text(row.failed + most * 0.02, y, f"{row.failed:,} / {row.evaluated:,}", va="center", fontsize=7)
        else:
            share.barh(y, 1.0, color=STATUS_COLOURS[row.status], hatch="//", edgecolor="white")
            count.text(most * 0.02, y, f"{row.status}, no row counts (table rule)", va="center", fontsize=7)
    labels = [_short(f"{r.table} · {r.rule}") for r in reversed(shown)]
    share.set_yticks(range(len(shown)), labels, fontsize=8)
    share.set_xlim(0, 1)
    share.xaxis.set_major_formatter(PercentFormatter(1.0))
    share.set_xlabel("Share of the rows the rule evaluated")
    count.set_xlim(0, most * 1.45)
    count.xaxis.set_major_locator(MaxNLocator(integer=True))
    count.set_xlabel("Failing rows (of evaluated)")
    count.grid(axis="x", alpha=0.3)
    handles = [_patch(STATUS_COLOURS[s], s) for s in ("passed", "warned", "dropped", "failed")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    counts = ", ".join(f"{quality.count(s)} {s}" for s in ("passed", "warned", "dropped", "failed") if quality.count(s))
    more = f" (the {len(shown)} with most failures of {len(rows)})" if len(shown) < len(rows) else ""
    fig.suptitle(f"Quality rules{more}: {counts}", fontsize=11)
    alt = f"Quality results of {len(rows)} rules: {counts}. " + "; ".join(
        f"{r.table} {r.rule}: {r.status}" + (f" ({r.failed} of {r.evaluated} rows)" if r.evaluated else "")
        for r in shown
    )
    return _chart("quality-rules", fig, alt)


def roc(model: ModelSection) -> Chart:
    if model.roc is None:
        raise ChartInputError(chart="ROC", problem=f"the {model.task} evaluation has no ROC curve")
    curve = model.roc
    auc = f" (AUC {curve.auc:.3f})" if curve.auc is not None else ""
    return _from_ml_plot("roc", f"ROC curve of {model.ref} on the {model.evaluation_split} split{auc}",
                         lambda p: plots.plot_roc(curve.fpr, curve.tpr, p, auc=curve.auc))


def pr(model: ModelSection) -> Chart:
    if model.pr is None:
        raise ChartInputError(chart="precision-recall", problem=f"the {model.task} evaluation has no PR curve")
    curve = model.pr
    ap = f" (average precision {curve.average_precision:.3f})" if curve.average_precision is not None else ""
    return _from_ml_plot(
        "pr", f"Precision-recall curve of {model.ref} on the {model.evaluation_split} split{ap}",
        lambda p: plots.plot_pr(curve.recall, curve.precision, p, average_precision=curve.average_precision,
                                prevalence=curve.prevalence))


def confusion(model: ModelSection) -> Chart:
    if not model.confusion:
        raise ChartInputError(chart="confusion matrix", problem=f"the {model.task} evaluation has no confusion matrix")
    cells = "; ".join(
        f"true {t}: " + ", ".join(f"{n} predicted {p}" for p, n in zip(model.labels, row, strict=True))
        for t, row in zip(model.labels, model.confusion, strict=True)
    )
    return _from_ml_plot("confusion", f"Confusion matrix of {model.ref} on the {model.evaluation_split} split: {cells}",
                         lambda p: plots.plot_confusion(model.confusion, model.labels, p))


def feature_importance(model: ModelSection) -> Chart:
    imp = model.importance
    if imp is None:
        raise ChartInputError(chart="feature importance", problem=f"{model.ref} reported no feature importance")
    order = np.argsort(-np.abs(np.asarray(imp.values, dtype=np.float64)), kind="stable")[:5]
    top = ", ".join(f"{imp.names[i]} {imp.values[i]:.3g}" for i in order)
    kind = "coefficients" if imp.kind == "coefficient" else "importance"
    return _from_ml_plot("importance", f"Feature {kind} of {model.ref}, largest: {top}",
                         lambda p: plots.plot_importance(imp.names, imp.values, p, kind=kind))


def tuning_trials(tuning: Tuning) -> Chart:
    best = tuning.best
    summary = ""
    if best is not None and best.metric is not None:
        summary = f"best {tuning.metric} {best.metric:.4f} at trial {best.index}"
    return _from_ml_plot(
        "trials", f"Tuning: {tuning.metric} of {len(tuning.trials)} trials and the best so far; {summary}",
        lambda p: plots.plot_trials([t.metric for t in tuning.trials], p, metric=tuning.metric,
                                    greater_is_better=tuning.greater_is_better))


def drift_psi(drift: DriftSection) -> Chart:
    """PSI per feature (red when the feature drifted), with the PSI threshold line."""
    scored = [f for f in drift.features if f.psi is not None]
    if not scored:
        raise ChartInputError(chart="drift", problem="no feature has a PSI (drift was not assessed)")
    shown = sorted(scored, key=lambda f: f.psi or 0.0, reverse=True)[:_MAX_FEATURES]
    fig, ax = _figure((_SIZE[0], max(2.6, 0.34 * len(shown) + 1.4)))
    values = [float(f.psi or 0.0) for f in shown][::-1]
    colours = [STATUS_COLOURS["failed"] if f.drifted else "tab:blue" for f in shown][::-1]
    ax.barh([_short(f.feature) for f in shown][::-1], values, color=colours)
    ax.axvline(drift.psi_threshold, color="black", ls="--", lw=1.2, label=f"threshold {drift.psi_threshold:g}")
    ax.set_xlim(0, max([*values, drift.psi_threshold]) * 1.15)
    ax.set_xlabel("Population stability index (PSI)")
    handles = [_patch(STATUS_COLOURS["failed"], "drifted (violation)"), _patch("tab:blue", "within bounds"),
               *ax.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    unscored = len(drift.features) - len(scored)
    ax.set_title(f"Drift per feature ({len(drift.drifted)} drifted"
                 + (f"; {unscored} without PSI" if unscored else "") + ")")
    alt = f"PSI per feature against the threshold {drift.psi_threshold:g}: " + ", ".join(
        f"{f.feature} {f.psi:.3f}{' drifted' if f.drifted else ''}" for f in shown)
    return _chart("drift-psi", fig, alt)


def _from_ml_plot(name: str, alt: str, draw: Callable[[Path], Path]) -> Chart:
    """Run one of :mod:`lake.ml.plots` (which writes a file) and keep its PNG bytes."""
    with tempfile.TemporaryDirectory(prefix="lakeforge-report-") as tmp:
        try:
            path = draw(Path(tmp) / f"{name}.png")
        except PlotInputError as exc:
            raise ChartInputError(chart=exc.plot, problem=exc.problem) from exc
        return Chart(name, path.read_bytes(), alt)


def _figure(size: tuple[float, float] = _SIZE) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _chart(name: str, fig: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return Chart(name, buffer.getvalue(), alt)


def _bar_width(xs: np.ndarray[Any, Any]) -> float:
    if xs.size < 2:
        return 1.0
    gaps = np.diff(np.sort(xs))
    gaps = gaps[gaps > 0]
    return float(gaps.min() * 0.8) if gaps.size else 1.0


def _failed_share(row: Any) -> float:
    if row.evaluated and row.failed is not None:
        return float(row.failed / row.evaluated)
    return 1.0 if row.status != "passed" else 0.0


def _patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(color=colour, label=label)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"

