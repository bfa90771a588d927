"""``lake pipeline …``: list, show, run, backfill and inspect pipelines; export them to Airflow.

Pipelines are the TOML files in the folders of the ``pipelines.dirs`` setting (default:
``infra/pipelines/specs`` of the project) plus every ``--pipelines DIR``. Runs are recorded in
the lake (``ops.pipeline_runs``, ``ops.step_runs``; step logs under ``_pipelines/logs/``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from infra.cli.context import CliContext, console, err_console, get_ctx, print_json
from infra.errors import InvalidOptionError
from infra.pipelines.backfill import Reprocess

if TYPE_CHECKING:
    from infra.pipelines import Pipeline, PipelineRun, PipelineRunner, RunHistory, RunResult, StepRun
    from infra.pipelines.delta_history import DeltaRunHistory
    from lake.config import Settings

__all__ = ["load_all", "open_history", "parse_params", "pipeline_folders", "register"]

pipeline_app = typer.Typer(
    name="pipeline",
    help="Pipelines of lake commands and spark-submit jobs: list, show, run, backfill, runs, logs, Airflow export.",
    no_args_is_help=True,
)

PipelinesOption = Annotated[
    list[Path] | None,
    typer.Option("--pipelines", help="A folder of pipeline files (repeatable), besides the pipelines.dirs setting."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_STATUS_STYLE = {"success": "green", "failed": "red", "running": "yellow", "interrupted": "magenta",
                 "upstream_failed": "red", "pending": "dim"}


# ------------------------------------------------------------------ shared with `lake schedule`
def pipeline_folders(settings: Settings, extra: list[Path] | None = None) -> list[Path]:
    """The ``pipelines.dirs`` folders (the default one only if it exists), then ``extra``."""
    configured = "pipelines.dirs" in settings.sources
    folders = [d for d in settings.pipelines_dirs if configured or d.is_dir()]
    for folder in extra or []:
        resolved = folder.expanduser().resolve()
        if resolved not in folders:
            folders.append(resolved)
    return folders


def load_all(settings: Settings, extra: list[Path] | None = None) -> dict[str, Pipeline]:
    """Every pipeline of the folders, validated (``submit`` scripts are looked up in the project)."""
    from infra.pipelines import load_pipelines

    return load_pipelines(pipeline_folders(settings, extra), base_dir=settings.project_dir)


def open_history(cli: CliContext) -> DeltaRunHistory:
    """The run history in the lake (reads need no Spark; the first write starts it)."""
    from infra.pipelines.delta_history import DeltaRunHistory

    return DeltaRunHistory(cli.profile, settings=cli.settings)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None:
        return ""
    seconds = ((end or datetime.now(UTC)) - start).total_seconds()
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def _styled(status: str) -> str:
    style = _STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


def _parse_day(option: str, value: str) -> date:
    """The day ``value`` names (a date or an ISO-8601 date-time), or an error naming the option."""
    from infra.pipelines.cron import parse_when

    try:
        when = parse_when(value)
    except ValueError:
        raise InvalidOptionError(option, value, "a date (YYYY-MM-DD) or an ISO-8601 date-time") from None
    return when.date() if isinstance(when, datetime) else when


def parse_params(values: list[str]) -> dict[str, str]:
    """``["records=200", …]`` (``--param`` values) → ``{"records": "200", …}``."""
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise InvalidOptionError("--param", value, "NAME=VALUE (a parameter of the pipeline's [params])")
        out[name.strip()] = text
    return out


def _step_action(step: Any) -> str:
    args = " ".join(step.args)
    head = f"lake {step.command}" if step.command is not None else f"submit {step.submit}"
    return f"{head} {args}".strip()


# --------------------------------------------------------------------------- progress
class _Progress:
    """Per-step progress of the runs a command starts: a live table on a terminal, lines otherwise."""

    def __init__(self, pipelines: Mapping[str, Pipeline], *, enabled: bool) -> None:
        self.pipelines = pipelines
        self.enabled = enabled
        self.run: PipelineRun | None = None
        self.steps: dict[str, StepRun] = {}
        self._live: Live | None = None

    def __enter__(self) -> _Progress:
        if self.enabled and err_console.is_terminal:
            self._live = Live(self, console=err_console, refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()

    def run_changed(self, run: PipelineRun) -> None:
        if self.run is None or run.run_id != self.run.run_id:
            self.steps = {}
        self.run = run
        if self.enabled and self._live is None and run.finished:
            err_console.print(f"{run.pipeline} {run.ds}: run {run.run_id} {run.status.value}", highlight=False,
                              markup=False, soft_wrap=True)

    def step_changed(self, step: StepRun) -> None:
        self.steps[step.step] = step
        if not self.enabled or self._live is not None:
            return
        detail = f" (attempt {step.attempts})" if step.attempts > 1 or step.status.value == "running" else ""
        took = f" in {_seconds(step.started_at, step.ended_at)}" if step.ended_at and step.started_at else ""
        error = f": {step.error}" if step.error and step.status.value != "running" else ""
        err_console.print(f"{step.pipeline} {step.ds}: {step.step} {step.status.value}{detail}{took}{error}",
                          highlight=False, markup=False, soft_wrap=True)

    def __rich__(self) -> Table:
        run = self.run
        pipeline = self.pipelines.get(run.pipeline) if run else None
        title = f"{run.pipeline} · {run.ds} · run {run.run_id}" if run else "starting"
        table = Table("stage", "status", "attempt", "elapsed", "", title=title, title_justify="left")
        order = pipeline.order() if pipeline else list(self.steps)
        for name in order:
            step = self.steps.get(name)
            if step is None:
                table.add_row(name, _styled("pending"), "", "", "")
                continue
            note = (step.error or "")[:80] if step.status.value != "running" else ""
            table.add_row(name, _styled(step.status.value), str(step.attempts or ""),
                          _seconds(step.started_at, step.ended_at), note)
        return table


class _ReportingHistory:
    """A run history that forwards every call and reports run and step changes to a :class:`_Progress`."""

    def __init__(self, inner: RunHistory, progress: _Progress, after_run_record: Callable[[], None]) -> None:
        self.inner = inner
        self.progress = progress
        self.after_run_record = after_run_record

    def record_run(self, run: PipelineRun) -> PipelineRun:
        recorded = self.inner.record_run(run)
        self.after_run_record()
        self.progress.run_changed(recorded)
        return recorded

    def record_step(self, step: StepRun) -> StepRun:
        recorded = self.inner.record_step(step)
        self.progress.step_changed(recorded)
        return recorded

    def runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        return self.inner.runs(pipeline)

    def get_run(self, run_id: str) -> PipelineRun:
        return self.inner.get_run(run_id)

    def step_runs(self, run_id: str) -> list[StepRun]:
        return self.inner.step_runs(run_id)

    def store_log(self, run: PipelineRun, step: str, local_path: Path) -> str:
        return self.inner.store_log(run, step, local_path)

    def read_log(self, location: str) -> str:
        return self.inner.read_log(location)

    def run_finished(self, run: PipelineRun) -> None:
        self.inner.run_finished(run)

    def scheduler_state(self) -> dict[str, Any]:
        return self.inner.scheduler_state()

    def save_scheduler_state(self, state: Mapping[str, Any]) -> None:
        self.inner.save_scheduler_state(state)


class _CtrlC:
    """Ctrl-C sets ``event``: the runner then stops its steps and records the run ``interrupted``.

    Starting Spark (at the history's first write) installs PySpark's own SIGINT handler, which
    would raise KeyboardInterrupt and leave the steps running: :meth:`arm` takes SIGINT back.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: Any = None

    def arm(self) -> None:
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda *_: self.event.set())
            if self._previous is None:
                self._previous = previous

    def __enter__(self) -> _CtrlC:
        self.arm()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _runner(cli: CliContext, progress: _Progress, ctrl_c: _CtrlC) -> PipelineRunner:
    from infra.pipelines import PipelineRunner, RunnerOptions

    history = _ReportingHistory(open_history(cli), progress, ctrl_c.arm)
    return PipelineRunner(history, RunnerOptions.from_settings(cli.settings))


# ---------------------------------------------------------------------------- output
def _summary(result: RunResult) -> Table:
    run = result.run
    state = "already succeeded: nothing ran" if result.skipped else run.status.value
    title = (f"{run.pipeline} · {run.ds} · run {run.run_id} · {_styled(state)}"
             f" · {_seconds(run.started_at, run.ended_at)}")
    table = Table("step", "status", "attempts", "elapsed", "error", title=title, title_justify="left")
    for step in result.steps:
        table.add_row(step.step, _styled(step.status.value), str(step.attempts), _seconds(step.started_at,
                      step.ended_at), step.error or "")
    return table


def _result_json(result: RunResult) -> dict[str, Any]:
    return {"run": result.run.to_dict(), "skipped": result.skipped, "steps": [s.to_dict() for s in result.steps]}


def _raise_failed(results: list[RunResult]) -> None:
    from infra.pipelines import RunStatus
    from infra.pipelines.errors import RunFailedError

    failed = [r.run for r in results if not r.skipped and r.run.status != RunStatus.SUCCESS]
    if failed:
        first = failed[0]
        raise RunFailedError(first.pipeline, first.ds, first.run_id, first.status.value, first.error or "failed",
                             others=len(failed) - 1)


# --------------------------------------------------------------------------- commands
@pipeline_app.command("list")
def list_pipelines(ctx: typer.Context, pipelines: PipelinesOption = None, as_json: JsonOption = False) -> None:
    """List the pipelines: schedule or trigger, next fire time, steps, file."""
    from infra.pipelines import next_fire_times

    settings = get_ctx(ctx).settings
    found = load_all(settings, pipelines)
    fires = next_fire_times(found, datetime.now(UTC))
    if as_json:
        print_json([{**p.to_dict(), "next_fire": _iso(fires[n])} for n, p in found.items()])
        return
    if not found:
        folders = ", ".join(str(f) for f in pipeline_folders(settings, pipelines)) or "none"
        console.print(f"no pipelines (folders: {folders}); add one with --pipelines DIR or the pipelines.dirs "
                      "setting", highlight=False)
        return
    table = Table("pipeline", "schedule / trigger", "next fire (UTC)", "steps", "file")
    for name, p in found.items():
        trigger = p.schedule or (f"on {p.on.mode.value} of {', '.join(p.on.pipelines)} {p.on.status.value}"
                                 if p.on else "on demand")
        table.add_row(name, trigger, _when(fires[name]), str(len(p.steps)), str(p.path or ""))
    console.print(table)


@pipeline_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.")],
    pipelines: PipelinesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a pipeline: triggers, limits, defaults and each step with its dependencies."""
    from infra.pipelines import get_pipeline, next_fire_times

    found = load_all(get_ctx(ctx).settings, pipelines)
    p = get_pipeline(found, name)
    fire = next_fire_times({name: p}, datetime.now(UTC))[name]
    if as_json:
        print_json({**p.to_dict(), "order": p.order(), "next_fire": _iso(fire)})
        return
    d = p.defaults
    lines = [
        f"pipeline  {p.name}" + (f" — {p.description}" if p.description else ""),
        f"file      {p.path}",
        f"schedule  {p.schedule or '-'}" + (f" (next {_when(fire)} UTC, catchup {p.catchup.value})" if fire else ""),
    ]
    if p.on:
        lines.append(f"trigger   on {p.on.mode.value} of {', '.join(p.on.pipelines)} {p.on.status.value}")
    if p.params:
        values = ", ".join(f"{k}={v}" for k, v in p.params.items())
        lines.append(f"params    {values} (override: --param NAME=VALUE)")
    lines.append(f"limits    {p.max_concurrency} steps at once; defaults: retries {d.retries} (transient errors "
                 f"only), retry delay {d.retry_delay:g}s…{d.max_retry_delay:g}s, timeout "
                 f"{f'{d.timeout:g}s' if d.timeout else 'none'}")
    for line in lines:
        console.print(line, highlight=False, markup=False)
    table = Table("step", "runs", "depends on", "retries", "timeout")
    for name_ in p.order():
        s = p.step(name_)
        table.add_row(s.name, _step_action(s), ", ".join(s.depends_on), str(s.retries),
                      f"{s.timeout:g}s" if s.timeout else "")
    console.print(table)


@pipeline_app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.")],
    date: Annotated[str | None, typer.Option("--date", help="Logical date (YYYY-MM-DD or ISO date-time; "
                                             "default today's tick).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Run again even if this date already succeeded.")] = False,
    triggers: Annotated[bool, typer.Option("--triggers/--no-triggers",
                                           help="Then run the pipelines this run triggers (`on`).")] = True,
    params: Annotated[list[str] | None, typer.Option(
        "--param", help="Set a [params] value for this run: NAME=VALUE (repeatable).")] = None,
    pipelines: PipelinesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline for one logical date in the foreground, then what it triggers."""
    from infra.pipelines import get_pipeline, run_triggered

    cli = get_ctx(ctx)
    found = load_all(cli.settings, pipelines)
    p = get_pipeline(found, name).with_params(parse_params(params or []))
    found = {**found, p.name: p}
    if date:
        _parse_day("--date", date)
    with _Progress(found, enabled=not as_json) as progress, _CtrlC() as ctrl_c:
        runner = _runner(cli, progress, ctrl_c)
        results = [runner.run(p, date, force=force, cancel=ctrl_c.event)]
        if triggers and not results[0].skipped and not ctrl_c.event.is_set():
            results += run_triggered(runner, found, results[0].run)
    if as_json:
        print_json({**_result_json(results[0]), "triggered": [_result_json(r) for r in results[1:]]})
    else:
        for result in results:
            console.print(_summary(result))
        if results[0].skipped:
            console.print("use --force to run it again, or `lake pipeline backfill … --reprocess completed`",
                          highlight=False)
        else:
            console.print(f"logs: lake pipeline logs {results[0].run.run_id}", highlight=False, markup=False)
    _raise_failed(results)


@pipeline_app.command("backfill")
def backfill_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.")],
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Last day (YYYY-MM-DD), inclusive.")],
    reprocess: Annotated[Reprocess, typer.Option(
        "--reprocess", help="Dates already run: none (skip them), failed (re-run failed/interrupted), "
        "completed (re-run all).")] = Reprocess.NONE,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would run.")] = False,
    pipelines: PipelinesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline for every logical date from --start to --end, oldest first."""
    from infra.pipelines import backfill, get_pipeline, plan_backfill

    cli = get_ctx(ctx)
    p = get_pipeline(load_all(cli.settings, pipelines), name)
    mode = reprocess
    if _parse_day("--end", end) < _parse_day("--start", start):
        raise InvalidOptionError("--end", end, f"a date on or after --start {start}")
    if dry_run:
        items = plan_backfill(p, open_history(cli), start, end, mode)
    else:
        found = {p.name: p}
        with _Progress(found, enabled=not as_json) as progress, _CtrlC() as ctrl_c:
            items = backfill(_runner(cli, progress, ctrl_c), p, start, end, reprocess=mode, cancel=ctrl_c.event)
    if as_json:
        print_json({"pipeline": p.name, "dry_run": dry_run, "reprocess": mode.value,
                    "dates": [i.to_dict() for i in items]})
    else:
        table = Table("logical date", "action", "status", "run", "reason",
                      title=f"backfill {p.name} {start} … {end} (reprocess {mode.value})", title_justify="left")
        for item in items:
            status = item.result.run.status.value if item.result else ""
            table.add_row(_when(item.logical_date), "run" if item.run else "skip", _styled(status) if status else "",
                          item.result.run.run_id if item.result else "", item.reason)
        console.print(table)
    _raise_failed([i.result for i in items if i.result is not None])


@pipeline_app.command("runs")
def runs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent runs to show.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The recorded runs of a pipeline (from ops.pipeline_runs), most recent logical date last."""
    history = open_history(get_ctx(ctx))
    found = history.runs(name)[-limit:]
    steps = {r.run_id: history.step_runs(r.run_id) for r in found}
    if as_json:
        print_json([{**r.to_dict(), "steps": [s.to_dict() for s in steps[r.run_id]]} for r in found])
        return
    if not found:
        console.print(f"no recorded runs of {name!r}", highlight=False)
        return
    table = Table("run", "logical date", "status", "trigger", "started", "elapsed", "steps ok", "error")
    for r in found:
        ok = sum(s.status.value == "success" for s in steps[r.run_id])
        table.add_row(r.run_id, _when(r.logical_date), _styled(r.status.value), r.trigger, _when(r.started_at),
                      _seconds(r.started_at, r.ended_at) if r.ended_at else "", f"{ok}/{len(steps[r.run_id])}",
                      r.error or "")
    console.print(table)


@pipeline_app.command("logs")
def logs(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (see `lake pipeline runs NAME`).")],
    step: Annotated[str | None, typer.Option("--step", help="Only this step's log.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the logs of a run's steps (kept in the lake under _pipelines/logs/)."""
    history = open_history(get_ctx(ctx))
    record = history.get_run(run_id)
    steps = history.step_runs(run_id)
    if step is not None:
        names = [s.step for s in steps]
        if step not in names:
            raise InvalidOptionError("--step", step, f"a step of run {run_id} ({', '.join(names) or 'none ran'})")
        steps = [s for s in steps if s.step == step]

    def _text(location: str | None) -> str:
        if not location:
            return "(no log: the step did not start)"
        try:
            return history.read_log(location)
        except OSError as exc:
            return f"(log unavailable at {location}: {exc})"

    if as_json:
        print_json({"run": record.to_dict(), "steps": [{**s.to_dict(), "log": _text(s.log_location)} for s in steps]})
        return
    for s in steps:
        console.print(f"==> {s.step}: {s.status.value}, {s.attempts} attempt(s) · {s.log_location or '-'} <==",
                      style="bold", highlight=False, markup=False)
        typer.echo(_text(s.log_location).rstrip("\n"))


@pipeline_app.command("export-airflow")
def export_airflow_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the DAG file (e.g. Airflow's dags/).")],
    lake_command: Annotated[str, typer.Option("--lake-command", help="How Airflow workers call lake.")] = "lake",
    pipelines: PipelinesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an Airflow 3 DAG file for a pipeline: one BashOperator per step running the same lake command."""
    from infra.pipelines import get_pipeline
    from infra.pipelines.airflow import export_airflow

    settings = get_ctx(ctx).settings
    found = load_all(settings, pipelines)
    p = get_pipeline(found, name)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidOptionError("--out", str(out_dir), "a folder (this is a file)")
    path = export_airflow(p, out_dir, pipelines=found, lake=lake_command, project_dir=str(settings.project_dir))
    if as_json:
        print_json({"pipeline": p.name, "path": str(path), "tasks": [s.name for s in p.steps]})
        return
    console.print(f"wrote {path} (dag_id {p.name!r}, {len(p.steps)} tasks)", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``lake pipeline …`` to the ``lake`` app."""
    app.add_typer(pipeline_app, name="pipeline")
