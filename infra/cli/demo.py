"""``lake demo``: the main job — the whole lifecycle as the pipeline ``demo``, ending in a report.

    lake demo                       # `make demo`: 4,000 labelled + 1,000 new visits
    lake demo --records 20000       # bigger (today's visits: a quarter of it)
    lake demo --param trials=8      # any [params] value of infra/pipelines/specs/demo.toml

On the embedded default (no profile chosen) it runs on the ``moto`` profile: a moto server of
this home is started if none runs and is left running, so the lake stays inspectable
afterwards (``lake --profile moto catalog …``, ``sql``, ``model show``) until ``lake down``
(moto keeps its state in memory only; the catalog's entries of an emptied lake are pruned the
next time). A chosen profile is used as it is. Each run is a new pipeline run (see
:mod:`infra.demo.run`); a failing stage ends the command with one line naming it and its log.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from infra.cli.context import CliContext, console, err_console, get_ctx, print_json

if TYPE_CHECKING:
    from infra.demo.lake_setup import LakeSetup
    from infra.demo.run import DemoOutcome
    from lake.config import Settings

__all__ = ["demo", "next_commands", "register"]

_GOLD_QUERY = ("SELECT clinic_id, sum(visits) AS visits, round(sum(disease_rate * visits) / sum(visits), 3) "
               "AS disease_rate FROM gold.heart_daily_by_clinic GROUP BY clinic_id ORDER BY clinic_id")


def next_commands(settings: Settings, flag: str, report: Path | None, *, moto: bool) -> list[tuple[str, str]]:
    """``(command, what it shows)`` to try after the demo."""
    from lake.ml.tracking import mlflow_executable, open_tracking

    lake = f"lake {flag}".rstrip() + " "
    out = [
        (f"{lake}catalog databases", "browse the catalog"),
        (f"{lake}catalog tables gold", "the gold layer's tables and views"),
        (f"{lake}sql {shlex.quote(_GOLD_QUERY)}", "query a gold table"),
        (f"{lake}model show heart_risk@champion", "the registered model: metrics, lineage"),
        (f"{lake}pipeline runs demo", "the run history (logs: lake pipeline logs RUN_ID)"),
    ]
    if report is not None:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        out.append((f"{opener} {shlex.quote(str(report))}", "the report"))
    try:
        store = open_tracking(settings)
        mlflow = " ".join(shlex.quote(p) for p in mlflow_executable())
        out.append((f"{lake}model ui", "the environment mlflow ui needs to read artifacts from the lake"))
        out.append((f"{mlflow} ui --backend-store-uri {shlex.quote(store.tracking_uri)}", "MLflow's UI"))
    except Exception:  # the hint must never fail the demo
        out.append((f"{lake}model ui", "the mlflow ui command for this lake"))
    if moto:
        out.append(("lake down", "stop the moto server (its data is gone with it)"))
    return out


def _board_console(as_json: bool) -> Any:
    return err_console if as_json else console


def demo(
    ctx: typer.Context,
    records: Annotated[int | None, typer.Option("--records", min=200, max=5_000_000,
                                                help="Labelled visits to simulate (default 4000); today's "
                                                     "unlabelled visits are a quarter of it.")] = None,
    params: Annotated[list[str] | None, typer.Option("--param", help="Set a [params] value of the demo "
                                                     "pipeline: NAME=VALUE (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON (progress goes to "
                                          "stderr).")] = False,
) -> None:
    """Run the whole lifecycle (simulate → ingest → … → train → serve → monitor) as pipeline demo, then a report."""
    from infra.cli.pipeline import parse_params
    from infra.demo.lake_setup import prepare_lake
    from infra.demo.progress import StageBoard
    from infra.demo.run import demo_params, load_demo_pipeline, run_demo_pipeline

    base = get_ctx(ctx)
    forced = "profile" not in base.settings.sources
    cli = CliContext({**base.overrides, "profile": "moto"}) if forced else base
    settings = cli.settings
    flag = "--profile moto" if forced else ""
    say = _board_console(as_json).print
    began = time.monotonic()
    logical = datetime.now(UTC).replace(microsecond=0)
    pipeline = load_demo_pipeline()
    pipeline = pipeline.with_params({**demo_params(records, logical), **parse_params(params or [])})
    setup = prepare_lake(settings)
    _say_setup(say, setup)
    cancel = threading.Event()
    board = StageBoard(pipeline.order(), _board_console(as_json), title=f"demo · {setup.profile.lake_uri}")
    with board:
        outcome = run_demo_pipeline(settings, setup.profile, pipeline, logical, on_step=board.step_changed,
                                    cancel=cancel)
    seconds = time.monotonic() - began
    _finish(settings, setup, outcome, seconds, flag=flag, as_json=as_json, params=dict(pipeline.params))


def _say_setup(say: Any, setup: LakeSetup) -> None:
    profile = setup.profile
    if setup.started_moto:
        say(f"started the embedded moto server at {setup.moto_endpoint} (S3, Kinesis, Glue); it keeps running "
            "after the demo — `lake down` stops it", highlight=False, markup=False, soft_wrap=True)
    if setup.pruned:
        say(f"the lake was empty (moto keeps data in memory only): removed {len(setup.pruned)} stale catalog "
            f"entries of its earlier data", highlight=False, markup=False, soft_wrap=True)
    say(f"lake {profile.lake_uri} (profile {profile.name}); pipeline demo (infra/pipelines/specs/demo.toml)",
        highlight=False, markup=False, soft_wrap=True)


def _finish(settings: Settings, setup: LakeSetup, outcome: DemoOutcome, seconds: float, *, flag: str,
            as_json: bool, params: dict[str, str]) -> None:
    from infra.demo.errors import DemoError, DemoStageFailedError
    from infra.demo.progress import summary_table
    from infra.report import local_report_path, report_subpath

    run = outcome.result.run
    report_step = next((s for s in outcome.steps if s.step == "report"), None)
    report = local_report_path(settings.home, run.run_id)
    has_report = report_step is not None and report_step.status.value == "success" and report.is_file()
    uri = setup.profile.resolve(report_subpath(run.run_id)) if has_report else None
    moto = setup.profile.kind == "moto"
    commands = next_commands(settings, flag, report if has_report else None, moto=moto)
    if as_json:
        print_json({
            "run_id": run.run_id, "status": run.status.value, "seconds": round(seconds, 1),
            "lake": setup.profile.lake_uri, "profile": setup.profile.name, "moto_started": setup.started_moto,
            "params": params,
            "stages": [{"stage": s.step, "status": s.status.value, "rows": outcome.rows.get(s.step),
                        "seconds": (s.ended_at - s.started_at).total_seconds() if s.started_at and s.ended_at
                        else None, "error": s.error, "log": s.log_location} for s in outcome.steps],
            "report": {"path": str(report), "uri": uri} if has_report else None,
            "next": [c for c, _ in commands],
        })
    else:
        title = f"demo run {run.run_id}: {run.status.value} in {seconds:.1f}s"
        console.print(summary_table(outcome.steps, outcome.rows, title=title))
        if has_report:
            console.print(f"report: {report}", highlight=False, markup=False, soft_wrap=True)
            console.print(f"        {uri}", highlight=False, markup=False, soft_wrap=True)
        console.print("next:", highlight=False, markup=False)
        width = max(len(c) for c, _ in commands if len(c) < 70)
        for command, what in commands:
            pad = " " * max(1, width - len(command) + 2)
            console.print(f"  {command}{pad}# {what}", highlight=False, markup=False, soft_wrap=True)
    failed = outcome.failed
    if failed is not None:
        logs = f"lake {flag} pipeline logs {run.run_id} --step {failed.step}".replace("  ", " ")
        raise DemoStageFailedError(stage=failed.step, status=failed.status.value, error=failed.error or "failed",
                                   log=failed.log_location or "-", logs_command=logs)
    if not outcome.result.ok:
        raise DemoError(message=f"demo run {run.run_id} {run.status.value}: {run.error or 'not every stage ran'}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
