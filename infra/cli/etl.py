"""``lake etl run NAME|--all|list|drop NAME``: the declared ETL tables (``CREATE OR REFRESH TABLE``).

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


@etl_app.command("list")
def list_tables(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    store: str | None = CATALOG_OPTION,
) -> None:
    """The declared ETL tables: key, constraints, table-rule files, when declared."""
    from rich.table import Table

    from catalog.etl import list_definitions

    definitions = with_catalog(ctx, store, list_definitions)
    if json_out:
        print_json([d.to_json() for d in definitions])
        return
    grid = Table("table", "key", "constraints", "table rules", "declared")
    for d in definitions:
        rules = ", ".join(r.source.rsplit("/", 1)[-1] for r in d.table_rules) or "-"
        grid.add_row(d.name, ", ".join(d.key) or "-", str(len(d.constraints)), rules, d.updated_at or d.declared_at)
    console.print(grid if definitions else "no ETL tables declared")


@etl_app.command("drop")
def drop(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The ETL table (db.name).")],
    store: str | None = CATALOG_OPTION,
) -> None:
    """Delete an ETL table's definition (its Delta table and catalog entry stay: DROP TABLE removes those)."""
    from catalog.etl import delete_definition, get_definition

    def action(catalog: Any) -> str:
        definition = get_definition(catalog, name)  # a name that is not declared → one line with suggestions
        delete_definition(catalog, definition.name)
        return definition.name

    dropped = with_catalog(ctx, store, action)
    console.print(f"dropped the ETL definition of {dropped}; its table and data are kept", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(etl_app, name="etl")
