"""The monitoring report: PNG plots and one self-contained HTML page (the PNGs embedded as base64).

:func:`write_report` writes into ``out_dir``: ``drift_psi.png`` (PSI per column with the
threshold line), ``dist_<nn>_<column>.png`` (baseline vs current shares for the most drifted
columns), ``report.html``, and the run's JSON files (``constraint_violations.json``, the
current ``statistics.json``, ``monitor_result.json``). Plots use matplotlib's Agg renderer
without pyplot state, so reports can be written from threads.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lake.ml.monitor.drift import FeatureDrift
from lake.ml.monitor.run import MonitorResult

__all__ = ["PSI_PLOT", "REPORT_FILE", "plot_distribution", "plot_psi", "write_report"]

REPORT_FILE = "report.html"
PSI_PLOT = "drift_psi.png"
_MAX_BARS = 15
_DPI = 100
_BASE_COLOUR, _CURRENT_COLOUR, _DRIFT_COLOUR = "#4c72b0", "#dd8452", "#c44e52"


def plot_psi(features: Sequence[FeatureDrift], threshold: float, path: str | Path) -> Path:
    """Horizontal bars of each column's PSI (drifted ones red) with the threshold as a dashed line."""
    scored = [f for f in features if f.psi is not None]
    fig = Figure(figsize=(7.0, max(2.5, 0.38 * len(scored) + 1.2)), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if scored:
        names = [f.feature for f in scored][::-1]
        values = [float(f.psi or 0.0) for f in scored][::-1]
        colours = [_DRIFT_COLOUR if f.drifted else _BASE_COLOUR for f in scored][::-1]
        bars = ax.barh(names, values, color=colours)
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(f"{value:.3f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_xlim(0, max([*values, threshold]) * 1.25 or 1.0)
    else:
        ax.text(0.5, 0.5, "no column had enough values to compare", ha="center", va="center", transform=ax.transAxes)
    ax.axvline(threshold, ls="--", color="grey", lw=1, label=f"PSI threshold {threshold:g}")
    ax.set_xlabel("Population stability index (baseline → current)")
    ax.set_title("Drift per column")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_distribution(drift: FeatureDrift, path: str | Path) -> Path:
    """Baseline vs current shares over the column's bins (deciles or categories)."""
    labels = list(drift.bins.get("labels", []))
    base = [float(v) for v in drift.bins.get("baseline", [])]
    cur = [float(v) for v in drift.bins.get("current", [])]
    if len(labels) > _MAX_BARS:  # keep the biggest bins by either share, pool the rest
        order = sorted(range(len(labels)), key=lambda j: -max(base[j], cur[j]))
        keep = sorted(order[: _MAX_BARS - 1])
        rest = [j for j in range(len(labels)) if j not in keep]
        labels = [labels[j] for j in keep] + [f"(other {len(rest)})"]
        base = [base[j] for j in keep] + [sum(base[j] for j in rest)]
        cur = [cur[j] for j in keep] + [sum(cur[j] for j in rest)]
    fig = Figure(figsize=(7.0, 4.2), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(labels)))
    ax.bar([i - 0.2 for i in x], base, width=0.4, color=_BASE_COLOUR, label="baseline")
    ax.bar([i + 0.2 for i in x], cur, width=0.4, color=_CURRENT_COLOUR, label="current")
    ax.set_xticks(x, labels, rotation=35 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center",
                  fontsize=8)
    ax.set_ylabel("Share of values")
    bins = "deciles of the baseline" if drift.kind == "numeric" else "categories"
    ax.set_title(f"{drift.feature}: {_metrics_text(drift)}", fontsize=10)
    ax.set_xlabel(f"Bins: {bins}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def write_report(result: MonitorResult, out_dir: str | Path, *, top: int = 6, title: str | None = None) -> Path:
    """Write the plots, the JSON files and ``report.html``; returns the HTML page's path.

    The distribution plots cover the drifted columns first, then other columns with a
    violation, then the highest PSI, at most ``top``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.to_files(out)
    images: list[tuple[str, Path]] = [
        ("Drift per column (PSI)", plot_psi(result.features, result.thresholds.psi_threshold, out / PSI_PLOT))
    ]
    flagged = {v.feature_name for v in result.violations}
    ranked = sorted(
        (f for f in result.features if f.bins),
        key=lambda f: (not f.drifted, f.feature not in flagged, -(f.psi or 0.0), f.feature),
    )
    for n, drift in enumerate(ranked[:top], start=1):
        path = plot_distribution(drift, out / f"dist_{n:02d}_{_slug(drift.feature)}.png")
        images.append((f"{drift.feature}: baseline vs current", path))
    page = out / REPORT_FILE
    page.write_text(_html(result, images, title), encoding="utf-8")
    return page


def _html(result: MonitorResult, images: list[tuple[str, Path]], title: str | None) -> str:
    e = html.escape
    heading = title or "Model monitor report" + (f": {result.model}" if result.model else "")
    version = f" version {e(result.version)}" if result.version else ""
    status = (
        f'<p class="bad">{len(result.violations)} violation(s)</p>' if result.violations
        else '<p class="ok">No violations</p>'
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(heading)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.9em;text-align:left}"
        "th{background:#f3f3f3}.bad{color:#c44e52;font-weight:bold}.ok{color:#2a7a2a;font-weight:bold}"
        "img{max-width:100%;display:block;margin:.5em 0 1.5em}</style></head><body>",
        f"<h1>{e(heading)}</h1>",
        f"<p>Run <code>{e(result.run_id)}</code>{version}, {e(result.created_at.isoformat(timespec='seconds'))}: "
        f"{result.current_rows:,} current rows against a baseline of {result.baseline_rows:,}.</p>",
        status,
    ]
    if result.violations:
        parts.append("<h2>Violations</h2><table><tr><th>Column</th><th>Check</th><th>Description</th></tr>")
        parts += [
            f"<tr><td>{e(v.feature_name)}</td><td>{e(v.constraint_check_type)}</td><td>{e(v.description)}</td></tr>"
            for v in result.violations
        ]
        parts.append("</table>")
    quality = result.model_quality
    if quality is not None:
        parts.append("<h2>Model quality</h2><table><tr><th>Metric</th><th>Current</th><th>Training</th>"
                     "<th>Threshold</th><th>Labelled rows</th><th>Degraded</th></tr>")
        parts.append(
            f"<tr><td>{e(quality.metric)}</td><td>{_num(quality.value)}</td><td>{_num(quality.baseline)}</td>"
            f"<td>{_num(quality.threshold)}</td><td>{quality.rows:,}</td><td>{'yes' if quality.degraded else 'no'}"
            "</td></tr></table>"
        )
        parts += [f"<p>{e(n)}</p>" for n in quality.notes]
    parts.append(
        "<h2>Columns</h2><table><tr><th>Column</th><th>Role</th><th>Type (baseline → current)</th>"
        "<th>Complete (baseline → current)</th><th>PSI</th><th>KS</th><th>KS p</th><th>L∞</th><th>χ² p</th>"
        "<th>New values</th><th>Drift</th></tr>"
    )
    for f in result.features:
        parts.append(
            f"<tr><td>{e(f.feature)}</td><td>{e(f.role)}</td><td>{e(f.baseline_type)} → {e(f.current_type or '-')}</td>"
            f"<td>{_pct(f.completeness_baseline)} → {_pct(f.completeness_current)}</td><td>{_num(f.psi)}</td>"
            f"<td>{_num(f.ks_statistic)}</td><td>{_p(f.ks_pvalue)}</td><td>{_num(f.linf_distance)}</td>"
            f"<td>{_p(f.chi_square_pvalue)}</td><td>{e(_new_values(f))}</td>"
            f"<td>{'<span class=bad>yes</span>' if f.drifted else 'no'}</td></tr>"
        )
    parts.append("</table>")
    if result.missing_columns or result.extra_columns:
        parts.append(
            f"<p>Missing columns: {e(', '.join(result.missing_columns) or 'none')}. "
            f"Extra columns: {e(', '.join(result.extra_columns) or 'none')}.</p>"
        )
    notes = result.notes + [f"{f.feature}: {n}" for f in result.features for n in f.notes]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Plots</h2>")
    for caption, path in images:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f'<h3>{e(caption)}</h3><img src="data:image/png;base64,{data}" alt="{e(path.name)}" '
            f'title="{e(path.name)}">'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _metrics_text(drift: FeatureDrift) -> str:
    items = [f"PSI {drift.psi:.3f}" if drift.psi is not None else None]
    if drift.ks_statistic is not None:
        items.append(f"KS {drift.ks_statistic:.3f} (p {drift.ks_pvalue:.2g})")
    if drift.linf_distance is not None:
        items.append(f"L∞ {drift.linf_distance:.3f}")
    return ", ".join(i for i in items if i) + (" — drifted" if drift.drifted else "")


def _new_values(f: FeatureDrift) -> str:
    if not f.new_values:
        return "" if f.new_value_share in (None, 0.0) else f"{_pct(f.new_value_share)}"
    listed = ", ".join(f"{k} ({n:,})" for k, n in list(f.new_values.items())[:3])
    return f"{_pct(f.new_value_share)}: {listed}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "column"


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=_DPI)
    return out
