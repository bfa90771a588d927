"""spark-submit entry point: ingest a Kinesis stream into the raw zone and bronze.

    spark-submit <conf> jobs/ingest_stream.py --stream heart [--available-now]

Settings (profile, lake, endpoints) come from ``lakeforge.toml`` and ``LAKEFORGE_*``.
Exit code 0 on success (caught up or stopped), 1 with a one-line error otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)

from catalog.registration import check_job_tables, register_job_tables
from catalog.stores import get_catalog
from lake.config import load_settings
from lake.errors import LakeforgeError
from lake.spark.session import build_spark
from lake.storage import get_profile
from lake.stream.ingest import (
    DEFAULT_MAX_RECORDS_PER_TRIGGER,
    DEFAULT_TRIGGER_SECONDS,
    RESET_POSITIONS,
    IngestConfig,
    IngestQueryError,
    IngestTotals,
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
    p.add_argument("--reset-checkpoint", choices=RESET_POSITIONS,
                   help="move the checkpoint aside (never deleted) and start a new one here")
    p.add_argument("--allow-data-loss", action="store_true",
                   help="count records that expired from the stream unread instead of failing")
    p.add_argument("--replace", action="store_true",
                   help="re-point catalog names registered at another location")
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
            reset_checkpoint=args.reset_checkpoint, allow_data_loss=args.allow_data_loss,
        )
        settings = load_settings()
        profile = get_profile(settings)
        with get_catalog(settings, profile) as store:
            check_job_tables(store, profile, config.catalog_tables(), replace=args.replace)
        spark = build_spark(settings, profile, app_name=f"lakeforge-{config.job}")
        totals = run_ingest(
            spark, profile, config, progress=lambda m: print(progress_line(m), flush=True)
        )
        register_job_tables(settings, profile, config.catalog_tables(), job=config.job, replace=args.replace)
    except IngestQueryError as exc:  # say what the run did before it stopped
        if isinstance(exc.totals, IngestTotals):
            print(exc.totals.summary_line(args.stream), flush=True)
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except LakeforgeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    if totals.checkpoint_moved_to:
        print(f"ingest {config.stream}: checkpoint reset to {config.reset_checkpoint}; the old "
              f"one was moved aside to {totals.checkpoint_moved_to}", flush=True)
    print(totals.summary_line(config.stream), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
