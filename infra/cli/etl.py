"""``lake etl run NAME|--all``: run declared ETL tables (``CREATE OR REFRESH TABLE``) once.

Each table runs incrementally from its bookmarks, recomputes, or is a no-op, with its quality
gates; ``--all`` runs every declared table in dependency order. A table stopped by a quality
gate makes the command exit 1 after every table has run.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from infra.cli.context import CATALOG_OPTION, console, get_ctx, print_json, with_catalog
from infra.errors import OptionsConflictError

__all__ = ["register", "run_line"]

etl_app = typer.Typer(help="ETL tables: incremental, quality-gated Delta tables declared in SQL.",
                      no_args_is_help=True)


def run_line(result: dict[str, Any]) -> str:
    """One line per table run."""
    if result["status"] in ("skipped", "dropped"):
        return f"{result['table']}: {result['status']} ({result['reason']})"
    if result["status"] == "failed":
        return f"{result['table']}: FAILED: {result['error']}"
    return (f"{result['table']}: {result['mode']} ({result['reason']}): read {result['rows_read']:,}, "
            f"wrote {result['rows_written']:,}, quarantined {result['rows_quarantined']:,}, "
            f"duplicates {result['duplicates']:,}; {result['seconds']:.1f}s")


@etl_app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The ETL table (db.name).")] = None,
    all_tables: Annotated[bool, typer.Option("--all", help="Every declared table, in dependency order.")] = False,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild from current snapshots.")] = False,
    no_docs: Annotated[bool, typer.Option("--no-docs", help="Skip building Data Docs.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Run one declared ETL table, or all of them."""
    from catalog.etl import run_all, run_etl_table
    from catalog.etl.errors import EtlCatalogError

    if bool(name) == all_tables:
        raise OptionsConflictError("NAME and --all", "give one ETL table name or --all")
    cli = get_ctx(ctx)

    def action(catalog: Any) -> list[dict[str, Any]]:
        spark = cli.spark("lakeforge-etl")
        if all_tables:
            return run_all(spark, catalog, cli.profile, full_refresh=full_refresh, publish_docs=not no_docs)
        assert name is not None
        return [run_etl_table(spark, catalog, cli.profile, name, full_refresh=full_refresh,
                              publish_docs=not no_docs)]

    results = with_catalog(ctx, store, action)
    if json_out:
        print_json(results if all_tables else results[0])
    else:
        for result in results:
            console.print(run_line(result), highlight=False, markup=False)
    stopped = [r for r in results if r["status"] in ("failed", "skipped")]
    if stopped:
        first = stopped[0]
        raise EtlCatalogError(f"{len(stopped)} of {len(results)} ETL tables did not run: "
                              f"{first['table']}: {first.get('error') or first.get('reason')}")


def register(app: typer.Typer) -> None:
    app.add_typer(etl_app, name="etl")
