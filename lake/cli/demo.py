"""``lake demo``: the main job on the embedded default (its own moto server if none runs)."""

from __future__ import annotations

import json
import time

import typer

from lake.cli.context import console, get_ctx, print_json

__all__ = ["register"]


def demo(
    ctx: typer.Context,
    rows: int = typer.Option(20_000, "--rows", help="Rows to write."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Start local services, then write, read, optimize and vacuum a Delta table on S3."""
    from lake.moto_process import start_moto
    from lake.smoke import run_smoke
    from lake.spark.session import build_spark
    from lake.state import ServiceState
    from lake.storage import StorageProfile, get_profile, moto_profile

    cli = get_ctx(ctx)
    settings = cli.settings
    server = None
    profile: StorageProfile
    if settings.profile in ("local", "moto") and "profile" not in settings.sources:
        endpoint = ServiceState(settings.home).moto_endpoint()
        if endpoint is None:
            server = start_moto()
            endpoint = server.endpoint
            console.print(f"started an embedded moto server (S3, Kinesis, Glue, DynamoDB) at {endpoint}")
        profile = moto_profile(endpoint, settings.lake)
    else:
        profile = get_profile(settings)
    try:
        console.print(f"lake: {profile.lake_uri} (profile {profile.name})")
        spark = build_spark(settings, profile, app_name="lakeforge-demo")
        report = run_smoke(spark, profile, rows=rows)
        from catalog.registration import register_job_tables

        started = time.monotonic()
        names = register_job_tables(settings, profile, {"smoke.events": report.table}, job="demo")
        report.add("register", started, tables=names, catalog=settings.catalog_store)
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


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
