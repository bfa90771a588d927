"""``lake ingest``: run the Kinesis → raw zone + bronze job in-process or via spark-submit."""

from __future__ import annotations

import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from infra.cli.context import console, get_ctx, print_json
from infra.errors import SparkSubmitMissingError
from lake.stream.ingest import (
    DEFAULT_MAX_RECORDS_PER_TRIGGER,
    DEFAULT_TRIGGER_SECONDS,
    IngestConfig,
    IngestQueryError,
    IngestTotals,
    check_sources,
    progress_line,
    run_ingest,
)

__all__ = ["JOB_SCRIPT", "ResetPosition", "register"]


class ResetPosition(StrEnum):
    """Where ``--reset-checkpoint`` starts the new checkpoint."""

    trim_horizon = "trim_horizon"
    latest = "latest"

JOB_SCRIPT = Path(__file__).resolve().parents[2] / "jobs" / "ingest_stream.py"


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    ctx: typer.Context,
    stream: str = typer.Option(..., "--stream", help="Kinesis stream to ingest."),
    available_now: bool = typer.Option(
        False, "--available-now", help="Process everything available now, then stop."
    ),
    trigger_seconds: float = typer.Option(
        DEFAULT_TRIGGER_SECONDS, "--trigger-seconds", help="Micro-batch interval (continuous mode)."
    ),
    max_records_per_trigger: int = typer.Option(
        DEFAULT_MAX_RECORDS_PER_TRIGGER, "--max-records-per-trigger",
        help="Most records per micro-batch (admission control).",
    ),
    starting_position: str = typer.Option(
        "trim_horizon", "--starting-position",
        help="Where a new job starts: trim_horizon, latest or at_timestamp.",
    ),
    starting_timestamp: str | None = typer.Option(
        None, "--starting-timestamp", help="With at_timestamp: ISO-8601 or epoch milliseconds."
    ),
    job_name: str | None = typer.Option(
        None, "--job-name", help="Job name, keys the checkpoint (default ingest-<stream>)."
    ),
    event_time_field: str = typer.Option(
        "event_time", "--event-time-field", help="JSON field holding the event time."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Stop after this many seconds (continuous mode)."
    ),
    reset_checkpoint: ResetPosition | None = typer.Option(
        None, "--reset-checkpoint",
        help="Move the job's checkpoint aside (to <checkpoint>.reset-<UTC time>, never deleted) "
        "and start a new one at trim_horizon or latest: the way out of a checkpoint that does "
        "not match the stream (e.g. the stream was recreated).",
    ),
    allow_data_loss: bool = typer.Option(
        False, "--allow-data-loss",
        help="Skip records that expired from the stream before they were read, counting them "
        "as lost (records_lost in _meta/ingest_metrics), instead of failing.",
    ),
    spark_submit: bool = typer.Option(
        False, "--spark-submit", help="Run jobs/ingest_stream.py through spark-submit."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Re-point catalog names that are registered at another location."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Ingest a Kinesis stream into the raw zone (gzip NDJSON) and a bronze Delta table."""
    cli = get_ctx(ctx)
    config = IngestConfig(
        stream=stream, job_name=job_name, available_now=available_now,
        trigger_seconds=trigger_seconds, max_records_per_trigger=max_records_per_trigger,
        starting_position=starting_position, starting_timestamp=starting_timestamp,
        event_time_field=event_time_field, timeout_seconds=timeout,
        reset_checkpoint=reset_checkpoint.value if reset_checkpoint else None,
        allow_data_loss=allow_data_loss,
    )
    if spark_submit:
        raise typer.Exit(_submit(cli, config, replace=replace))
    _check_catalog(cli, config, replace)
    check_sources(cli.profile, config)
    spark = cli.spark(f"lakeforge-{config.job}")
    def say(metrics: Any) -> None:
        if not as_json:
            console.print(progress_line(metrics), highlight=False, soft_wrap=True)

    try:
        totals = run_ingest(spark, cli.profile, config, progress=say)
    except IngestQueryError as exc:  # say what was ingested before the query failed; the boundary says why
        if isinstance(exc.totals, IngestTotals) and not as_json:
            _say_totals(config, exc.totals)
        raise
    from catalog.registration import register_job_tables

    registered = register_job_tables(cli.settings, cli.profile, config.catalog_tables(),
                                     job=config.job, replace=replace)
    summary: dict[str, Any] = {
        "stream": config.stream, "job": config.job, "batches": totals.batches,
        "records_in": totals.records_in, "valid_records": totals.valid_records,
        "error_records": totals.error_records, "rescued_records": totals.rescued_records,
        "records_lost": totals.records_lost, "uncounted_loss_gaps": totals.uncounted_loss_gaps,
        "checkpoint_moved_to": totals.checkpoint_moved_to,
        "last_batch_id": totals.last_batch_id, "bronze_version": totals.bronze_version,
        "new_columns": totals.new_columns,
        "catalog_tables": registered,
        "bronze_table": cli.profile.resolve(config.bronze_table),
        "raw_prefix": cli.profile.resolve(f"{config.raw_prefix}/{config.stream}"),
    }
    if as_json:
        print_json(summary)
    else:
        _say_totals(config, totals)


def _say_totals(config: IngestConfig, totals: IngestTotals) -> None:
    if totals.checkpoint_moved_to:
        console.print(
            f"ingest {config.stream}: checkpoint reset to {config.reset_checkpoint}; the old one "
            f"was moved aside to {totals.checkpoint_moved_to}", highlight=False, soft_wrap=True,
        )
    console.print(totals.summary_line(config.stream), highlight=False, soft_wrap=True)


def _check_catalog(cli: Any, config: IngestConfig, replace: bool) -> None:
    """Refuse before ingesting if a table this job registers is in the catalog at another location."""
    from catalog.registration import check_job_tables

    store = cli.catalog()
    check_job_tables(store, cli.profile, config.catalog_tables(), replace=replace)


def _job_args(config: IngestConfig) -> list[str]:
    args = [
        "--stream", config.stream, "--trigger-seconds", str(config.trigger_seconds),
        "--max-records-per-trigger", str(config.max_records_per_trigger),
        "--starting-position", config.starting_position,
        "--event-time-field", config.event_time_field,
    ]
    if config.available_now:
        args.append("--available-now")
    if config.job_name:
        args += ["--job-name", config.job_name]
    if config.starting_timestamp:
        args += ["--starting-timestamp", config.starting_timestamp]
    if config.timeout_seconds is not None:
        args += ["--timeout", str(config.timeout_seconds)]
    if config.reset_checkpoint:
        args += ["--reset-checkpoint", config.reset_checkpoint]
    if config.allow_data_loss:
        args.append("--allow-data-loss")
    return args


def _submit(cli: Any, config: IngestConfig, *, replace: bool = False) -> int:
    """Run the job script through spark-submit; the conf goes in a 0600 properties file."""
    from lake.spark.session import spark_home, submit_args

    settings, profile = cli.settings, cli.profile
    if not JOB_SCRIPT.is_file():
        raise SparkSubmitMissingError(JOB_SCRIPT)
    properties = settings.home / "spark-submit" / f"{config.job}.properties"
    args = submit_args(settings, profile, app_name=f"lakeforge-{config.job}", properties_file=properties)
    launcher = str(spark_home() / "bin" / "spark-submit")
    command = [launcher, *args, str(JOB_SCRIPT), *_job_args(config), *(["--replace"] if replace else [])]
    env = dict(os.environ)
    for key, value in cli.overrides.items():
        if value is not None and key in ("profile", "lake"):
            env[f"LAKEFORGE_{key.upper()}"] = str(value)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return subprocess.call(command, env=env)
