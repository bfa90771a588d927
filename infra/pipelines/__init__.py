"""Pipelines (Glue workflows): TOML specs, a runner with transient-only retries, run history in
the lake, backfill, conditional triggers, a cron scheduler and Airflow DAG export.

Heavier parts are imported from their modules: :mod:`infra.pipelines.delta_history` (Delta
run history; Spark at the first write) and :mod:`infra.pipelines.airflow` (DAG export).
"""

from pathlib import Path

from infra.pipelines.backfill import BackfillItem, Reprocess, backfill, plan_backfill
from infra.pipelines.cron import logical_dates, resolve_logical_date
from infra.pipelines.errors import (
    CycleError,
    DuplicatePipelineError,
    HistoryUnavailableError,
    PipelineError,
    PipelineSpecError,
    RunActiveError,
    RunNotFoundError,
    TemplateError,
    UnknownPipelineError,
)
from infra.pipelines.history import (
    InMemoryRunHistory,
    PipelineRun,
    RunHistory,
    RunStatus,
    StepRun,
    StepStatus,
)
from infra.pipelines.runner import PipelineRunner, RunHandle, RunnerOptions, RunResult
from infra.pipelines.schedule import (
    PipelineStatus,
    Scheduler,
    next_fire_times,
    run_scheduler_loop,
    schedule_status,
)
from infra.pipelines.spec import (
    LAKE_COMMANDS,
    CatchUp,
    OnTrigger,
    Pipeline,
    Step,
    TriggerMode,
    TriggerStatus,
    get_pipeline,
    load_pipeline,
    load_pipelines,
)
from infra.pipelines.steps import ERROR_FILE_ENV, LakeLauncher, StepLauncher
from infra.pipelines.triggers import due_triggered_runs, run_triggered

SPECS_DIR = Path(__file__).resolve().parent / "specs"
"""The example pipelines shipped with lakeforge (``nightly``)."""

__all__ = [
    "ERROR_FILE_ENV",
    "LAKE_COMMANDS",
    "SPECS_DIR",
    "BackfillItem",
    "CatchUp",
    "CycleError",
    "DuplicatePipelineError",
    "HistoryUnavailableError",
    "InMemoryRunHistory",
    "LakeLauncher",
    "OnTrigger",
    "Pipeline",
    "PipelineError",
    "PipelineRun",
    "PipelineRunner",
    "PipelineSpecError",
    "PipelineStatus",
    "Reprocess",
    "RunActiveError",
    "RunHandle",
    "RunHistory",
    "RunNotFoundError",
    "RunResult",
    "RunStatus",
    "RunnerOptions",
    "Scheduler",
    "Step",
    "StepLauncher",
    "StepRun",
    "StepStatus",
    "TemplateError",
    "TriggerMode",
    "TriggerStatus",
    "UnknownPipelineError",
    "backfill",
    "due_triggered_runs",
    "get_pipeline",
    "load_pipeline",
    "load_pipelines",
    "logical_dates",
    "next_fire_times",
    "plan_backfill",
    "resolve_logical_date",
    "run_scheduler_loop",
    "run_triggered",
    "schedule_status",
]
