"""Local services commands: ``up``, ``down``, ``status``, ``cluster``, ``doctor``, ``submit``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from infra.cli.context import console, get_ctx, print_json

__all__ = ["register"]


def _say(text: str) -> None:
    typer.echo(text)


def _warn(text: str) -> None:
    typer.echo(text, err=True)


cluster_app = typer.Typer(help="A Spark standalone cluster (master + workers) on 127.0.0.1.", no_args_is_help=True)


def up(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="Port on 127.0.0.1 (default: free)."),
) -> None:
    """Start the moto server (S3, Kinesis, Glue, DynamoDB) in the background."""
    from infra.services.moto import start_moto
    from lake.storage import get_profile

    settings = get_ctx(ctx).settings
    result = start_moto(settings.home, port=port)
    entry = result.entry
    if result.replaced_stale:
        _warn("replaced a stale moto entry in the state file")
    kind = settings.profile_options().get("kind") or settings.profile
    if kind == "moto":  # moto keeps state in memory only: (re)create the lake bucket
        get_profile(settings).ensure_lake()
    verb = "running" if result.started else "already running"
    _say(f"moto {verb} at {entry['endpoint']} (pid {entry['pid']}, log {entry['log']})")


def down(ctx: typer.Context) -> None:
    """Stop the moto server started by `lake up` (exactly the recorded process)."""
    from infra.services.moto import stop_moto

    outcome, entry = stop_moto(get_ctx(ctx).settings.home)
    if outcome == "stopped" and entry:
        _say(f"moto stopped (pid {entry['pid']}, {entry['endpoint']})")
    elif outcome == "stale" and entry:
        _say(f"moto was not running (stale entry for pid {entry.get('pid')} removed)")
    else:
        _say("moto is not running")


def _print_catalog(catalog: dict[str, Any]) -> None:
    if "error" in catalog:
        _say(f"catalog  {catalog['store']}: {catalog['error']}")
    elif catalog["store"] == "glue":
        _say(f"catalog  glue (Glue API at {catalog['endpoint']})")
    else:
        scope = "shared on purpose ([catalog] path)" if catalog["scope"] == "configured" else "this lake's own"
        _say(f"catalog  embedded, {scope}: {catalog['path']}")
    if catalog.get("notice"):
        _say(f"         {catalog['notice']}")


def _print_status(report: dict[str, Any]) -> None:
    project = report["project"]
    _say(f"project  {project['dir']} (found by {project['found_by']}; home {project['home']})")
    profile = report["profile"]
    if "error" in profile:
        _say(f"profile  {profile['name']}: {profile['error']}")
    else:
        _say(f"profile  {profile['name']} ({profile['kind']})")
        for key, value in profile.items():
            if key not in ("name", "kind", "lake") and value is not None:
                _say(f"         {key}: {value}")
    _say(f"lake     {report['lake']}")
    _print_catalog(report["catalog"])
    _say(f"spark    {report['spark_master']}")
    services = report["services"]
    if not services:
        _say("services none running (start with `lake up`, `lake cluster up`)")
    for name, entry in services.items():
        if name == "moto":
            what = f"{entry.get('endpoint')} pid {entry.get('pid')}"
        elif name == "cluster":
            workers = entry.get("alive_workers", "?")
            what = (
                f"{entry.get('master_url')} web UI {entry.get('webui')} pid {entry.get('pid')}"
                f" workers {workers}/{len(entry.get('worker_pids', []))}"
                f" pids {entry.get('worker_pids')}"
            )
        else:
            what = " ".join(f"{k}={v}" for k, v in entry.items() if k != "status")
        _say(f"{name:<8} {entry['status']}: {what}")


def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Show the project home, the active profile, the lake, its catalog and the local services."""
    from infra.status import collect_status

    report = collect_status(get_ctx(ctx).settings)
    if as_json:
        print_json(report)
    else:
        _print_status(report)


@cluster_app.command("up")
def cluster_up(
    ctx: typer.Context,
    workers: int = typer.Option(2, "--workers", help="Number of workers."),
    cores_per_worker: int = typer.Option(1, "--cores-per-worker"),
    memory_per_worker: str = typer.Option("2g", "--memory-per-worker"),
    port: int | None = typer.Option(None, "--port", help="Master port (default 7077, else free)."),
    webui_port: int | None = typer.Option(None, "--webui-port", help="Master web UI port (default 18080, else free)."),
) -> None:
    """Start a Spark standalone master and N workers; waits until all workers registered."""
    from infra.services.spark_cluster import ClusterSpec, start_cluster

    spec = ClusterSpec(workers, cores_per_worker, memory_per_worker, port, webui_port)
    result = start_cluster(get_ctx(ctx).settings.home, spec)
    entry = result.entry
    verb = "running" if result.started else "already running"
    _say(f"spark cluster {verb}: {entry['master_url']} (web UI {entry['webui']}, {len(entry['worker_pids'])} workers)")
    if not result.started and entry.get("workers") != workers:
        _warn(
            f"note: the running cluster has {entry.get('workers')} workers; run `lake cluster down` first to change it"
        )
    _say(f"submit with: lake submit SCRIPT --master {entry['master_url']}")


@cluster_app.command("down")
def cluster_down(ctx: typer.Context) -> None:
    """Stop the recorded Spark master and workers."""
    from infra.services.spark_cluster import stop_cluster

    outcome, entry, pids = stop_cluster(get_ctx(ctx).settings.home)
    if outcome == "stopped" and entry:
        _say(f"spark cluster stopped ({entry['master_url']}, pids {pids})")
    elif outcome == "stale":
        _say("spark cluster was not running (stale entry removed)")
    else:
        _say("spark cluster is not running")


def doctor(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    spark: bool = typer.Option(True, "--spark/--no-spark", help="Also start Spark (~10-20 s)."),
) -> None:
    """Check Java, the S3A JARs, the profile, the endpoint, moto and Spark."""
    from infra.doctor import doctor_ok, run_doctor

    checks = run_doctor(get_ctx(ctx).settings, spark=spark)
    ok = doctor_ok(checks)
    if as_json:
        print_json({"ok": ok, "checks": [c.as_dict() for c in checks]})
    else:
        colour = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
        for c in checks:
            tag = colour[c.status]
            console.print(f"[{tag}]{c.status:<4}[/{tag}]  {c.name:<10} ", end="")
            console.print(c.detail, markup=False, highlight=False, soft_wrap=True)
    if not ok:
        raise typer.Exit(1)


def submit(
    ctx: typer.Context,
    script: Path = typer.Argument(..., help="The PySpark script to run."),
    args: list[str] | None = typer.Argument(None, help="Arguments for the script (after --)."),
    master: str | None = typer.Option(None, "--master", help="Spark master URL for this job."),
    name: str | None = typer.Option(None, "--name", help="App name (default: script name)."),
) -> None:
    """Run SCRIPT with spark-submit and the lakeforge conf: lake submit SCRIPT -- ARGS."""
    from infra.services.spark_cluster import running_cluster
    from infra.submit import run_submit

    cli = get_ctx(ctx)
    settings = cli.settings
    chosen = master or settings.spark.master
    cluster = running_cluster(settings.home)
    if cluster and master is None and chosen != cluster.get("master_url"):
        _warn(f"note: running on {chosen}; the local cluster is at {cluster['master_url']} (pass --master to use it)")
    code = run_submit(settings, cli.profile, script, args or [], master=chosen, app_name=name)
    raise typer.Exit(code)


def spark_conf(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Print the Spark conf for the active profile (credentials masked)."""
    from lake.spark.session import masked_conf
    from lake.spark.session import spark_conf as build_conf

    cli = get_ctx(ctx)
    conf = build_conf(cli.settings, cli.profile)
    shown = {"spark.master": cli.settings.spark.master, **masked_conf(conf)}
    if as_json:
        print_json(shown)
    else:
        for key in sorted(shown):
            _say(f"{key}={shown[key]}")


def register(app: typer.Typer) -> None:
    """Add the services commands to the ``lake`` app."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("doctor")(doctor)
    app.command("submit")(submit)
    app.command("spark-conf")(spark_conf)
    app.add_typer(cluster_app, name="cluster")
