"""spark-submit entry point: run declared ETL tables (``CREATE OR REFRESH TABLE``) once.

    lake submit jobs/etl.py -- silver.heart_visits
    python jobs/etl.py --all [--full-refresh] [--json]

Each table runs incrementally from its bookmarks (or recomputes, or is a no-op) with its quality
gates; ``--all`` runs every declared table in dependency order. Prints one line (or one JSON
object with ``--json``) per table; exit code 0 when every run succeeded or had nothing to do, 1
when a quality gate stopped a table (or a lakeforge error occurred).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)


def _line(result: dict[str, Any]) -> str:
    if result["status"] in ("skipped", "dropped"):
        return f"{result['table']}: {result['status']} ({result['reason']})"
    if result["status"] == "failed":
        return f"{result['table']}: FAILED: {result['error']}"
    return (f"{result['table']}: {result['mode']} ({result['reason']}): read {result['rows_read']:,}, "
            f"wrote {result['rows_written']:,}, quarantined {result['rows_quarantined']:,}, "
            f"duplicates {result['duplicates']:,}; {result['seconds']:.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("name", nargs="?", help="the ETL table to run (db.name)")
    parser.add_argument("--all", action="store_true", help="run every declared ETL table in dependency order")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild from the sources' current snapshots")
    parser.add_argument("--json", action="store_true", help="one JSON object per table")
    parser.add_argument("--no-docs", action="store_true", help="skip building Data Docs")
    parser.add_argument("--profile")
    parser.add_argument("--lake")
    parser.add_argument("--catalog", help="catalog store: embedded or glue")
    args = parser.parse_args(argv)
    if bool(args.name) == bool(args.all):
        parser.error("give one ETL table name or --all")

    from catalog.etl import run_all, run_etl_table
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.errors import LakeforgeError
    from lake.spark.session import build_spark
    from lake.storage import get_profile

    try:
        settings = load_settings({"profile": args.profile, "lake": args.lake, "catalog.store": args.catalog})
        profile = get_profile(settings)
        with get_catalog(settings, profile) as store:
            spark = build_spark(settings, profile, app_name="etl")
            options = {"full_refresh": args.full_refresh, "publish_docs": not args.no_docs}
            results = (run_all(spark, store, profile, **options) if args.all
                       else [run_etl_table(spark, store, profile, args.name, **options)])
    except LakeforgeError as exc:
        print(f"etl failed: {exc}", file=sys.stderr)
        return 1
    for result in results:
        print(json.dumps(result, default=str) if args.json else _line(result), flush=True)
    return 1 if any(r["status"] in ("failed", "skipped") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
