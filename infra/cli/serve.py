"""``lake serve``: a registered model as a SageMaker-runtime-compatible HTTP endpoint on 127.0.0.1.

    lake serve heart@champion --name heart --capture-fraction 0.2     # background; recorded in the state file
    lake serve list
    lake serve stop heart
    lake serve heart:3 --foreground                                  # logs on the terminal, Ctrl-C stops

A first argument that is not a subcommand is the model, so ``lake serve MODEL`` needs no
subcommand name. Scoring uses the ONNX export logged with the version (onnxruntime, no Spark):
a version whose export failed is refused with the export's message unless ``--spark`` (the slow
Spark path: hundreds of milliseconds per request). An alias reference is re-resolved every
``--poll-seconds``, so ``lake model alias NAME champion 3`` is picked up without a restart.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from infra.cli.context import CliContext, console, get_ctx, print_json

__all__ = ["check_servable", "register", "serve_app"]


class _ModelByDefault(TyperGroup):
    """Route ``lake serve MODEL …`` to the hidden ``start`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


serve_app = typer.Typer(
    cls=_ModelByDefault,
    help="Serve a registered model over HTTP: lake serve MODEL[@ALIAS] | lake serve list | lake serve stop NAME.",
    no_args_is_help=True,
)

_JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def check_servable(cli: CliContext, model: str) -> dict[str, Any]:
    """Resolve ``model`` and refuse a version without a usable ONNX export (the export's message)."""
    from infra.errors import ModelNotServableError
    from lake.errors import LakeforgeError
    from lake.ml.serving.registry import load_registered_export
    from lake.ml.tracking import ModelRegistry, open_tracking

    registry = ModelRegistry(open_tracking(cli.settings, cli.profile))
    info = registry.resolve(model)
    tags: dict[str, str] = {}
    if info.run_id:
        tags = dict(registry.store.client().get_run(info.run_id).data.tags)
    status, error = _export_status(tags)
    if status in ("failed", "skipped"):
        raise ModelNotServableError(model=info.ref, reason=f"its ONNX export {status}: {error or 'no reason recorded'}")
    try:
        export = load_registered_export(registry, info)
    except LakeforgeError as exc:
        raise ModelNotServableError(model=info.ref, reason=f"no ONNX export was logged with its run ({exc})") from None
    return {"model": info.name, "version": info.version, "stages": list(export.stages)}


def _export_status(tags: dict[str, str]) -> tuple[str | None, str | None]:
    from lake.ml.training import ONNX_ERROR_TAG, ONNX_STATUS_TAG

    return tags.get(ONNX_STATUS_TAG), tags.get(ONNX_ERROR_TAG)


@serve_app.command("start", hidden=True)
def start(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME (latest), NAME:VERSION or NAME@ALIAS (followed on moves).")],
    name: Annotated[str | None, typer.Option("--name", help="Endpoint name (default: the model name).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).")] = None,
    foreground: Annotated[bool, typer.Option("--foreground", help="Run in this terminal (Ctrl-C stops).")] = False,
    spark: Annotated[bool, typer.Option("--spark", help="Score through Spark (slow: ~0.4 s a request) — for "
                                                        "models whose ONNX export failed.")] = False,
    capture_fraction: Annotated[float, typer.Option("--capture-fraction", help="Fraction of requests captured "
                                                    "to <lake>/ml/capture/<name> (ml.capture_<name>).")] = 0.0,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="Seconds between registry polls (alias "
                                                "moves).")] = 5.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the model to load.")] = 180.0,
    as_json: _JSON = False,
) -> None:
    """Start an endpoint for MODEL (background unless --foreground)."""
    from infra.services.model_server import CHILD_MODULE, EndpointOptions, start_model_endpoint
    from lake.ml.tracking import ModelRef

    cli = get_ctx(ctx)
    endpoint = name or ModelRef.parse(model).name.replace("_", "-")
    options = EndpointOptions(model=model, name=endpoint, port=port, spark=spark, capture_fraction=capture_fraction,
                              poll_seconds=poll_seconds)
    options.validate()
    checked = {} if spark else check_servable(cli, model)
    capture = _capture_table(cli, endpoint) if capture_fraction > 0 else None
    if capture is not None:
        options = EndpointOptions(**{**options.__dict__, "capture_uri": capture["uri"]})
    if foreground:
        from infra.services.process import free_port

        argv = [sys.executable, "-m", CHILD_MODULE, f"--home={cli.settings.home}", f"--endpoint={endpoint}", "--",
                *options.server_args(port or free_port())]
        os.execvpe(argv[0], argv, {**os.environ, "LAKEFORGE_PROFILE": cli.settings.profile,
                                   **({"LAKEFORGE_LAKE": str(cli.settings.lake)} if cli.settings.lake else {})})
    result = start_model_endpoint(cli.settings, options, timeout=timeout)
    entry = {**result.entry, "started": result.started, **({"capture_table": capture["name"]} if capture else {})}
    if as_json:
        print_json(entry)
        return
    verb = "running" if result.started else "already running"
    version = entry.get("version_at_start") or checked.get("version")
    _say(f"endpoint {endpoint} {verb}: {entry['url']} (model {model}, version {version}, scorer "
         f"{entry.get('scorer')}, pid {entry['pid']})")
    _say(f"invoke: aws sagemaker-runtime invoke-endpoint --endpoint-url {entry['url']} --endpoint-name {endpoint} "
         "--content-type application/json --body '{...}' out.json")
    if capture:
        _say(f"capture: {capture_fraction:g} of requests → {capture['name']} ({capture['uri']})")


def _capture_table(cli: CliContext, endpoint: str) -> dict[str, str]:
    from catalog.inference.capture import ensure_capture_table

    store = cli.catalog()
    table = ensure_capture_table(store, cli.profile, endpoint)
    return {"name": table.name, "uri": table.uri}


@serve_app.command("list")
def list_(ctx: typer.Context, as_json: _JSON = False) -> None:
    """The endpoints of this home: name, model, URL, served version, status."""
    from infra.services.model_server import list_endpoints

    found = list_endpoints(get_ctx(ctx).settings.home)
    if as_json:
        print_json(found)
        return
    if not found:
        _say("no model endpoints (start one with lake serve MODEL)")
        return
    table = Table("endpoint", "model", "url", "version", "scorer", "status", "pid")
    for e in found:
        table.add_row(str(e.get("endpoint")), str(e.get("model")), str(e.get("url")),
                      str(e.get("serving_version", "")), str(e.get("scorer", "")), str(e.get("status")),
                      str(e.get("pid")))
    console.print(table)


@serve_app.command("stop")
def stop(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Endpoint name (lake serve list).")],
         as_json: _JSON = False) -> None:
    """Stop an endpoint (exactly its recorded process); its captured data is flushed first."""
    from infra.services.model_server import stop_model_endpoint

    result = stop_model_endpoint(get_ctx(ctx).settings.home, name)
    entry = result.entry or {}
    if as_json:
        print_json({"endpoint": name, "outcome": result.outcome, "pid": entry.get("pid")})
    elif result.outcome == "stopped":
        _say(f"endpoint {name} stopped (pid {entry.get('pid')})")
    else:
        _say(f"endpoint {name} was not running (stale entry for pid {entry.get('pid')} removed)")


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")
