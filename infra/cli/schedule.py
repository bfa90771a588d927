"""``lake schedule start|stop|status``: the scheduler service that fires pipelines on their cron and triggers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from infra.cli.context import console, err_console, get_ctx, print_json
from infra.cli.pipeline import JsonOption, PipelinesOption, load_all, open_history, pipeline_folders
from infra.errors import InvalidOptionError
from lake.errors import LakeforgeError

__all__ = ["register"]

schedule_app = typer.Typer(
    name="schedule",
    help="The scheduler: a background service that runs pipelines on their cron and `on` triggers.",
    no_args_is_help=True,
)


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@schedule_app.command("start")
def start(
    ctx: typer.Context,
    pipelines: PipelinesOption = None,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between scheduler passes.")] = 15.0,
    max_active_runs: Annotated[int, typer.Option("--max-active-runs", help="Runs at once, all pipelines.")] = 2,
    drain_timeout: Annotated[float, typer.Option(
        "--drain-timeout", help="On stop, seconds active runs get to finish before they are interrupted.")] = 0.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the scheduler to be ready.")] = 120.0,
) -> None:
    """Start the scheduler in the background (recorded in the state file; `lake schedule stop` stops it)."""
    from infra.services.scheduler import SchedulerOptions, start_scheduler

    cli = get_ctx(ctx)
    folders = pipeline_folders(cli.settings, pipelines)
    if not folders:
        raise InvalidOptionError("--pipelines", "", "a folder of pipeline files (no pipelines.dirs folder exists)")
    found = load_all(cli.settings, pipelines)  # a bad pipeline file fails here, in one line
    overrides = tuple((k, str(v)) for k, v in cli.overrides.items() if v is not None)
    options = SchedulerOptions(tuple(folders), poll_interval, max_active_runs, drain_timeout, overrides)
    result = start_scheduler(cli.settings, options, timeout=timeout)
    entry = result.entry
    if result.replaced_stale:
        err_console.print("replaced a stale scheduler entry in the state file", highlight=False)
    verb = "running" if result.started else "already running"
    _say(f"scheduler {verb} (pid {entry['pid']}, log {entry['log']})")
    scheduled = [n for n, p in found.items() if p.schedule or p.on]
    _say(f"pipelines: {', '.join(scheduled) or 'none with a schedule or trigger'}; see `lake schedule status`")


@schedule_app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the scheduler (exactly the recorded process); its active runs are marked interrupted."""
    from infra.services.scheduler import stop_scheduler

    result = stop_scheduler(get_ctx(ctx).settings.home)
    entry = result.entry or {}
    if result.outcome == "stopped":
        _say(f"scheduler stopped (pid {entry.get('pid')})")
    elif result.outcome == "stale":
        _say(f"scheduler was not running (stale entry for pid {entry.get('pid')} removed)")
    else:
        _say("scheduler is not running")


@schedule_app.command("status")
def status(ctx: typer.Context, pipelines: PipelinesOption = None, as_json: JsonOption = False) -> None:
    """Whether the scheduler runs, and each pipeline's next fire time and last run."""
    from infra.pipelines import InMemoryRunHistory, schedule_status
    from infra.services.scheduler import scheduler_clock, scheduler_status

    cli = get_ctx(ctx)
    entry = scheduler_status(cli.settings.home)
    live = entry is not None and entry.get("status") != "stale"
    if live and entry and entry.get("pipelines_dirs") and not pipelines:
        extra = [Path(d) for d in entry["pipelines_dirs"]]
        from infra.pipelines import load_pipelines

        found = load_pipelines(extra, base_dir=cli.settings.project_dir)
    else:
        found = load_all(cli.settings, pipelines)
    now = scheduler_clock(str(entry.get("clock") or "") if entry else None)()
    rows: list[Any] = []
    history_error = None
    try:
        rows = schedule_status(found, open_history(cli), now)
    except LakeforgeError as exc:
        history_error = str(exc)
        rows = schedule_status(found, InMemoryRunHistory(), now)
    if as_json:
        print_json({"scheduler": entry, "now": now.isoformat(), "pipelines": [r.to_dict() for r in rows],
                    "history_error": history_error})
        return
    if entry is None:
        _say("scheduler is not running (start it with `lake schedule start`)")
    else:
        _say(f"scheduler {entry.get('status')}: pid {entry.get('pid')}, every {entry.get('poll_interval')}s, "
             f"log {entry.get('log')}" + (f", clock {entry['clock']}" if entry.get("clock") else ""))
    if history_error:
        err_console.print(f"run history unavailable: {history_error}", highlight=False, markup=False)
    if not rows:
        _say("no pipelines (add a folder with --pipelines DIR or the pipelines.dirs setting)")
        return
    table = Table("pipeline", "schedule / trigger", "next fire (UTC)", "last run", "logical date", "status",
                  "ended", title=f"now {_when(now)} UTC", title_justify="left")
    for r in rows:
        last = r.last_run
        table.add_row(r.name, r.schedule or r.trigger or "on demand", _when(r.next_fire),
                      last.run_id if last else "", last.ds if last else "", last.status.value if last else "",
                      _when(last.ended_at) if last else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``lake schedule …`` to the ``lake`` app."""
    app.add_typer(schedule_app, name="schedule")
