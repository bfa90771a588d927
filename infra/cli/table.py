"""``lake table …``: import, show, history, optimize and vacuum Delta tables."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table as RichTable

from infra.cli.context import CliContext, console, get_ctx, print_json
from infra.cli.importing import ImportMode, SchemaModeChoice, import_progress, import_target
from lake.delta import DeltaTableStore, check_new_location, check_table, table_history, vacuum_table
from lake.importing import BadRows, SourceFormat

__all__ = ["register", "resolve_table"]

table_app = typer.Typer(help="Delta tables: import, show, history, optimize, vacuum.", no_args_is_help=True)


def resolve_table(cli: CliContext, name: str) -> str:
    """A table URI from a URI, a path under the lake, or a catalog ``db.table`` name."""
    from catalog.names import looks_like_table_name, table_location

    if looks_like_table_name(name) and not name.startswith("."):
        store = cli.catalog()
        return cli.profile.resolve(table_location(store, name))
    return cli.profile.resolve(name)


def _store(cli: CliContext) -> DeltaTableStore:
    """The table store (starts Spark: check the table first, so bad input is said at once)."""
    return DeltaTableStore(cli.spark("lakeforge-table"), cli.profile)


@table_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Source file or folder (a path, or a URI in the lake's storage).")],
    table: Annotated[str, typer.Argument(help="Table URI, path under the lake, or db.table (created and registered).")],
    fmt: Annotated[SourceFormat | None, typer.Option("--format", help="Default: from the file extension.")] = None,
    mode: Annotated[ImportMode, typer.Option("--mode")] = ImportMode.APPEND,
    partition_by: Annotated[str | None, typer.Option("--partition-by", help="Comma-separated columns.")] = None,
    schema_mode: Annotated[SchemaModeChoice | None, typer.Option(
        "--schema-mode", help="merge: add new columns; overwrite: replace the schema (with --mode overwrite).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of CSV files.")] = "utf-8",
    delimiter: Annotated[str, typer.Option("--delimiter")] = ",",
    quote: Annotated[str, typer.Option("--quote")] = '"',
    escape: Annotated[str | None, typer.Option("--escape", help="Escape character (default: quotes double).")] = None,
    header: Annotated[bool, typer.Option("--header/--no-header")] = True,
    null_value: Annotated[list[str] | None, typer.Option(
        "--null-value", help="A CSV value read as NULL (repeatable; default: the empty string).")] = None,
    schema: Annotated[str | None, typer.Option(
        "--schema", help="Explicit CSV schema, e.g. 'id BIGINT, name STRING, amount DECIMAL(10,2)'.")] = None,
    bad_rows: Annotated[BadRows, typer.Option(
        "--bad-rows", help="CSV rows with the wrong field count: error, or quarantine to a file in the lake.")
    ] = BadRows.ERROR,
    allow_non_empty: Annotated[bool, typer.Option(
        "--allow-non-empty", help="Create the table in a folder that already holds other files "
        "(they are never adopted, vacuumed or purged).")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a CSV/JSON/Parquet file (or a folder of them) into a Delta table in one commit.

    The source is fully read and checked before anything is written: invalid bytes in the
    encoding, ragged rows and unparseable values are errors naming the file and line.
    """
    from lake.importing import CsvOptions, import_file

    cli = get_ctx(ctx)
    csv = CsvOptions(encoding=encoding, delimiter=delimiter, quote=quote, escape=escape, header=header,
                     null_values=tuple(null_value) if null_value else ("",), schema=schema, bad_rows=bad_rows)
    target = import_target(cli, table)
    if not allow_non_empty:  # before reading a large source: the store checks again when it creates
        check_new_location(cli.profile, target.uri)
    with import_progress(enabled=not json_out) as progress:
        result = import_file(
            file, target.uri, profile=cli.profile, fmt=fmt, csv=csv, mode=mode.value,
            store=lambda: DeltaTableStore(cli.spark("lakeforge-table"), cli.profile),
            partition_by=[c.strip() for c in partition_by.split(",")] if partition_by else None,
            schema_mode=schema_mode.value if schema_mode else None, progress=progress,
            write_options={"allow_non_empty": True} if allow_non_empty else None,
        )
    registered = target.register(cli) if result.version is not None else None
    if json_out:
        print_json({**result.to_json(), "registered": registered})
        return
    console.print(
        f"imported {result.rows:,} rows ({result.bytes:,} bytes) into {registered or result.table} "
        f"(version {result.version}, {result.files_added} files) in {result.seconds:.1f}s", highlight=False,
    )
    if result.bad_rows:
        console.print(f"{result.bad_rows:,} ragged rows were set aside in {result.quarantine}", highlight=False)


@table_app.command("show")
def show(
    ctx: typer.Context,
    table: str = typer.Argument(...),
    version: int = typer.Option(None, "--version"),
    limit: int = typer.Option(20, "--limit"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show a table's schema and first rows (optionally at a version)."""
    cli = get_ctx(ctx)
    uri = resolve_table(cli, table)
    check_table(cli.profile, uri, version=version)  # a missing table or version is said before Spark starts
    store = _store(cli)
    df = store.read(uri, version=version)
    rows = [r.asDict() for r in df.limit(limit).collect()]
    snap = store.snapshot(uri, version=version)
    if json_out:
        print_json({"table": uri, "version": snap.version(),
                    "schema": [{"name": f.name, "type": f.dataType.simpleString()} for f in df.schema],
                    "rows": rows})
        return
    _print_rows(f"{uri} @ v{snap.version()}", [(f.name, f.dataType.simpleString()) for f in df.schema],
                [["" if v is None else str(v) for v in r.values()] for r in rows])


def _print_rows(title: str, columns: list[tuple[str, str | None]], rows: list[list[str]]) -> None:
    """A grid on a terminal; tab-separated values with a header line when piped or redirected."""
    if not console.is_terminal:
        for line in ([name for name, _ in columns], *rows):
            sys.stdout.write("\t".join(_tsv(v) for v in line) + "\n")
        sys.stdout.flush()
        return
    grid = RichTable(title=title)
    for name, kind in columns:
        grid.add_column(f"{name}\n[dim]{kind}[/dim]" if kind else name)
    for row in rows:
        grid.add_row(*row)
    console.print(grid)


def _tsv(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@table_app.command("history")
def history(
    ctx: typer.Context, table: str = typer.Argument(...), json_out: bool = typer.Option(False, "--json")
) -> None:
    """Commit history, newest first (read from the Delta log; no Spark)."""
    cli = get_ctx(ctx)
    uri = resolve_table(cli, table)
    entries = table_history(cli.profile, uri)
    if json_out:
        print_json(entries)
        return
    rows = []
    for e in entries:
        when = datetime.fromtimestamp(e.get("timestamp", 0) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        op = e.get("operation", "") if str(e.get("operation", "")).startswith("VACUUM") else (
            e.get("lakeforge.operation") or e.get("operation", ""))
        rows.append([str(e.get("version")), when, str(op), json.dumps(e.get("operationParameters", {}))])
    _print_rows(f"{uri} history", [("version", None), ("time (UTC)", None), ("operation", None),
                                   ("parameters", None)], rows)


@table_app.command("optimize")
def optimize(
    ctx: typer.Context, table: str = typer.Argument(...),
    target_size_mb: int = typer.Option(128, "--target-size-mb"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Bin-pack small files into files of about the target size (one commit)."""
    cli = get_ctx(ctx)
    uri = resolve_table(cli, table)
    check_table(cli.profile, uri)
    res = _store(cli).optimize(uri, target_size_mb=target_size_mb)
    print_json(res.__dict__) if json_out else console.print(
        f"optimized {res.table}: {res.files_removed} files → {res.files_added} (version {res.version})"
    )


@table_app.command("vacuum")
def vacuum(
    ctx: typer.Context, table: str = typer.Argument(...),
    retain_hours: float = typer.Option(
        168, "--retain-hours", min=0, help="Keep files removed less than this long ago (hours, >= 0)."),
    dry_run: bool = typer.Option(False, "--dry-run"),
    force: bool = typer.Option(False, "--force", help="Allow a retention below delta.vacuum_min_retention_hours "
                               "(older versions can then no longer be read)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Delete files the table removed more than the retention ago, and orphans of its killed writers.

    Never deletes a file the table's log never referenced unless the table's own writer wrote
    it after the table was created (``--dry-run`` lists what would go).
    """
    cli = get_ctx(ctx)
    minimum = cli.settings.vacuum_min_retention_hours
    res = vacuum_table(cli.profile, resolve_table(cli, table), retain_hours=retain_hours, dry_run=dry_run,
                       force=force, min_retention_hours=minimum)
    if json_out:
        print_json(res.__dict__)
        return
    verb = "would delete" if dry_run else "deleted"
    orphans = f" ({len(res.orphans)} never committed by a killed writer)" if res.orphans else ""
    console.print(f"{verb} {len(res.files)} files from {res.table}{orphans}", highlight=False)
    for f in res.files:
        console.print(f"  {f}", highlight=False)
    if dry_run and retain_hours < minimum and not force:
        console.print(f"a real run needs --force: {retain_hours:g} h is below the minimum of {minimum:g} h",
                      highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(table_app, name="table")
