"""A writer process that stops between writing its files and committing (for the kill test)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lake.config import load_settings
from lake.delta import DeltaTableStore
from lake.spark.session import build_spark
from lake.storage import LocalProfile, moto_profile


def main() -> None:
    kind, location, table = sys.argv[1:4]
    endpoint = sys.argv[4] if len(sys.argv) > 4 else ""
    profile = LocalProfile(Path(location)) if kind == "local" else moto_profile(endpoint, location)
    settings = load_settings({"spark.master": "local[1]"})
    spark = build_spark(settings, profile, app_name="killed-writer")

    def pause(uri: str, adds: list) -> None:  # type: ignore[type-arg]
        print(f"FILES_WRITTEN {len(adds)}", flush=True)
        time.sleep(3600)

    store = DeltaTableStore(spark, profile, before_commit=pause)
    store.write(spark.range(1000, 1500).selectExpr("id"), table)


if __name__ == "__main__":
    main()
