"""spark-submit entry point: run the model monitor of a registered version over a table, view or captured data.

    lake submit jobs/monitor.py -- heart_risk@champion --input bronze.heart_visits
    python jobs/monitor.py heart_risk@champion --input captured --ground-truth bronze.heart_truth --on inference_id

Prints the result as JSON; exit code 0 when the run completed (with or without violations;
``--fail-on-violations`` makes violations exit 3), 1 on a lakeforge error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)
import _job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("model", help="NAME, NAME:VERSION or NAME@ALIAS")
    parser.add_argument("--input", required=True, help="catalog table or view (db.name), or 'captured'")
    parser.add_argument("--where", help="only rows matching this SQL expression")
    parser.add_argument("--endpoint", help="endpoint whose capture to read (default: the model name)")
    parser.add_argument("--ground-truth", help="table with late labels")
    parser.add_argument("--on", help="id column(s) joining the ground truth, comma-separated")
    parser.add_argument("--dialect", default="spark")
    parser.add_argument("--fail-on-violations", action="store_true", help="exit 3 when violations were found")
    _job.add_lake_args(parser, master=True)
    args = parser.parse_args(argv)
    return _job.run("monitor", lambda: _monitor(args))


def _monitor(args: argparse.Namespace) -> int:

    from catalog.inference.monitor import run_catalog_monitor
    from catalog.stores import get_catalog
    from lake.ml.tracking import ModelRegistry, open_tracking
    from lake.spark.session import build_spark

    settings, profile = _job.job_settings(args)
    registry = ModelRegistry(open_tracking(settings, profile))
    spark = build_spark(settings, profile, app_name="lakeforge-monitor")
    keys = [c.strip() for c in args.on.split(",") if c.strip()] if args.on else None
    with get_catalog(settings, profile) as store:
        outcome = run_catalog_monitor(spark, store, profile, registry, args.model, args.input, where=args.where,
                                      endpoint=args.endpoint, ground_truth=args.ground_truth, on=keys,
                                      dialect=args.dialect)
    print(json.dumps(outcome.to_dict(), default=str))
    return 3 if args.fail_on_violations and outcome.result.has_violations else 0


if __name__ == "__main__":
    sys.exit(main())
