"""``lake sql-server``: the JDBC/ODBC SQL endpoint (Spark Thrift server) over the catalog."""

from __future__ import annotations

from typing import Any

import typer

from infra.cli.context import get_ctx, print_json

__all__ = ["register"]

sql_server_app = typer.Typer(
    help=(
        "The SQL endpoint: Spark's Thrift server on 127.0.0.1 with every catalog table and view "
        "as db.table, for beeline, PyHive and JDBC/ODBC BI tools. Without a subcommand: start it."
    ),
    invoke_without_command=True,
)


def _say(text: str) -> None:
    typer.echo(text)


def _overrides(ctx: typer.Context) -> tuple[tuple[str, str], ...]:
    cli = get_ctx(ctx)
    return tuple((k, str(v)) for k, v in cli.overrides.items() if v is not None)


@sql_server_app.callback()
def start(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="Thrift port on 127.0.0.1 (default 10000, else a free one)."),
    read_only: bool = typer.Option(False, "--read-only", help="Refuse DDL and DML from clients."),
    foreground: bool = typer.Option(False, "--foreground", help="Run in this terminal (Ctrl-C stops it)."),
    refresh_interval: float = typer.Option(
        60.0, "--refresh-interval", help="Seconds between checks for changed tables (0 = only on `refresh`)."
    ),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the endpoint to be ready."),
) -> None:
    """Start the SQL endpoint in the background (unless a subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from infra.services.sql_endpoint import EndpointOptions, exec_foreground, start_endpoint

    cli = get_ctx(ctx)
    options = EndpointOptions(port, read_only, refresh_interval, _overrides(ctx))
    if foreground:
        exec_foreground(cli.settings, options)
        return
    result = start_endpoint(cli.settings, options, timeout=timeout)
    entry = result.entry
    if result.replaced_stale:
        typer.echo("replaced a stale sql-server entry in the state file", err=True)
    verb = "running" if result.started else "already running"
    mode = " read-only" if entry.get("read_only") else ""
    _say(f"sql-server{mode} {verb} at {entry['jdbc_url']} (pid {entry['pid']}, log {entry['log']})")
    _say(f"exposed {entry.get('tables', 0)} tables and {entry.get('views', 0)} views"
         + (f"; {entry['errors']} could not be exposed (see `lake sql-server status`)" if entry.get("errors") else ""))
    _say(f"connect: beeline -u {entry['jdbc_url']}   or   PyHive hive.connect('127.0.0.1', port={entry['port']})")


@sql_server_app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the endpoint started by `lake sql-server` (exactly the recorded process tree)."""
    from infra.services.sql_endpoint import stop_endpoint

    outcome, entry = stop_endpoint(get_ctx(ctx).settings.home)
    if outcome == "stopped" and entry:
        _say(f"sql-server stopped (pid {entry.get('pid')}, {entry.get('jdbc_url')})")
    elif outcome == "stale" and entry:
        _say(f"sql-server was not running (stale entry for pid {entry.get('pid')} removed)")
    else:
        _say("sql-server is not running")


@sql_server_app.command("status")
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Show whether the endpoint runs, its JDBC URL and what the last refresh exposed."""
    from infra.services.sql_endpoint import endpoint_status, refresh_report

    home = get_ctx(ctx).settings.home
    entry = endpoint_status(home)
    report = refresh_report(home) if entry is not None else None
    if as_json:
        print_json({"endpoint": entry, "last_refresh": report})
        return
    if entry is None:
        _say("sql-server is not running (start it with `lake sql-server`)")
        return
    mode = ", read-only" if entry.get("read_only") else ""
    _say(f"sql-server {entry.get('status')}: {entry.get('jdbc_url')} (pid {entry.get('pid')}{mode})")
    if report is not None:
        _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    _say(f"last refresh #{report.get('seq')} at {report.get('at')}: {report.get('tables', 0)} tables, "
         f"{report.get('views', 0)} views exposed")
    for name, error in report.get("errors", {}).items():
        _say(f"  not exposed: {name}: {error}")


@sql_server_app.command("refresh")
def refresh(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the refresh."),
) -> None:
    """Re-expose the catalog now: new/changed tables and views, new Delta snapshots, new files."""
    from infra.services.sql_endpoint import refresh_endpoint

    report = refresh_endpoint(get_ctx(ctx).settings.home, timeout=timeout)
    if as_json:
        print_json(report)
        return
    for key in ("added", "changed", "removed"):
        if report.get(key):
            _say(f"{key}: {', '.join(report[key])}")
    _print_report(report)


def register(app: typer.Typer) -> None:
    app.add_typer(sql_server_app, name="sql-server")
