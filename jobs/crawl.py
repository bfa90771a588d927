"""spark-submit entry point: run a Glue-style crawler (the crawl itself needs no Spark).

    lake submit jobs/crawl.py -- --crawler raw-events
    python jobs/crawl.py --path raw/events --database raw [--dry-run --explain]

Prints the run summary as JSON; exit code 0 on success, 1 on a lakeforge error.
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
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--crawler", help="name of a stored crawler to run")
    which.add_argument("--path", action="append", help="include path (ad-hoc crawl); repeatable")
    parser.add_argument("--database", help="catalog database (ad-hoc crawl)")
    parser.add_argument("--name", help="crawler name for an ad-hoc crawl")
    parser.add_argument("--exclude", action="append", default=[], help="exclusion glob; repeatable")
    parser.add_argument("--dry-run", action="store_true", help="plan only; write nothing")
    parser.add_argument("--explain", action="store_true", help="print every decision to stderr")
    parser.add_argument("--profile")
    parser.add_argument("--lake")
    parser.add_argument("--catalog", help="catalog store: embedded or glue")
    args = parser.parse_args(argv)
    if args.path and not args.database:
        parser.error("--database is required with --path")

    from catalog.crawler import Crawler, CrawlerRepository, adhoc_definition
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.errors import LakeforgeError
    from lake.storage import get_profile

    try:
        settings = load_settings({"profile": args.profile, "lake": args.lake, "catalog.store": args.catalog})
        profile = get_profile(settings)
        with get_catalog(settings, profile) as store:
            crawler = Crawler(store, profile)
            if args.crawler:
                definition = crawler.definitions.get(args.crawler)
            else:
                definition = adhoc_definition(store, args.path, args.database, args.name, exclusions=args.exclude)
                if not args.dry_run:
                    definition = CrawlerRepository(store).put(definition)
            result = crawler.run(definition, dry_run=args.dry_run, explain=args.explain)
    except LakeforgeError as exc:
        print(f"crawl failed: {exc}", file=sys.stderr)
        return 1
    if args.explain:
        print(result.explain.render(), file=sys.stderr)
    print(json.dumps(result.summary(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
