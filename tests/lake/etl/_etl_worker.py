"""One ETL run of the silver spec in a fresh process (the kill -9 tests SIGKILL it at a fault point)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from etl_testkit import silver_spec

from lake.config import load_settings
from lake.etl import run_etl
from lake.spark.session import build_spark
from lake.storage import LocalProfile


def main() -> None:
    profile = LocalProfile(Path(sys.argv[1]))
    spark = build_spark(load_settings({"spark.master": "local[1]"}), profile, app_name="etl-worker")
    result = run_etl(spark, profile, silver_spec(), publish_docs=False)
    print(json.dumps(result.to_json()), flush=True)


if __name__ == "__main__":
    main()
