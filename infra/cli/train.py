"""``lake train``: train a spec over a catalog view into the model registry, or reproduce a version.

    lake train infra/ml/heart_risk.toml --set model.max_depth=5 --set tune.max_trials=4
    lake train infra/ml/heart_risk.toml --json          # one JSON object on stdout
    lake train --reproduce heart_risk:3                  # same data (Delta time travel), seed, spec

The spec is read and validated before Spark starts (an error is one line, exit code 1). The
terminal shows the stage, trials done/total, the best metric so far and the elapsed time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table as RichTable

from infra.cli.context import CATALOG_OPTION, console, err_console, get_ctx, print_json
from infra.errors import OptionsConflictError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from catalog.ml import Reproduction
    from lake.ml.training import TrainProgress, TrainResult

__all__ = ["ProgressView", "register", "train"]

_SHOWN_METRICS = {
    "binary": ("roc_auc", "pr_auc", "f1", "accuracy", "precision", "recall", "specificity", "log_loss"),
    "multiclass": ("accuracy", "f1_weighted", "f1_macro", "log_loss"),
    "regression": ("rmse", "mae", "r2", "mape"),
    "clustering": ("silhouette", "sse"),
    "topics": ("log_likelihood", "log_perplexity", "perplexity"),
    "reduction": ("explained_variance",),
}


class ProgressView:
    """Shows :class:`~lake.ml.training.TrainProgress` on stderr: a live status line, else plain lines."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.status: Status | None = None
        self.last: str | None = None

    def __enter__(self) -> ProgressView:
        if self.out.is_terminal:
            self.status = self.out.status("starting", spinner="dots")
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def __call__(self, event: TrainProgress) -> None:
        text = describe(event)
        if self.status is not None:
            self.status.update(text)
        elif event.stage != self.last or (event.stage == "tune" and event.done):
            self.out.print(text, markup=False, highlight=False)
        self.last = event.stage


def describe(event: TrainProgress) -> str:
    """``train [tune] trials 3/8 · best roc_auc 0.9123 · 12.4s``."""
    parts = [f"train [{event.stage}]"]
    if event.stage == "tune" and event.total:
        parts.append(f"trials {event.done or 0}/{event.total}")
        if event.best is not None:
            parts.append(f"best {event.metric or 'metric'} {event.best:.4f}")
    elif event.message:
        parts.append(event.message)
    parts.append(f"{event.elapsed:.1f}s")
    return " · ".join(parts)


def train(
    ctx: typer.Context,
    spec: Annotated[Path | None, typer.Argument(help="Training spec (TOML). Omit with --reproduce.",
                                                dir_okay=False)] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a spec key: --set model.max_depth=5 (TOML literal, else a string); repeatable.")
    ] = None,
    reproduce: Annotated[str | None, typer.Option(
        "--reproduce", help="Retrain NAME:VERSION (or NAME@ALIAS) on exactly the data it read, same spec and seed.")
    ] = None,
    allow_failed_quality: Annotated[bool, typer.Option(
        "--allow-failed-quality", help="Train even if a source table's latest quality run failed.")] = False,
    no_export: Annotated[bool, typer.Option("--no-export", help="Skip the ONNX export of the model.")] = False,
    catalog: str | None = CATALOG_OPTION,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: run_id, model, version, status, "
                                                         "metrics, artifact_uri, seconds.")] = False,
) -> None:
    """Train a model from a spec over catalog views (SageMaker-style: split, prep, tune, evaluate, register)."""
    from lake.errors import LakeforgeError
    from lake.ml.spec import load_spec

    if (spec is None) == (reproduce is None):
        raise OptionsConflictError(problem="give a spec file or --reproduce NAME:VERSION",
                                   remedy="lake train SPEC.toml, or lake train --reproduce NAME:VERSION")
    if reproduce is not None and overrides:
        raise OptionsConflictError(problem="--set changes a spec; --reproduce retrains the recorded one",
                                   remedy="drop --set, or train the spec file with --set")
    parsed = load_spec(spec, overrides or ()) if spec is not None else None  # before Spark: errors are cheap
    cli = get_ctx(ctx)
    from catalog.ml import TrainingEnv, train_spec
    from catalog.ml import reproduce as reproduce_version
    from lake.ml.tracking import open_tracking

    tracking = open_tracking(cli.settings, cli.profile)
    tracking.check()
    store = cli.catalog(catalog)
    ended: list[TrainResult] = []
    env = TrainingEnv(cli.spark("lakeforge-train"), store, cli.profile, tracking, export_onnx=not no_export)
    with ProgressView(err_console) as view:
        try:
            if parsed is not None:
                result = train_spec(parsed, env, allow_failed_quality=allow_failed_quality, progress=view,
                                    on_end=ended.append)
                reproduction = None
            else:
                assert reproduce is not None
                reproduction = reproduce_version(reproduce, env, progress=view, on_end=ended.append)
                result = reproduction.result
        except LakeforgeError:
            if as_json and ended:
                print_json(_json(ended[-1], None))
            raise
    if as_json:
        print_json(_json(result, reproduction))
    else:
        _show(result, reproduction)


def _json(result: TrainResult, reproduction: Reproduction | None) -> dict[str, Any]:
    out = result.to_dict()
    if reproduction is not None:
        out["reproduces"] = {"ref": reproduction.original.ref, "same_metrics": reproduction.same_metrics}
    return out


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4f}" if abs(value) < 1e5 else f"{value:.4g}"


def _show(result: TrainResult, reproduction: Reproduction | None) -> None:
    console.print(f"[bold green]{result.ref}[/bold green] {result.status} in {result.seconds:.1f}s "
                  f"(run {result.run_id}; approval PendingManualApproval)")
    splits = [s for s in ("train", "validation", "test") if s in result.metrics]
    names = [m for m in _SHOWN_METRICS.get(result.task, ()) if any(m in result.metrics[s] for s in splits)]
    if names:
        table = RichTable("metric", *splits)
        for name in names:
            table.add_row(name, *[_fmt(result.metrics[s].get(name)) for s in splits])
        console.print(table)
    if result.threshold is not None:
        how = "chosen on validation" if result.threshold_method in ("f1", "youden") else "fixed"
        console.print(f"decision threshold {result.threshold:.6g} ({result.threshold_method}, {how}; "
                      "score >= threshold is positive)")
    if result.trials:
        best = next(t for t in result.trials if t["best"])
        console.print(f"tuning: {len(result.trials)} trials, best {result.tune_metric} {_fmt(best['metric'])} "
                      f"with {best['params']}")
    export = result.export
    if export.get("status") == "failed":
        console.print(f"[yellow]ONNX export failed[/yellow]: {export.get('error')} (lake serve needs --spark)")
    elif export.get("status") == "exported":
        console.print("ONNX export verified against Spark on the test split")
    console.print(f"artifacts: {result.artifact_uri}")
    if reproduction is not None:
        if reproduction.same_metrics:
            console.print(f"[green]reproduced {reproduction.original.ref}: every metric is the same[/green]")
        else:
            for split, metrics in reproduction.differences.items():
                for name, (old, new) in metrics.items():
                    console.print(f"[yellow]{split} {name}: {_fmt(old)} in {reproduction.original.ref}, "
                                  f"{_fmt(new)} now[/yellow]")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
