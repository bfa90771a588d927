"""spark-submit entry point: ingest a Kinesis stream into the raw zone and bronze.

    spark-submit <conf> jobs/ingest_stream.py --stream heart [--available-now]

Settings (profile, lake, endpoints) come from ``lakeforge.toml`` and ``LAKEFORGE_*``.
Exit code 0 on success (caught up or stopped), 1 with a one-line error otherwise.
"""

from __future__ import annotations

import argparse
import sys

from catalog.registration import register_job_tables
from lake.config import load_settings
from lake.errors import LakeforgeError
from lake.spark.session import build_spark
from lake.storage import get_profile
from lake.stream.ingest import (
    DEFAULT_MAX_RECORDS_PER_TRIGGER,
    DEFAULT_TRIGGER_SECONDS,
    IngestConfig,
    progress_line,
    run_ingest,
)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ingest_stream", description=__doc__.splitlines()[0])
    p.add_argument("--stream", required=True)
    p.add_argument("--job-name")
    p.add_argument("--available-now", action="store_true")
    p.add_argument("--trigger-seconds", type=float, default=DEFAULT_TRIGGER_SECONDS)
    p.add_argument("--max-records-per-trigger", type=int, default=DEFAULT_MAX_RECORDS_PER_TRIGGER)
    p.add_argument("--starting-position", default="trim_horizon")
    p.add_argument("--starting-timestamp")
    p.add_argument("--event-time-field", default="event_time")
    p.add_argument("--timeout", type=float, help="stop after this many seconds (continuous mode)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        config = IngestConfig(
            stream=args.stream, job_name=args.job_name, available_now=args.available_now,
            trigger_seconds=args.trigger_seconds,
            max_records_per_trigger=args.max_records_per_trigger,
            starting_position=args.starting_position, starting_timestamp=args.starting_timestamp,
            event_time_field=args.event_time_field, timeout_seconds=args.timeout,
        )
        settings = load_settings()
        profile = get_profile(settings)
        spark = build_spark(settings, profile, app_name=f"lakeforge-{config.job}")
        totals = run_ingest(
            spark, profile, config, progress=lambda m: print(progress_line(m), flush=True)
        )
        register_job_tables(settings, profile, config.catalog_tables(), job=config.job)
    except LakeforgeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    print(
        f"ingest {config.stream}: {totals.batches} batches, {totals.records_in:,} records "
        f"({totals.valid_records:,} valid, {totals.error_records:,} errors, "
        f"{totals.rescued_records:,} rescued)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
