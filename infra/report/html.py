"""Render :class:`~infra.report.model.ReportData` as one self-contained HTML file.

Every chart is a PNG inlined as a ``data:image/png;base64`` URI with ``alt`` text, the CSS is
inline and there is no script, font or stylesheet to fetch (a Content-Security-Policy meta tag
forbids any fetch but ``data:`` images): the file opens offline, from the lake, a CI artifact or
a mail attachment. Sections follow the lifecycle (summary, ingest,
quality, model, tuning, batch predictions, endpoint, drift, lineage); a section without data
says "not run" (and shows the stage's error line when that stage failed); a chart whose input
is degenerate is replaced by one line saying why.
"""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from infra.report import charts
from infra.report.charts import STATUS_COLOURS, Chart
from infra.report.errors import ChartInputError
from infra.report.model import LINEAGE_KINDS, LineageNode, ReportData

__all__ = ["SECTIONS", "render_html", "render_report"]

T = TypeVar("T")

#: (section id, heading, stage names whose failure explains a missing section), in lifecycle order.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("summary", "Summary", ()),
    ("ingest", "Ingest", ("ingest",)),
    ("quality", "Data quality", ("quality", "etl")),
    ("model", "Model", ("train",)),
    ("tuning", "Tuning", ("tune", "train")),
    ("predictions", "Batch predictions", ("predict", "batch-predict", "batch_predict")),
    ("endpoint", "Endpoint", ("serve",)),
    ("drift", "Drift", ("monitor",)),
    ("lineage", "Lineage", ()),
)
_MAX_TABLE_ROWS = 50
_MAX_SAMPLE_CHARS = 1500


def render_report(data: ReportData, out_path: str | Path) -> Path:
    """Write the report for ``data`` to ``out_path`` (atomically) and return the path."""
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_html(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def render_html(data: ReportData) -> str:
    """The report as one HTML document (a string)."""
    builders: dict[str, Callable[[ReportData], str | None]] = {
        "summary": _summary, "ingest": _ingest, "quality": _quality, "model": _model, "tuning": _tuning,
        "predictions": _predictions, "endpoint": _endpoint, "drift": _drift, "lineage": _lineage,
    }
    parts = []
    for section_id, heading, stages in SECTIONS:
        body = builders[section_id](data)
        if body is None:
            body = _not_run(data, stages)
        parts.append(f'<section id="{section_id}"><h2>{_e(heading)}</h2>\n{body}\n</section>')
    nav = " · ".join(f'<a href="#{sid}">{_e(heading)}</a>' for sid, heading, _ in SECTIONS)
    return _PAGE.format(
        title=_e(f"{data.title}: {data.run_id}"), heading=_e(data.title), css=_CSS, nav=nav,
        sections="\n".join(parts), generated=_e(_when(datetime.now().astimezone())),
    )


# --- sections -----------------------------------------------------------------------------


def _summary(data: ReportData) -> str:
    facts = {"run": data.run_id, "started": _when(data.started_at),
             "finished": _when(data.finished_at) if data.finished_at else "(still running)",
             "duration": f"{data.seconds:.1f} s" if data.seconds is not None else "-", **data.context}
    out = [_facts(facts)]
    if not data.stages:
        out.append('<p class="not-run">no stages recorded</p>')
        return "\n".join(out)
    rows = [[_e(s.stage), _badge(str(s.status)), _num(s.seconds, 1), _num(s.rows), _e(s.error or "")]
            for s in data.stages]
    out.append(_table(["stage", "status", "seconds", "rows", "error"], rows, raw=True))
    out.append(_figures([_try(charts.stage_timings, data.stages)]))
    return "\n".join(out)


def _ingest(data: ReportData) -> str | None:
    ingest = data.ingest
    if ingest is None:
        return None
    facts = {"stream": ingest.stream, "micro-batches": _num(len(ingest.batches)), "records": _num(ingest.records),
             "malformed records (to raw/_errors)": _num(ingest.errors), "seconds in batches": _num(ingest.seconds, 1)}
    if ingest.raw_path:
        facts["raw zone"] = ingest.raw_path
    if ingest.bronze_table:
        facts["bronze table"] = ingest.bronze_table
    rows = [[b.batch_id, _when(b.started_at) if b.started_at else "-", _num(b.records), _num(b.errors),
             _num(b.seconds, 2), _num(b.freshness_p50_s, 2), _num(b.freshness_p95_s, 2), _num(b.freshness_max_s, 2),
             "-" if b.bronze_version is None else b.bronze_version] for b in ingest.batches]
    return "\n".join([
        _facts(facts),
        _figures([_try(charts.ingest_throughput, ingest), _try(charts.ingest_freshness, ingest)]),
        _details("Micro-batches", _table(
            ["batch", "started", "records", "errors", "seconds", "fresh p50 s", "fresh p95 s", "fresh max s",
             "bronze version"], rows)),
    ])


def _quality(data: ReportData) -> str | None:
    quality = data.quality
    if quality is None:
        return None
    rows = [[_e(r.table), _e(r.rule), r.kind, r.action, _num(r.evaluated), _num(r.failed), _badge(r.status)]
            for r in quality.rows]
    facts = {"rules": str(len(quality.rows)),
             **{s: str(quality.count(s)) for s in ("passed", "warned", "dropped", "failed")}}
    if quality.run_id:
        facts["quality run"] = quality.run_id
    return "\n".join([
        _facts(facts),
        _figures([_try(charts.quality_rules, quality)]),
        _table(["table", "rule", "kind", "action", "evaluated", "failed", "status"], rows, raw=True),
    ])


def _model(data: ReportData) -> str | None:
    model = data.model
    if model is None:
        return None
    facts = {"model version": model.ref, "task": model.task}
    for key, value in (("algorithm", model.algorithm), ("training run", model.run_id),
                       ("decision threshold", _num(model.threshold, 3) if model.threshold is not None else None)):
        if value:
            facts[key] = value
    out = [_facts(facts)]
    if model.metrics:
        splits = list(model.metrics)
        names = list(dict.fromkeys(name for split in splits for name in model.metrics[split]))
        rows = [[_e(n), *(_num(model.metrics[s].get(n), 4) for s in splits)] for n in names]
        out.append(_table(["metric", *splits], rows, raw=True))
    out.append(_figures([_try(charts.roc, model), _try(charts.pr, model), _try(charts.confusion, model),
                         _try(charts.feature_importance, model)]))
    if model.notes:
        out.append("<ul class=\"notes\">" + "".join(f"<li>{_e(n)}</li>" for n in model.notes) + "</ul>")
    return "\n".join(out)


def _tuning(data: ReportData) -> str | None:
    tuning = data.model.tuning if data.model else None
    if tuning is None:
        return None
    best = tuning.best
    facts = {"metric": f"{tuning.metric} ({'higher' if tuning.greater_is_better else 'lower'} is better)",
             "trials": str(len(tuning.trials)),
             "failed trials": str(sum(1 for t in tuning.trials if t.metric is None))}
    if tuning.strategy or tuning.method:
        facts["search"] = " / ".join(x for x in (tuning.strategy, tuning.method) if x)
    if best is not None:
        facts["best trial"] = f"#{best.index}: {tuning.metric} {_num(best.metric, 4)}"
        facts["best parameters"] = _params(best.params)
    rows = [[("★ " if best is not None and t.index == best.index else "") + str(t.index), _e(_params(t.params)),
             _num(t.metric, 4), _num(t.metric_std, 4), _num(t.seconds, 1), _e(t.status)] for t in tuning.trials]
    return "\n".join([
        _facts(facts),
        _figures([_try(charts.tuning_trials, tuning)]),
        _details("Trials", _table(["trial", "parameters", tuning.metric, "std", "seconds", "status"], rows, raw=True)),
    ])


def _predictions(data: ReportData) -> str | None:
    pred = data.predictions
    if pred is None:
        return None
    facts = {"output table": pred.table if pred.version is None else f"{pred.table}@v{pred.version}",
             "rows scored": _num(pred.rows)}
    if pred.model:
        facts["model version"] = pred.model
    if pred.seconds is not None:
        facts["seconds"] = _num(pred.seconds, 1)
    out = [_facts(facts)]
    if pred.prediction_counts:
        total = sum(pred.prediction_counts.values()) or 1
        rows = [[k, _num(v), f"{100 * v / total:.1f}%"] for k, v in pred.prediction_counts.items()]
        out.append(_table(["prediction", "rows", "share"], rows))
    return "\n".join(out)


def _endpoint(data: ReportData) -> str | None:
    ep = data.endpoint
    if ep is None:
        return None
    facts = {"endpoint": f"{ep.endpoint} at {ep.url}" if ep.endpoint else ep.url, "requests sent": _num(ep.requests),
             "errors": _num(ep.errors), "latency p50": f"{_num(ep.p50_ms, 1)} ms",
             "latency p99": f"{_num(ep.p99_ms, 1)} ms"}
    if ep.model:
        facts["model version"] = ep.model
    if ep.compared:
        facts["answers equal to the batch predictions"] = f"{_num(ep.agreed)} of {_num(ep.compared)}"
    out = [_facts(facts)]
    for i, sample in enumerate(ep.samples, 1):
        latency = f", {sample.latency_ms:.1f} ms" if sample.latency_ms is not None else ""
        out.append(
            f'<div class="sample"><h3>Sample {i} (HTTP {sample.status}{latency})</h3>'
            f"<div class=\"pair\"><div><h4>request</h4><pre>{_e(_clip(sample.request))}</pre></div>"
            f"<div><h4>response</h4><pre>{_e(_clip(sample.response))}</pre></div></div></div>"
        )
    return "\n".join(out)


def _drift(data: ReportData) -> str | None:
    drift = data.drift
    if drift is None:
        return None
    facts = {"features": str(len(drift.features)), "drifted": ", ".join(drift.drifted) or "none",
             "PSI threshold": f"{drift.psi_threshold:g}"}
    for key, value in (("model version", drift.model), ("baseline rows", _num(drift.baseline_rows)),
                       ("current rows", _num(drift.current_rows))):
        if value and value != "-":
            facts[key] = value
    rows = [[_e(f.feature), _num(f.psi, 4), _num(f.ks_statistic, 4), _pvalue(f.ks_pvalue),
             _e(f.violation or "none"), _badge("failed" if f.drifted else "passed", "drifted" if f.drifted else "ok")]
            for f in drift.features]
    return "\n".join([
        _facts(facts),
        _figures([_try(charts.drift_psi, drift)]),
        _table(["feature", "PSI", "KS statistic", "KS p-value", "violation", "drift"], rows, raw=True),
    ])


def _lineage(data: ReportData) -> str | None:
    if data.lineage is None or not data.lineage.nodes:
        return None
    groups: list[list[LineageNode]] = []
    for node in data.lineage.nodes:
        if groups and groups[-1][0].kind == node.kind:
            groups[-1].append(node)
        else:
            groups.append([node])
    steps = []
    for group in groups:
        boxes = "".join(_lineage_box(n) for n in group)
        steps.append(f'<li class="hop kind-{LINEAGE_KINDS.index(group[0].kind)}">'
                     f'<span class="kind">{_e(group[0].kind)}</span>{boxes}</li>')
    alt = " → ".join(", ".join(n.label for n in g) for g in groups)
    return f'<ol class="lineage" aria-label="{_e(alt)}">{"".join(steps)}</ol>'


def _lineage_box(node: LineageNode) -> str:
    parts = [f'<span class="name">{_e(node.label)}</span>']
    if node.detail:
        parts.append(f'<span class="detail">{_e(node.detail)}</span>')
    if node.uri:
        parts.append(f'<span class="uri">{_e(node.uri)}</span>')
    if node.sql:
        parts.append(f"<details><summary>SQL</summary><pre>{_e(node.sql)}</pre></details>")
    return f'<div class="node">{"".join(parts)}</div>'


def _not_run(data: ReportData, stages: Sequence[str]) -> str:
    for name in stages:
        stage = data.stage(name)
        if stage is not None and str(stage.status) == "failed":
            why = f": {stage.error}" if stage.error else ""
            return f'<p class="not-run">not run: stage <code>{_e(name)}</code> failed{_e(why)}</p>'
        if stage is not None and str(stage.status) == "skipped":
            return f'<p class="not-run">not run: stage <code>{_e(name)}</code> was skipped</p>'
    return '<p class="not-run">not run</p>'


# --- pieces -------------------------------------------------------------------------------


def _try(draw: Callable[[T], Chart], value: T) -> Chart | str:
    try:
        return draw(value)
    except ChartInputError as exc:
        return str(exc)


def _figures(items: Iterable[Chart | str]) -> str:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(f'<p class="note">{_e(item)}</p>')
            continue
        width, height = item.size
        data = base64.b64encode(item.png).decode("ascii")
        out.append(
            f'<figure id="chart-{item.name}"><img src="data:image/png;base64,{data}" alt="{_e(item.alt)}" '
            f'width="{width}" height="{height}"></figure>'
        )
    return f'<div class="figures">{"".join(out)}</div>'


def _facts(facts: Mapping[str, str]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(str(v))}</dd>" for k, v in facts.items())
    return f'<dl class="facts">{items}</dl>'


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (then the caller escaped them)."""
    shown = rows[:_MAX_TABLE_ROWS]
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else _e(str(c))}</td>" for c in row) + "</tr>" for row in shown
    )
    more = f'<p class="note">{len(rows) - len(shown)} more rows not shown</p>' if len(rows) > len(shown) else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _details(summary: str, content: str) -> str:
    return f"<details><summary>{_e(summary)}</summary>{content}</details>"


def _badge(status: str, text: str | None = None) -> str:
    colour = STATUS_COLOURS.get(status, "#757575")
    return f'<span class="badge" style="background:{colour}">{_e(text or status)}</span>'


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{digits}f}" if digits else f"{value:,.0f}"


def _pvalue(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2e}" if 0 < value < 1e-3 else f"{value:.4f}"


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in sorted(params.items())) or "(defaults)"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SAMPLE_CHARS else text[:_MAX_SAMPLE_CHARS] + f"… ({len(text):,} chars)"


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
h4 { font-size: 13px; margin: 0 0 4px; color: var(--muted); }
nav { margin: 8px 0 16px; color: var(--muted); }
nav a { color: #0969da; text-decoration: none; }
.generated { color: var(--muted); font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
              overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td { font-variant-numeric: tabular-nums; }
.badge { color: white; border-radius: 10px; padding: 0 8px; font-size: 12px; white-space: nowrap; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; margin: 8px 0; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: white; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.not-run { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 13px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; font-size: 12px;
      overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #0969da; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
ol.lineage { list-style: none; display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 0; padding: 0; }
ol.lineage li.hop { display: flex; flex-direction: column; gap: 6px; border: 1px solid var(--line);
                    border-radius: 8px; padding: 8px 10px; background: var(--bg); max-width: 320px; }
ol.lineage li.hop + li.hop { margin-left: 34px; position: relative; }
ol.lineage li.hop + li.hop::before { content: "\\2192"; position: absolute; left: -28px; top: 40%;
                                     font-size: 20px; color: var(--muted); }
ol.lineage .kind { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
ol.lineage .node { background: white; border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
ol.lineage .name { display: block; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
                   overflow-wrap: anywhere; }
ol.lineage .detail, ol.lineage .uri { display: block; font-size: 11px; color: var(--muted);
                                      overflow-wrap: anywhere; }
ol.lineage .kind-0, ol.lineage .kind-1 { border-color: #8c959f; }
ol.lineage .kind-2 { border-color: #bc8a5f; }
ol.lineage .kind-3 { border-color: #8c959f; background: #f3f4f6; }
ol.lineage .kind-4 { border-color: #d4a72c; background: #fff8c5; }
ol.lineage .kind-7 { border-color: #0969da; background: #ddf4ff; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header><h1>{heading}</h1><div class="generated">generated {generated}</div>
<nav>{nav}</nav></header>
<main>
{sections}
</main>
</body>
</html>
"""
