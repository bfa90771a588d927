"""spark-submit entry point: apply a SQL library (every ``.sql`` file of a folder) in dependency order.

    lake submit jobs/build_views.py -- --folder infra/sql
    python jobs/build_views.py --folder infra/sql [--dialect athena] [--dry-run]

Each file's CREATE VIEW / CREATE TABLE targets and the tables it reads decide the order;
a cycle fails naming the files. Prints one JSON line per applied file; exit code 0 on
success, 1 on a lakeforge error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--folder", default="infra/sql", help="folder of .sql files (default infra/sql)")
    parser.add_argument("--dialect", default="spark", help="spark (default) or athena")
    parser.add_argument("--database", default="default", help="database for unqualified names")
    parser.add_argument("--dry-run", action="store_true", help="print the order; run nothing")
    parser.add_argument("--profile")
    parser.add_argument("--lake")
    parser.add_argument("--catalog", help="catalog store: embedded or glue")
    args = parser.parse_args(argv)

    from catalog.sql import SqlEngine, apply_library, dependency_order, load_library
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.errors import LakeforgeError
    from lake.storage import get_profile

    try:
        files = dependency_order(load_library(args.folder, dialect=args.dialect, database=args.database))
        if args.dry_run:
            for f in files:
                print(json.dumps({"file": f.name, "creates": [str(t) for t in f.creates],
                                  "reads": [str(t) for t in f.reads]}))
            return 0
        from lake.spark.session import build_spark

        settings = load_settings({"profile": args.profile, "lake": args.lake, "catalog.store": args.catalog})
        profile = get_profile(settings)
        def report(f, results):  # type: ignore[no-untyped-def]
            print(json.dumps({"file": f.name, "creates": [str(t) for t in f.creates],
                              "statements": [r.message or r.kind for r in results]}), flush=True)

        with get_catalog(settings, profile) as store:
            engine = SqlEngine(build_spark(settings, profile, app_name="build-views"), store, profile,
                               dialect=args.dialect, database=args.database, save_results=False)
            apply_library(engine, args.folder, on_file=report)
    except LakeforgeError as exc:
        print(f"build_views failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
