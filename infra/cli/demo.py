"""``lake demo``: the main job on the embedded default (its own moto server if none runs).

The demo registers ``smoke.events`` in the catalog of the lake it wrote. When it starts its
own moto server, that lake is gone when the demo ends, so its catalog is a temporary one that
goes with it: the demo never leaves entries pointing at a bucket that no longer exists.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace as replace_fields
from pathlib import Path

import typer

from infra.cli.context import console, err_console, get_ctx, print_json

__all__ = ["register"]


def demo(
    ctx: typer.Context,
    rows: int = typer.Option(20_000, "--rows", help="Rows to write."),
    replace: bool = typer.Option(
        False, "--replace", help="Re-point smoke.events if the catalog has it at another location."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Start local services, then write, read, optimize and vacuum a Delta table on S3."""
    from infra.services.moto import spawn_moto
    from lake.smoke import run_smoke
    from lake.spark.session import build_spark
    from lake.state import ServiceState
    from lake.storage import StorageProfile, get_profile, moto_profile

    cli = get_ctx(ctx)
    settings = cli.settings
    say = err_console.print if json_out else console.print  # --json: stdout holds only the JSON
    server = None
    scratch: tempfile.TemporaryDirectory[str] | None = None
    profile: StorageProfile
    if settings.profile in ("local", "moto") and "profile" not in settings.sources:
        endpoint = ServiceState(settings.home).moto_endpoint()
        if endpoint is None:
            server = spawn_moto()
            endpoint = server.endpoint
            say(f"started an embedded moto server (S3, Kinesis, Glue, DynamoDB) at {endpoint}")
            scratch = tempfile.TemporaryDirectory(prefix="lakeforge-demo-catalog-")
            settings = replace_fields(settings, catalog_path=Path(scratch.name) / "catalog.db")
        profile = moto_profile(endpoint, settings.lake)
    else:
        profile = get_profile(settings)
    try:
        say(f"lake: {profile.lake_uri} (profile {profile.name})")
        spark = build_spark(settings, profile, app_name="lakeforge-demo")
        report = run_smoke(spark, profile, rows=rows)
        from catalog.registration import register_job_tables

        started = time.monotonic()
        names = register_job_tables(settings, profile, {"smoke.events": report.table}, job="demo",
                                    replace=replace)
        where = "temporary, removed with the demo's moto server" if scratch else "the lake's catalog"
        report.add("register", started, tables=names, catalog=f"{settings.catalog_store} ({where})")
        if json_out:
            print_json(report.as_dict())
        else:
            for step in report.steps:
                console.print(f"[bold]{step['step']:>9}[/bold] " + json.dumps(
                    {k: v for k, v in step.items() if k != "step"}))
            console.print(f"[green]smoke pipeline OK[/green] on {report.table}")
        spark.stop()
    finally:
        if server is not None:
            server.stop()
        if scratch is not None:
            scratch.cleanup()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
