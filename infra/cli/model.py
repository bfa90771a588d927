"""``lake model``: the model registry — list, show, approve, reject, alias, compare, and the MLflow UI command.

    lake model list
    lake model show heart_risk:3          # or heart_risk (latest), heart_risk@champion
    lake model approve heart_risk:3 --comment "beats v2 on test ROC AUC"
    lake model reject heart_risk:2 --comment "leaks the label through visit_number"
    lake model alias heart_risk champion 3     # or latest
    lake model compare heart_risk 2 3
    lake model ui                         # prints: mlflow ui --backend-store-uri sqlite:///…

Approval follows SageMaker's registry: a new version is PendingManualApproval; a rejection
needs a comment. Every command takes ``--json``.
"""

from __future__ import annotations

import math
import shlex
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table as RichTable

from infra.cli.context import console, get_ctx, print_json

if TYPE_CHECKING:
    from lake.ml.tracking import ModelRegistry, TrackingStore

__all__ = ["model_app", "register"]

model_app = typer.Typer(help="Registered models: list, show, approve, reject, alias, compare, ui.",
                        no_args_is_help=True)

_JSON = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
_SECRET_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _store(ctx: typer.Context) -> TrackingStore:
    from lake.ml.tracking import open_tracking

    cli = get_ctx(ctx)
    return open_tracking(cli.settings, cli.profile)


def _registry(ctx: typer.Context) -> ModelRegistry:
    from lake.ml.tracking import ModelRegistry

    return ModelRegistry(_store(ctx))


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)  # commands stay copy-pasteable


def _fmt(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.4f}"


@model_app.command("list")
def list_models(ctx: typer.Context, as_json: _JSON = False) -> None:
    """Every registered model: latest version, its approval, aliases."""
    models = _registry(ctx).list_models()
    if as_json:
        print_json([m.to_dict() for m in models])
        return
    if not models:
        _say("no registered models (train one: lake train SPEC.toml)")
        return
    table = RichTable("model", "versions", "latest", "approval", "aliases", "updated")
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in m.aliases.items())
        table.add_row(m.name, str(m.versions), str(m.latest_version or "-"),
                      m.latest_approval.value if m.latest_approval else "-", aliases, m.updated_at or "")
    console.print(table)


@model_app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME (latest), NAME:VERSION or NAME@ALIAS.")],
    as_json: _JSON = False,
) -> None:
    """A version: approval, aliases, per-split metrics, params and lineage (what it read)."""
    details = _registry(ctx).show(ref)
    if as_json:
        print_json(details.to_dict())
        return
    info = details.info
    _say(f"{info.ref}  {details.approval.status.value}  run {info.run_id} ({details.run_status})")
    if info.aliases:
        _say(f"aliases: {', '.join(info.aliases)}")
    if details.approval.comment:
        _say(f"approval: {details.approval.by} at {details.approval.at}: {details.approval.comment}")
    if details.metrics:
        splits = [s for s in ("train", "validation", "test") if s in details.metrics]
        names = sorted({m for s in splits for m in details.metrics[s]})
        table = RichTable("metric", *splits)
        for name in names:
            table.add_row(name, *[_fmt(details.metrics[s].get(name)) for s in splits])
        console.print(table)
    if details.lineage is not None:
        read = ", ".join(t.label for t in details.lineage.tables) or "-"
        _say(f"lineage: {details.lineage.source} read {read}")
    for key in ("lakeforge.task", "lakeforge.algorithm", "lakeforge.threshold", "lakeforge.onnx.status",
                "lakeforge.onnx.error"):
        if key in info.tags:
            _say(f"{key.removeprefix('lakeforge.')}: {info.tags[key]}")
    _say(f"artifacts: {info.artifact_uri}")


@model_app.command("approve")
def approve(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME:VERSION or NAME@ALIAS (NAME: the latest version).")],
    comment: Annotated[str | None, typer.Option("--comment", help="Why (required to re-approve a rejected "
                                                "version).")] = None,
    as_json: _JSON = False,
) -> None:
    """Approve a version (PendingManualApproval → Approved)."""
    registry = _registry(ctx)
    info = registry.resolve(ref)
    approval = registry.approve(info.ref, comment=comment)
    _decided(info.ref, approval, as_json)


@model_app.command("reject")
def reject(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME:VERSION or NAME@ALIAS (NAME: the latest version).")],
    comment: Annotated[str, typer.Option("--comment", help="Why the version is rejected (required).")],
    as_json: _JSON = False,
) -> None:
    """Reject a version (or revoke an approval); the comment says why."""
    registry = _registry(ctx)
    info = registry.resolve(ref)
    approval = registry.reject(info.ref, comment=comment)
    _decided(info.ref, approval, as_json)


def _decided(ref: str, approval: Any, as_json: bool) -> None:
    if as_json:
        print_json({"ref": ref, **approval.to_dict()})
        return
    _say(f"{ref}: {approval.status.value} (by {approval.by} at {approval.at})")


@model_app.command("alias")
def alias(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="Alias, e.g. champion.")],
    version: Annotated[str, typer.Argument(help="Version the alias points at: a number, or latest (the newest "
                                                "version, e.g. the one a pipeline's train step just registered).")],
    as_json: _JSON = False,
) -> None:
    """Point ALIAS of NAME at VERSION (moving it if it pointed elsewhere); NAME@ALIAS then resolves to it."""
    from infra.errors import InvalidOptionError

    registry = _registry(ctx)
    if version.strip().lower() == "latest":
        target: int | str = registry.resolve(name).version
    elif version.strip().isdigit():
        target = int(version)
    else:
        raise InvalidOptionError("VERSION", version, "a version number or latest")
    info = registry.set_alias(name, alias_name, target)
    if as_json:
        print_json({"model": name, "alias": alias_name, "version": info.version, "ref": info.ref})
        return
    _say(f"{name}@{alias_name} → {info.ref}")


@model_app.command("compare")
def compare(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    versions: Annotated[list[str], typer.Argument(help="Two or more versions (numbers or aliases).")],
    as_json: _JSON = False,
) -> None:
    """Versions of NAME side by side: every metric and the params that differ."""
    from infra.errors import OptionsConflictError

    if len(versions) < 2:
        raise OptionsConflictError(problem="compare needs two or more versions",
                                   remedy=f"e.g. lake model compare {name} 1 2")
    refs = [f"{name}:{v}" if v.isdigit() else f"{name}@{v}" for v in versions]
    comparison = _registry(ctx).compare(refs)
    if as_json:
        print_json(comparison.to_dict())
        return
    heads = [v.ref for v in comparison.versions]
    table = RichTable("metric", *heads)
    for key, values in comparison.metrics.items():
        table.add_row(key, *[_fmt(v) for v in values])
    console.print(table)
    if comparison.params:
        params = RichTable("param (differs)", *heads)
        for key, raw in comparison.params.items():
            params.add_row(key, *[v if v is not None else "-" for v in raw])
        console.print(params)


@model_app.command("ui")
def ui(ctx: typer.Context, as_json: _JSON = False) -> None:
    """Print the ``mlflow ui`` command that browses this lake's runs and registry (credentials never shown)."""
    store = _store(ctx)
    command = store.ui_command()
    env = {k: ("****" if k in _SECRET_ENV else v) for k, v in store.ui_environment().items()
           if k != "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"}
    if as_json:
        print_json({"command": command, "env": env, "tracking_uri": store.describe()["tracking_uri"]})
        return
    for key, value in env.items():
        if key in _SECRET_ENV:
            _say(f"export {key}=…   # the lake's credentials (profile {store.profile.name})")
        else:
            _say(f"export {key}={shlex.quote(value)}")
    _say(shlex.join(command))


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
