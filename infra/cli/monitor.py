"""``lake monitor run``: a model version's training baseline against a table, a view or its endpoint's captured data.

    lake monitor run heart_risk@champion --input bronze.heart_visits --where "event_date >= '2026-12-01'"
    lake monitor run heart_risk@champion --input captured --ground-truth bronze.heart_truth --on inference_id
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from infra.cli.context import console, get_ctx, print_json

__all__ = ["monitor_app", "register"]

monitor_app = typer.Typer(help="SageMaker-Model-Monitor-style drift checks against a version's training baseline.",
                          no_args_is_help=True)


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


@monitor_app.command("run")
def run(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME (latest), NAME:VERSION or NAME@ALIAS.")],
    input_name: Annotated[str, typer.Option("--input", help="Catalog table or view (db.name), or 'captured' for "
                                                            "the endpoint's captured requests.")],
    where: Annotated[str | None, typer.Option("--where", help="Only rows matching this SQL expression.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Endpoint whose capture to read (default: "
                                                 "the model name, as lake serve names it).")] = None,
    ground_truth: Annotated[str | None, typer.Option("--ground-truth", help="Table with late labels (model "
                                                     "quality).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Id column(s) joining the ground truth, comma-separated "
                                           "(inference_id for captured data).")] = None,
    dialect: Annotated[str, typer.Option("--dialect", help="Dialect of --where: spark or athena.")] = "spark",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check MODEL's data (with ground truth: its quality) against its baseline; violations → ml.monitor_violations."""
    from catalog.inference.monitor import run_catalog_monitor
    from lake.ml.tracking import ModelRegistry, open_tracking

    cli = get_ctx(ctx)
    registry = ModelRegistry(open_tracking(cli.settings, cli.profile))
    registry.resolve(model)  # an unknown model is said before Spark starts
    keys = [c.strip() for c in on.split(",") if c.strip()] if on else None
    store = cli.catalog()
    outcome = run_catalog_monitor(cli.spark("lakeforge-monitor"), store, cli.profile, registry, model, input_name,
                                  where=where, endpoint=endpoint, ground_truth=ground_truth, on=keys,
                                  dialect=dialect)
    if as_json:
        print_json(outcome.to_dict())
        return
    result = outcome.result
    _say(f"{result.model}:{result.version} on {outcome.input}: {result.current_rows} rows vs "
         f"{result.baseline_rows} in the baseline — {len(result.violations)} violation(s)")
    if result.violations:
        table = Table("feature", "check", "description")
        for v in result.violations:
            table.add_row(v.feature_name, v.constraint_check_type, v.description)
        console.print(table)
    if result.model_quality is not None:
        _say(f"model quality: {result.model_quality.to_dict()}")
    _say(f"report: {outcome.report_uri}/report.html; violations in ml.monitor_violations (run {result.run_id})")


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
