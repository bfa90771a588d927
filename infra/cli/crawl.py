"""``lake crawl`` and ``lake crawler …``: Glue-style crawlers over the lake.

``lake crawl PATH… --database DB`` runs an ad-hoc crawl (its definition is created, or
reused when unchanged, under ``--name`` or a name derived from the database and paths);
``--dry-run --explain`` prints every decision and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table as RichTable

from infra.cli.context import CATALOG_OPTION, console, get_ctx, print_json, with_catalog

if TYPE_CHECKING:
    from catalog.crawler import CrawlerDefinition, CrawlResult
    from catalog.stores.base import CatalogStore

__all__ = ["register"]

crawler_app = typer.Typer(
    name="crawler",
    help="Manage stored crawlers (create, list, show, run, delete, history).",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_DRY = typer.Option(False, "--dry-run", help="Plan only: write nothing to the catalog.")
_EXPLAIN = typer.Option(False, "--explain", help="Print every decision the crawler makes.")
_EXCLUDE = typer.Option([], "--exclude", "-x", help="Exclusion glob (* ** ? [..] {a,b}); repeatable.")
_PREFIX = typer.Option("", "--table-prefix", help="Prefix for the names of created tables.")
_SAMPLE = typer.Option(None, "--sample-size", help="Objects sampled per folder (1-249).")
_COMBINE = typer.Option(
    False,
    "--combine-compatible-schemas",
    help="Group compatible sibling folders into one table regardless of similarity.",
)
_LEVEL = typer.Option(None, "--table-level", help="Absolute folder level of tables (bucket or first dir = 1).")
_UPDATE = typer.Option("UPDATE_IN_DATABASE", "--update-behavior", help="UPDATE_IN_DATABASE or LOG.")
_DELETE = typer.Option(
    "DEPRECATE_IN_DATABASE",
    "--delete-behavior",
    help="DEPRECATE_IN_DATABASE, DELETE_FROM_DATABASE or LOG.",
)
_RECRAWL = typer.Option(
    "CRAWL_EVERYTHING",
    "--recrawl-behavior",
    help="CRAWL_EVERYTHING or CRAWL_NEW_FOLDERS_ONLY (needs LOG behaviours).",
)
_THRESHOLD = typer.Option(None, "--table-threshold", help="Fail (writing nothing) if more tables are found.")


def _options(
    exclude: list[str],
    table_prefix: str,
    sample_size: int | None,
    combine: bool,
    table_level: int | None,
    update: str,
    delete: str,
    recrawl: str,
    threshold: int | None,
) -> dict[str, Any]:
    return {
        "exclusions": exclude,
        "table_prefix": table_prefix,
        "sample_size": sample_size,
        "combine_compatible_schemas": combine,
        "table_level": table_level,
        "update_behavior": update,
        "delete_behavior": delete,
        "recrawl_behavior": recrawl,
        "table_threshold": threshold,
    }


def _report(result: CrawlResult, as_json: bool, explain: bool) -> None:
    if as_json:
        data = result.summary()
        if explain:
            data["explain"] = result.explain.to_json()
        print_json(data)
        return
    if explain:
        console.print(result.explain.render(), highlight=False, markup=False)
        console.print()
    m = result.metrics
    what = "would be" if result.dry_run else "were"
    console.print(
        f"crawler [bold]{result.crawler}[/bold] ({'dry run' if result.dry_run else 'run'} "
        f"{result.run_id}): {m.objects_listed} objects listed, {m.objects_sampled} sampled, "
        f"{len(result.tables)} table(s) found in {m.duration_seconds:.2f}s",
        highlight=False,
    )
    if result.dry_run:
        for action in result.plan.actions:
            console.print(f"  {what}: {action.describe()}", highlight=False, markup=False)
    else:
        console.print(
            f"  tables created {m.tables_created}, updated {m.tables_updated}, deprecated "
            f"{m.tables_deprecated}, deleted {m.tables_deleted}; partitions added "
            f"{m.partitions_added}, updated {m.partitions_updated}, deleted {m.partitions_deleted}",
            highlight=False,
        )
    for uri in result.unknown:
        console.print(f"  [yellow]UNKNOWN[/yellow] content (not cataloged): {uri}", highlight=False)


def _crawler(ctx: typer.Context, catalog: CatalogStore) -> Any:
    from catalog.crawler import Crawler

    return Crawler(catalog, get_ctx(ctx).profile)


def crawl(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Include paths (relative to the lake or URIs)."),
    database: str = typer.Option(..., "--database", "-d", help="Catalog database to fill."),
    name: str | None = typer.Option(None, "--name", help="Crawler name (created or reused)."),
    dry_run: bool = _DRY,
    explain: bool = _EXPLAIN,
    exclude: list[str] = _EXCLUDE,
    table_prefix: str = _PREFIX,
    sample_size: int | None = _SAMPLE,
    combine: bool = _COMBINE,
    table_level: int | None = _LEVEL,
    update: str = _UPDATE,
    delete: str = _DELETE,
    recrawl: str = _RECRAWL,
    threshold: int | None = _THRESHOLD,
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Crawl PATHs into DATABASE (an ad-hoc crawler definition is created or reused)."""
    from catalog.crawler import CrawlerRepository, adhoc_definition

    options = _options(exclude, table_prefix, sample_size, combine, table_level, update, delete, recrawl, threshold)

    def action(catalog: CatalogStore) -> None:
        definition = adhoc_definition(catalog, paths, database, name, **options)
        if not dry_run:
            definition = CrawlerRepository(catalog).put(definition)
        result = _crawler(ctx, catalog).run(definition, dry_run=dry_run, explain=explain)
        _report(result, as_json, explain)

    with_catalog(ctx, store, action)


@crawler_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Crawler name."),
    database: str = typer.Option(..., "--database", "-d", help="Catalog database to fill."),
    path: list[str] = typer.Option(..., "--path", "-p", help="Include path; repeatable."),
    exclude: list[str] = _EXCLUDE,
    table_prefix: str = _PREFIX,
    sample_size: int | None = _SAMPLE,
    combine: bool = _COMBINE,
    table_level: int | None = _LEVEL,
    update: str = _UPDATE,
    delete: str = _DELETE,
    recrawl: str = _RECRAWL,
    threshold: int | None = _THRESHOLD,
    schedule: str | None = typer.Option(None, "--schedule", help="Cron text, e.g. 'cron(0 3 * * ? *)' or '0 3 * * *'."),
    description: str = typer.Option("", "--description", help="Free text."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an existing crawler."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Create (or with --replace, overwrite) a stored crawler definition."""
    from catalog.crawler import CrawlerDefinition, CrawlerRepository
    from catalog.errors import AlreadyExistsError

    options = _options(exclude, table_prefix, sample_size, combine, table_level, update, delete, recrawl, threshold)

    def action(catalog: CatalogStore) -> None:
        repo = CrawlerRepository(catalog)
        if repo.exists(name) and not replace:
            raise AlreadyExistsError("crawler", name)
        definition = CrawlerDefinition.create(
            name, database, path, schedule=schedule, description=description, **options
        )
        stored = repo.put(definition)
        if as_json:
            print_json(stored.to_glue())
        else:
            console.print(f"crawler [bold]{stored.name}[/bold] stored", highlight=False)

    with_catalog(ctx, store, action)


def _row(d: CrawlerDefinition) -> list[str]:
    return [
        d.name,
        d.database,
        ", ".join(t.path for t in d.targets),
        d.recrawl_behavior.value,
        d.schedule or "",
    ]


@crawler_app.command("list")
def list_crawlers(ctx: typer.Context, as_json: bool = _JSON, store: str | None = CATALOG_OPTION) -> None:
    """List stored crawlers."""
    from catalog.crawler import CrawlerRepository

    def action(catalog: CatalogStore) -> None:
        definitions = CrawlerRepository(catalog).list()
        if as_json:
            print_json([d.to_glue() for d in definitions])
            return
        out = RichTable("crawler", "database", "paths", "recrawl", "schedule")
        for d in definitions:
            out.add_row(*_row(d))
        console.print(out)

    with_catalog(ctx, store, action)


@crawler_app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Crawler name."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Show one crawler definition (Glue CreateCrawler shape)."""
    from catalog.crawler import CrawlerRepository

    def action(catalog: CatalogStore) -> None:
        d = CrawlerRepository(catalog).get(name)
        if as_json:
            print_json(d.to_glue())
            return
        rows = [
            ("name", d.name),
            ("database", d.database),
            *[
                (
                    f"path {i + 1}",
                    t.path + (f"  (exclude {', '.join(t.exclusions)})" if t.exclusions else ""),
                )
                for i, t in enumerate(d.targets)
            ],
            ("table prefix", d.table_prefix or "-"),
            ("sample size", str(d.sample_size)),
            (
                "grouping",
                "CombineCompatibleSchemas" if d.grouping.combine_compatible_schemas else "similarity",
            ),
            ("table level", str(d.grouping.table_level or "-")),
            ("update behavior", d.update_behavior.value),
            ("delete behavior", d.delete_behavior.value),
            ("recrawl behavior", d.recrawl_behavior.value),
            ("table threshold", str(d.table_threshold or "-")),
            ("schedule", d.schedule or "-"),
            ("created", d.created_at or ""),
            ("updated", d.updated_at or ""),
        ]
        out = RichTable("setting", "value")
        for key, value in rows:
            out.add_row(key, value)
        console.print(out)

    with_catalog(ctx, store, action)


@crawler_app.command("run")
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Crawler name."),
    dry_run: bool = _DRY,
    explain: bool = _EXPLAIN,
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Run a stored crawler."""

    def action(catalog: CatalogStore) -> None:
        result = _crawler(ctx, catalog).run_named(name, dry_run=dry_run, explain=explain)
        _report(result, as_json, explain)

    with_catalog(ctx, store, action)


@crawler_app.command("delete")
def delete_crawler(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Crawler name."),
    store: str | None = CATALOG_OPTION,
) -> None:
    """Delete a crawler definition (its tables and history stay)."""
    from catalog.crawler import CrawlerRepository

    def action(catalog: CatalogStore) -> None:
        CrawlerRepository(catalog).delete(name)
        console.print(f"crawler [bold]{name}[/bold] deleted", highlight=False)

    with_catalog(ctx, store, action)


@crawler_app.command("history")
def history(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Crawler name."),
    limit: int = typer.Option(20, "--limit", help="Newest runs to show."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Runs of a crawler with their metrics, newest first."""
    from catalog.crawler import CrawlHistory

    def action(catalog: CatalogStore) -> None:
        runs = CrawlHistory(catalog).list(name, limit=limit)
        if as_json:
            print_json([r.to_dict() for r in runs])
            return
        out = RichTable(
            "run",
            "started",
            "status",
            "listed",
            "sampled",
            "created",
            "updated",
            "deprecated",
            "deleted",
            "partitions+",
            "seconds",
        )
        for r in runs:
            m = r.metrics
            out.add_row(
                r.run_id,
                r.started_at,
                r.status if not r.error else f"{r.status}: {r.error}",
                str(m.objects_listed),
                str(m.objects_sampled),
                str(m.tables_created),
                str(m.tables_updated),
                str(m.tables_deprecated),
                str(m.tables_deleted),
                str(m.partitions_added),
                f"{m.duration_seconds:.2f}",
            )
        console.print(out)

    with_catalog(ctx, store, action)


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)
    app.add_typer(crawler_app, name="crawler")
