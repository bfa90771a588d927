"""``lake report RUN_ID``: the lifecycle report of a pipeline run, one self-contained HTML file.

    lake report demo-20261201T120000Z-1a2b3c            # a run of `lake pipeline runs NAME`
    lake report RUN_ID --out report.html --json

Built from what the run left in the lake (see :mod:`infra.report.collect`): its step runs and
logs, the ingest metrics, quality results, the registered model version, the predictions
table, the endpoint probe and the monitor run. Written to ``--out`` (default
``<home>/reports/<run_id>/report.html``, with ``report.json`` beside it holding the same data)
and copied into the lake at ``<lake>/_reports/<run_id>/report.html``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from infra.cli.context import console, get_ctx, print_json

__all__ = ["register", "report"]


def report(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Pipeline run id (lake pipeline runs NAME).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Local file to write (default "
                                             "<home>/reports/<run_id>/report.html).", dir_okay=False)] = None,
    upload: Annotated[bool, typer.Option("--upload/--no-upload", help="Also copy it to "
                                         "<lake>/_reports/<run_id>/report.html.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write the lifecycle report of a pipeline run (HTML with plots) locally and into the lake."""
    from infra.pipelines.delta_history import DeltaRunHistory
    from infra.report import local_report_path, render_report, report_subpath, upload_report
    from infra.report.collect import collect_run_report
    from lake.ml.tracking import ModelRegistry, open_tracking

    cli = get_ctx(ctx)
    settings, profile = cli.settings, cli.profile
    report_subpath(run_id)  # a run id that cannot name a folder is refused before any work
    history = DeltaRunHistory(profile, settings=settings, register=False)
    data = collect_run_report(history, run_id, store=cli.catalog(), profile=profile,
                              registry=lambda: ModelRegistry(open_tracking(settings, profile)))
    path = render_report(data, out or local_report_path(settings.home, run_id))
    path.with_name(path.stem + ".json").write_text(json.dumps(data.to_dict(), indent=2, default=str),
                                                   encoding="utf-8")
    uri = upload_report(path, profile, report_subpath(run_id)) if upload else None
    sections = {
        "ingest": data.ingest is not None, "quality": data.quality is not None, "model": data.model is not None,
        "tuning": data.model is not None and data.model.tuning is not None,
        "predictions": data.predictions is not None, "endpoint": data.endpoint is not None,
        "drift": data.drift is not None, "lineage": data.lineage is not None,
    }
    problems = {k: v for k, v in data.context.items() if k.endswith(" section")}
    if as_json:
        print_json({"run_id": run_id, "path": str(path), "uri": uri, "sections": sections, "problems": problems})
        return
    shown = ", ".join(f"{name} {'✓' if present else '-'}" for name, present in sections.items())
    for line in (f"report: {path}", *([f"in the lake: {uri}"] if uri else []), f"sections: {shown}",
                 *(f"{k}: {v}" for k, v in problems.items())):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
