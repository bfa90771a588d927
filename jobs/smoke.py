"""spark-submit entry point: the smoke pipeline on the configured lake.

    lake submit jobs/smoke.py -- --table smoke/events --rows 20000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)

from catalog.registration import register_job_tables
from lake.config import load_settings
from lake.errors import LakeforgeError
from lake.smoke import run_smoke
from lake.spark.session import build_spark
from lake.storage import get_profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", default="smoke/events", help="table path under the lake")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile")
    parser.add_argument("--lake")
    parser.add_argument("--register", default="smoke.events",
                        help="catalog db.table to register the table as ('' to skip)")
    parser.add_argument("--replace", action="store_true",
                        help="re-point the catalog name if it is registered at another location")
    args = parser.parse_args(argv)
    try:
        settings = load_settings({"profile": args.profile, "lake": args.lake})
        profile = get_profile(settings)
        spark = build_spark(settings, profile, app_name="lakeforge-smoke")
        report = run_smoke(spark, profile, table=args.table, rows=args.rows)
        if args.register:
            register_job_tables(settings, profile, {args.register: report.table}, job="smoke",
                                replace=args.replace)
    except (LakeforgeError, RuntimeError) as exc:
        print(f"smoke failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
