"""``lake table …``: import, show, history, optimize and vacuum Delta tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table as RichTable

from lake.cli.context import CliContext, console, fail, get_ctx, print_json
from lake.delta import DeltaTableStore
from lake.errors import LakeforgeError

__all__ = ["SourceReadError", "register", "resolve_table"]

table_app = typer.Typer(help="Delta tables: import, show, history, optimize, vacuum.", no_args_is_help=True)
_FORMATS = ("csv", "json", "parquet")


class SourceReadError(LakeforgeError):
    """An import source file is missing or cannot be parsed."""

    template = "cannot read {path}: {reason}"
    path: str
    reason: str


def resolve_table(cli: CliContext, name: str) -> str:
    """A table URI from a URI, a path under the lake, or a catalog ``db.table`` name."""
    from catalog.names import looks_like_table_name, table_location
    from catalog.stores import get_catalog

    if looks_like_table_name(name) and not name.startswith("."):
        store = get_catalog(cli.settings, cli.profile)
        return cli.profile.resolve(table_location(store, name))
    return cli.profile.resolve(name)


def _store(ctx: typer.Context) -> tuple[CliContext, DeltaTableStore]:
    cli = get_ctx(ctx)
    return cli, DeltaTableStore(cli.spark("lakeforge-table"), cli.profile)


def _read_source(cli: CliContext, path: str, fmt: str) -> Any:
    from pyspark.errors import PySparkException

    spark = cli.spark("lakeforge-table")
    local = Path(path)
    if "://" not in path:
        if not local.exists():
            raise SourceReadError(path, "no such file")
        uri = local.resolve().as_uri()
    else:
        uri = cli.profile.to_spark_uri(path)
    reader = spark.read.option("mode", "FAILFAST")
    try:
        if fmt == "csv":
            df = reader.option("header", True).option("inferSchema", True).csv(uri)
        elif fmt == "json":
            df = reader.json(uri)
        else:
            df = reader.parquet(uri)
        df = df.cache()
        df.count()  # surfaces parse errors now, before anything is written
    except PySparkException as exc:
        raise SourceReadError(path, str(exc).strip().splitlines()[0][:300]) from None
    except Exception as exc:  # py4j errors from corrupt files
        raise SourceReadError(path, str(exc).strip().splitlines()[0][:300]) from None
    if "_corrupt_record" in df.columns:
        raise SourceReadError(path, f"not valid {fmt}")
    return df


@table_app.command("import")
def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="Source file or directory."),
    table: str = typer.Argument(..., help="Table URI, path under the lake, or db.table."),
    fmt: str = typer.Option(None, "--format", help="csv, json or parquet (default: from the extension)."),
    mode: str = typer.Option("append", "--mode", help="append or overwrite."),
    partition_by: str = typer.Option(None, "--partition-by", help="Comma-separated partition columns."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Import a CSV/JSON/Parquet file into a Delta table."""
    fmt = fmt or Path(file).suffix.lstrip(".").lower().replace("ndjson", "json")
    if fmt not in _FORMATS:
        fail(f"--format must be one of {', '.join(_FORMATS)} (got {fmt!r} for {file})")
    if mode not in ("append", "overwrite"):
        fail(f"--mode must be append or overwrite (got {mode!r})")
    cli, store = _store(ctx)
    try:
        uri = resolve_table(cli, table)
        df = _read_source(cli, file, fmt)
        parts = [c.strip() for c in partition_by.split(",")] if partition_by else None
        result = store.write(df, uri, mode=mode, partition_by=parts)  # type: ignore[arg-type]
    except LakeforgeError as exc:
        fail(str(exc))
    out = {"table": result.table, "version": result.version, "rows": result.rows,
           "files_added": result.files_added}
    print_json(out) if json_out else console.print(
        f"imported {result.rows} rows into {result.table} (version {result.version}, {result.files_added} files)"
    )


@table_app.command("show")
def show(
    ctx: typer.Context,
    table: str = typer.Argument(...),
    version: int = typer.Option(None, "--version"),
    limit: int = typer.Option(20, "--limit"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show a table's schema and first rows (optionally at a version)."""
    cli, store = _store(ctx)
    try:
        uri = resolve_table(cli, table)
        df = store.read(uri, version=version)
        rows = [r.asDict() for r in df.limit(limit).collect()]
        snap = store.snapshot(uri, version=version)
    except LakeforgeError as exc:
        fail(str(exc))
    if json_out:
        print_json({"table": uri, "version": snap.version(),
                    "schema": [{"name": f.name, "type": f.dataType.simpleString()} for f in df.schema],
                    "rows": rows})
        return
    grid = RichTable(title=f"{uri} @ v{snap.version()}")
    for f in df.schema:
        grid.add_column(f"{f.name}\n[dim]{f.dataType.simpleString()}[/dim]")
    for r in rows:
        grid.add_row(*["" if v is None else str(v) for v in r.values()])
    console.print(grid)


@table_app.command("history")
def history(
    ctx: typer.Context, table: str = typer.Argument(...), json_out: bool = typer.Option(False, "--json")
) -> None:
    """Commit history, newest first."""
    cli, store = _store(ctx)
    try:
        entries = store.history(resolve_table(cli, table))
    except LakeforgeError as exc:
        fail(str(exc))
    if json_out:
        print_json(entries)
        return
    grid = RichTable("version", "time (UTC)", "operation", "parameters")
    for e in entries:
        when = datetime.fromtimestamp(e.get("timestamp", 0) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        op = e.get("lakeforge.operation") or e.get("operation", "")
        grid.add_row(str(e.get("version")), when, str(op), json.dumps(e.get("operationParameters", {})))
    console.print(grid)


@table_app.command("optimize")
def optimize(
    ctx: typer.Context, table: str = typer.Argument(...),
    target_size_mb: int = typer.Option(128, "--target-size-mb"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Bin-pack small files into files of about the target size (one commit)."""
    cli, store = _store(ctx)
    try:
        res = store.optimize(resolve_table(cli, table), target_size_mb=target_size_mb)
    except LakeforgeError as exc:
        fail(str(exc))
    print_json(res.__dict__) if json_out else console.print(
        f"optimized {res.table}: {res.files_removed} files → {res.files_added} (version {res.version})"
    )


@table_app.command("vacuum")
def vacuum(
    ctx: typer.Context, table: str = typer.Argument(...),
    retain_hours: float = typer.Option(168, "--retain-hours"),
    dry_run: bool = typer.Option(False, "--dry-run"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Delete unreferenced files older than the retention (``--dry-run`` lists them)."""
    cli, store = _store(ctx)
    try:
        res = store.vacuum(resolve_table(cli, table), retain_hours=retain_hours, dry_run=dry_run)
    except LakeforgeError as exc:
        fail(str(exc))
    if json_out:
        print_json(res.__dict__)
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {len(res.files)} files from {res.table}")
    for f in res.files:
        console.print(f"  {f}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(table_app, name="table")
