"""``lake quality show|docs TABLE``: the quality runs of a table (rules, counts, Data Docs)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from infra.cli.context import console, get_ctx, print_json

__all__ = ["register"]

quality_app = typer.Typer(help="Data quality results: rules, counts, quarantine, Data Docs.", no_args_is_help=True)


@quality_app.command("show")
def show(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="The table (db.name).")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many of the latest runs.")] = 3,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The latest quality status of TABLE and its last runs, rule by rule."""
    from catalog.etl import quality_show

    report = quality_show(get_ctx(ctx).profile, table, limit=limit)
    if json_out:
        print_json(report)
        return
    console.print(f"{report['table']}: {report['status']}" + (f" (docs: {report['docs_uri']})"
                                                              if report.get("docs_uri") else ""),
                  highlight=False, markup=False)
    for run in report["runs"]:
        grid = RichTable("rule", "kind", "action", "evaluated", "failed", "status",
                         title=f"run {run['run_id']} at {run['recorded_at']}: {run['status']}")
        for rule in run["rules"]:
            grid.add_row(str(rule["rule"]), str(rule["kind"]), str(rule["action"]),
                         _count(rule.get("evaluated")), _count(rule.get("failed")), str(rule["status"]))
        console.print(grid)


@quality_app.command("docs")
def docs(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="The table (db.name).")],
) -> None:
    """Print where the Data Docs of TABLE's latest run are (in the lake)."""
    from catalog.etl import quality_docs
    from catalog.etl.errors import EtlCatalogError

    uri = quality_docs(get_ctx(ctx).profile, table)
    if uri is None:
        raise EtlCatalogError(f"no Data Docs were built for {table} yet (run `lake etl run {table}`)")
    console.print(uri, highlight=False, markup=False)


def _count(value: object) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")
