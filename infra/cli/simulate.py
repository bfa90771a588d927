"""``lake simulate``: send generated records to a Kinesis stream (moto server or AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from infra.cli.context import console, err_console, get_ctx, print_json

__all__ = ["register"]

_SUMMARY_ROWS = (
    ("generated", "records generated"),
    ("sent", "entries accepted"),
    ("valid", "distinct valid records"),
    ("duplicates", "duplicates accepted"),
    ("malformed", "malformed accepted"),
    ("failed", "failed after retries"),
    ("retried", "entries resent"),
    ("retried_calls", "requests retried"),
    ("calls", "PutRecords calls"),
    ("late", "late events"),
    ("missing", "records with missing fields"),
    ("outliers", "records with outliers/anomalies"),
    ("drift_field_records", "records with the drift field"),
    ("drifted", "records with a string-typed value"),
    ("label_rate", "positive label rate"),
    ("bayes_optimal_auc", "Bayes-optimal ROC AUC"),
    ("bayes_auc_sample", "AUC of true p on these records"),
    ("effective_rate", "effective rate (entries/s)"),
    ("elapsed_s", "elapsed (s)"),
)


@contextmanager
def _progress_bar(enabled: bool, total: int | None, duration: float | None) -> Iterator[Any]:
    """A rich progress bar on stderr, or a no-op callback when disabled."""
    if not enabled:
        yield None
        return
    by_time = total is None
    columns = [
        TextColumn("[bold]simulate[/bold]"),
        BarColumn(),
        TextColumn("{task.fields[sent]} sent, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    if not by_time:
        columns.insert(2, MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(
            "simulate", total=duration if by_time else total, sent=0, failed=0
        )

        def update(p: Any) -> None:
            done = min(p.elapsed_s, duration or 0.0) if by_time else p.generated
            progress.update(task, completed=done, sent=p.sent, failed=p.failed)

        yield update


def _parse_start(text: str) -> datetime:
    from lake.stream.simulator import SimulatorConfigError, parse_event_time

    try:
        return parse_event_time(text)
    except ValueError:
        raise SimulatorConfigError("--start-time", text, "an ISO-8601 time") from None


def _print_summary(summary: Any) -> None:
    data = summary.to_dict()
    title = f"simulate {summary.generator} → stream {summary.stream}"
    table = Table(title=title, show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, label in _SUMMARY_ROWS:
        if data.get(key) is not None:
            table.add_row(label, str(data[key]))
    shards = ", ".join(f"{k.removeprefix('shardId-')}: {v}" for k, v in summary.per_shard.items())
    table.add_row(f"per shard ({summary.shards} open)", shards or "-")
    table.add_row("seed / start time", f"{summary.seed} / {summary.start_time}")
    if summary.ground_truth:
        table.add_row("ground truth", summary.ground_truth)
    console.print(table)


def simulate_command(
    ctx: typer.Context,
    stream: str | None = typer.Option(
        None, "--stream", help="Generator (heart | iot); also the stream name unless --stream-name."
    ),
    generator: str | None = typer.Option(
        None, "--generator", help="Generator when --stream names a stream: heart | iot."
    ),
    stream_name: str | None = typer.Option(None, "--stream-name", help="Kinesis stream name."),
    records: int | None = typer.Option(
        None, "--records", "-n", help="Records to generate (default 1000 unless --duration)."
    ),
    duration: str | None = typer.Option(
        None, "--duration", help="Send for this long (90, 90s, 15m, 2h); first of this/--records."
    ),
    rate: float = typer.Option(1000.0, "--rate", help="Records per second (0 = unlimited)."),
    shards: int = typer.Option(2, "--shards", help="Shards when the stream is created."),
    seed: int | None = typer.Option(
        None, "--seed", help="Random seed (default: random, reported)."
    ),
    start_time: str | None = typer.Option(
        None, "--start-time", help="Event time of record 0, ISO-8601 (UTC unless an offset)."
    ),
    missing_rate: float = typer.Option(0.0, "--missing-rate", help="Per-field null/absent rate."),
    outlier_rate: float = typer.Option(
        0.0, "--outlier-rate", help="Records with an implausible value (heart) or anomaly (iot)."
    ),
    duplicate_rate: float = typer.Option(
        0.0, "--duplicate-rate", help="Records sent twice (same record_id and bytes)."
    ),
    late_rate: float = typer.Option(0.0, "--late-rate", help="Records with an old event_time."),
    lateness: str = typer.Option("1h", "--lateness", help="Maximum lateness (90s, 15m, 2h)."),
    malformed_rate: float = typer.Option(
        0.0, "--malformed-rate", help="Entries whose bytes are not JSON."
    ),
    class_balance: float = typer.Option(
        0.45, "--class-balance", help="heart: population rate of heart_disease = 1."
    ),
    drift_after: int | None = typer.Option(
        None, "--drift-after", help="From record K on: a new field, and a numeric field as string."
    ),
    drift_string_rate: float = typer.Option(
        0.25, "--drift-string-rate", help="Share of drifted records with the string-typed value."
    ),
    unlabeled: bool = typer.Option(False, "--unlabeled", help="heart: leave out the label."),
    entities: int | None = typer.Option(
        None, "--entities", help="Patients (heart, default 500) or devices (iot, default 50)."
    ),
    ground_truth: Path | None = typer.Option(
        None, "--ground-truth", help="Write the distinct valid records accepted as ndjson here."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Send generated records to a Kinesis stream, creating it if needed."""
    from lake.stream.simulator import SimulatorConfig, parse_duration, simulate

    cli = get_ctx(ctx)
    config = SimulatorConfig(
        generator=generator or stream or "heart",
        stream_name=stream_name or stream or generator,
        records=records,
        duration=parse_duration(duration, "--duration") if duration else None,
        rate=rate,
        shards=shards,
        seed=seed,
        start_time=_parse_start(start_time) if start_time else None,
        missing_rate=missing_rate,
        outlier_rate=outlier_rate,
        duplicate_rate=duplicate_rate,
        late_rate=late_rate,
        lateness=parse_duration(lateness, "--lateness"),
        malformed_rate=malformed_rate,
        class_balance=class_balance,
        drift_after=drift_after,
        drift_string_rate=drift_string_rate,
        labeled=not unlabeled,
        entities=entities,
        ground_truth=ground_truth,
    )
    boto3_kwargs = cli.profile.boto3_kwargs()
    show_progress = not as_json and err_console.is_terminal
    with _progress_bar(show_progress, config.record_limit, config.duration) as update:
        summary = simulate(config, boto3_kwargs=boto3_kwargs, on_progress=update)
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
    if summary.failure is not None:  # what was sent is reported above; the boundary says why the rest was not
        raise summary.failure
    if summary.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
