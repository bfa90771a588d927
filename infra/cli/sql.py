"""``lake sql``: SQL over the catalog (Athena on Spark), saved queries and the query history.

    lake sql "SELECT clinic_id, count(*) FROM silver.heart_visits GROUP BY 1"
    lake sql --file report.sql --dialect athena --format csv --output report.csv
    lake sql save daily-report --file report.sql
    lake sql run daily-report --format json
    lake sql history --limit 10

A first argument that is not a subcommand is the query, so ``lake sql "…"`` and
``lake sql --file F.sql`` need no subcommand name.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from infra.cli.context import CliContext, console, err_console, get_ctx, print_json
from infra.errors import OptionsConflictError
from lake.storage import StorageProfile
from lake.storage.translate import check_location, storage_errors

__all__ = ["OutputFormat", "register", "sql_app"]

_SUBCOMMANDS_HELP = "Subcommands: save, run, list, history (`lake sql COMMAND --help`)."


class _QueryByDefault(TyperGroup):
    """Route ``lake sql "QUERY"`` and ``lake sql --file F`` to the hidden ``query`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


sql_app = typer.Typer(
    cls=_QueryByDefault,
    help='Run SQL over the catalog: lake sql "QUERY" | lake sql --file F.sql. ' + _SUBCOMMANDS_HELP,
    no_args_is_help=True,
)



class OutputFormat(StrEnum):
    """How results are written."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


_DIALECT = typer.Option("spark", "--dialect", help="spark (default) or athena (Trino/Presto SQL).")
_FORMAT = typer.Option(
    None, "--format",
    help="table, csv, json (one object per line) or parquet (default: table on a terminal, else csv).",
)
_SQL_FILE = typer.Option(None, "--file", "-f", exists=True, dir_okay=False, readable=True,
                         help="Read the SQL from this file.")
_OUTPUT = typer.Option(None, "--output", "-o", help="Write the result (of the last statement) to this file.")
_NO_SAVE = typer.Option(False, "--no-save", help="Do not save results under <lake>/_results/.")
_DATABASE = typer.Option("default", "--database", "-d", help="Database for unqualified table names.")
_MAX_ROWS = typer.Option(1000, "--max-rows", help="Rows shown by --format table (all rows are saved).")


def _engine(cli: CliContext, dialect: str, database: str, save: bool) -> Any:
    from catalog.sql import SqlEngine

    store = cli.catalog()
    spark = cli.spark("lakeforge-sql")
    return SqlEngine(spark, store, cli.profile, dialect=dialect, database=database, save_results=save)


class _Output:
    """Opens the user's output per result statement and builds its sink."""

    def __init__(self, cli: CliContext, fmt: OutputFormat | None, output: str | None, max_rows: int) -> None:
        if fmt is None:
            fmt = OutputFormat.TABLE if sys.stdout.isatty() and not output else OutputFormat.CSV
        if fmt is OutputFormat.PARQUET and not output:
            raise OptionsConflictError("--format parquet needs --output PATH", "parquet is written to a file")
        if fmt is OutputFormat.TABLE and output:
            raise OptionsConflictError("--format table prints to the terminal",
                                       "use --format csv, json or parquet with --output")
        self.cli = cli
        self.fmt = fmt.value
        self.output = output
        self.max_rows = max_rows
        self._streams: list[Any] = []
        if output is not None:  # a missing bucket or a file in the way is said before the query runs
            check_location(*self._folder())

    def _folder(self) -> tuple[StorageProfile, str]:
        """The storage and the folder the output goes to."""
        from lake.storage import LocalProfile

        assert self.output is not None
        if "://" in self.output:
            return self.cli.profile, self.output.rstrip("/").rsplit("/", 1)[0]
        folder = Path(self.output).expanduser().resolve().parent
        return LocalProfile(folder), str(folder)

    def _open(self, binary: bool) -> Any:
        assert self.output is not None
        with storage_errors(*self._folder()):
            if "://" in self.output:
                profile = self.cli.profile
                raw = profile.filesystem().open_output_stream(profile.fs_path(self.output))
                if binary:
                    return raw
                import io

                return io.TextIOWrapper(raw, encoding="utf-8", newline="")
            path = Path(self.output)
            path.parent.mkdir(parents=True, exist_ok=True)
            return path.open("wb") if binary else path.open("w", encoding="utf-8", newline="")

    def sinks(self, statement: Any) -> Sequence[Any]:
        from catalog.sql import CsvSink, JsonLinesSink, ParquetSink
        from infra.cli.rich_sink import RichTableSink

        if self.fmt == "table":
            return [RichTableSink(console, max_rows=self.max_rows)]
        stream = self._open(self.fmt == "parquet") if self.output else sys.stdout
        if stream is not sys.stdout:
            self._streams.append(stream)
        if self.fmt == "csv":
            return [_Closing(CsvSink(stream), stream)]
        if self.fmt == "json":
            return [_Closing(JsonLinesSink(stream), stream)]
        return [_Closing(ParquetSink(stream), stream)]


class _Closing:
    """A sink that also closes its output file when the result is complete."""

    def __init__(self, sink: Any, stream: Any) -> None:
        self.sink = sink
        self.stream = stream

    def open(self, columns: Any) -> None:
        self.sink.open(columns)

    def write(self, rows: Any) -> None:
        self.sink.write(rows)

    def close(self) -> None:
        self.sink.close()
        if self.stream is not sys.stdout:
            self.stream.close()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _report(result: Any) -> None:
    parts = []
    if result.message:
        parts.append(result.message)
    if result.columns:
        parts.append(f"{result.rows:,} row{'' if result.rows == 1 else 's'}")
    parts.append(f"{result.duration_ms / 1000:.2f}s")
    if result.files_scanned:
        parts.append(f"scanned {_size(result.bytes_scanned)} in {result.files_scanned} files")
    parts.append(f"query {result.query_id}")
    if result.result_location:
        parts.append(f"saved to {result.result_location}")
    err_console.print("[dim]" + " · ".join(parts) + "[/dim]", highlight=False)


def _run(ctx: typer.Context, sql: str, *, dialect: str, database: str, fmt: OutputFormat | None,
         output: str | None, save: bool, max_rows: int, source_dir: Path | None = None) -> None:
    cli = get_ctx(ctx)
    out = _Output(cli, fmt, output, max_rows)
    engine = _engine(cli, dialect, database, save)
    engine.source_dir = source_dir  # an ETL table's rule files (GX suites, DQDL) sit beside its SQL file
    engine.execute(sql, sinks=out.sinks, on_result=_report)


def _sql_text(sql: str | None, file: Path | None, *, how: str) -> str:
    """The SQL given as text or in a file (exactly one of them)."""
    if (sql is None) == (file is None):
        raise OptionsConflictError("no SQL given" if sql is None else "the SQL given twice", how)
    return file.read_text(encoding="utf-8") if file is not None else str(sql)


@sql_app.command("query", hidden=True)
def query(
    ctx: typer.Context,
    sql: str | None = typer.Argument(None, help="SQL text (several statements separated by ';')."),
    file: Path | None = _SQL_FILE,
    dialect: str = _DIALECT,
    fmt: OutputFormat | None = _FORMAT,
    output: str | None = _OUTPUT,
    no_save: bool = _NO_SAVE,
    database: str = _DATABASE,
    max_rows: int = _MAX_ROWS,
) -> None:
    """Run SQL given as an argument or in --file."""
    sql = _sql_text(sql, file, how='give the SQL as an argument or with --file (one of them): lake sql "SELECT …"')
    _run(ctx, sql, dialect=dialect, database=database, fmt=fmt, output=output, save=not no_save,
         max_rows=max_rows, source_dir=file.resolve().parent if file is not None else None)


@sql_app.command("save")
def save(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the saved query."),
    file: Path | None = _SQL_FILE,
    sql: str | None = typer.Option(None, "--sql", help="SQL text to save (instead of --file)."),
    dialect: str = _DIALECT,
    database: str = _DATABASE,
    description: str | None = typer.Option(None, "--description"),
) -> None:
    """Store a named query in the catalog (replaces one with the same name)."""
    from catalog.sql import save_query

    sql = _sql_text(sql, file, how="give the SQL with --file F.sql or --sql TEXT (one of them)")
    cli = get_ctx(ctx)
    saved = save_query(cli.catalog(), name, sql, dialect=dialect,
                       database=database, description=description)
    err_console.print(f"saved query {saved.name!r} ({saved.dialect}, database {saved.database})")


@sql_app.command("run")
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of a saved query."),
    fmt: OutputFormat | None = _FORMAT,
    output: str | None = _OUTPUT,
    no_save: bool = _NO_SAVE,
    max_rows: int = _MAX_ROWS,
) -> None:
    """Run a saved query."""
    from catalog.sql import get_saved_query

    cli = get_ctx(ctx)
    saved = get_saved_query(cli.catalog(), name)
    _run(ctx, saved.sql, dialect=saved.dialect, database=saved.database, fmt=fmt, output=output,
         save=not no_save, max_rows=max_rows)


@sql_app.command("list")
def list_(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """List the saved queries."""
    from rich.table import Table as RichTable

    from catalog.sql import list_saved_queries

    cli = get_ctx(ctx)
    queries = list_saved_queries(cli.catalog())
    if json_out:
        print_json([q.to_json() for q in queries])
        return
    grid = RichTable("name", "dialect", "database", "updated", "description")
    for q in queries:
        grid.add_row(q.name, q.dialect, q.database, q.updated_at or "", q.description or "")
    console.print(grid)


@sql_app.command("history")
def history(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", help="How many of the newest queries."),
    query_id: str | None = typer.Option(None, "--id", help="Show one query by id."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The newest queries: state, duration, rows and bytes scanned."""
    from rich.table import Table as RichTable

    from catalog.sql import QueryHistory

    cli = get_ctx(ctx)
    rows = QueryHistory(cli.catalog(), cli.profile).recent(limit, query_id=query_id)
    if json_out:
        print_json(rows)
        return
    grid = RichTable("query id", "submitted (UTC)", "state", "type", "ms", "rows", "scanned", "query")
    for r in rows:
        text = " ".join(str(r["query"]).split())
        grid.add_row(
            r["query_id"], r["submitted_at"].strftime("%Y-%m-%d %H:%M:%S"), r["state"], r["statement_type"] or "",
            str(r["duration_ms"]), "" if r["rows"] is None else f"{r['rows']:,}", _size(r["bytes_scanned"] or 0),
            text if len(text) <= 80 else text[:79] + "…",
        )
    console.print(grid)


def register(app: typer.Typer) -> None:
    app.add_typer(sql_app, name="sql")
