"""The Spark check of ``lake doctor``, run in its own process: ``python -m infra.spark_probe``.

Builds a session with :func:`lake.spark.session.build_spark`, runs a tiny job and, with
``--lake``, writes, reads back and deletes a small Parquet file under ``<lake>/_lakeforge``.
The last stdout line is ``LAKEFORGE_PROBE {json}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import uuid
from typing import Any

__all__ = ["RESULT_PREFIX", "main"]

RESULT_PREFIX = "LAKEFORGE_PROBE "
_JAVA_EXCEPTION = re.compile(r"^(Caused by: )?[\w.$]+(Exception|Error)(: |$)")


def _reason(exc: Exception) -> str:
    """The root cause line of ``exc`` (for a Py4J error: the first Java exception line)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if _JAVA_EXCEPTION.match(line) and not line.startswith("py4j."):
            return line.removeprefix("Caused by: ").split("; Request ID")[0][:300]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def _lake_round_trip(spark: Any, profile: Any) -> dict[str, Any]:
    path = profile.resolve(f"_lakeforge/doctor/probe-{uuid.uuid4().hex[:12]}")
    uri = profile.to_spark_uri(path)
    try:
        spark.range(10).write.mode("overwrite").parquet(uri)
        rows = spark.read.parquet(uri).count()
    except Exception as exc:  # reported as a failed check, never raised
        return {"uri": uri, "error": _reason(exc)}
    finally:
        with contextlib.suppress(OSError):
            profile.filesystem().delete_dir(profile.fs_path(path))
    return {"uri": uri, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.spark_probe")
    parser.add_argument("--lake", action="store_true", help="also round-trip a file via the lake")
    args = parser.parse_args(argv)

    from lake.config import load_settings
    from lake.spark.session import build_spark
    from lake.storage import get_profile

    settings = load_settings()
    profile = get_profile(settings)
    spark = build_spark(settings, profile, app_name="lakeforge-doctor")
    try:
        total = spark.range(100).selectExpr("sum(id) AS s").collect()[0]["s"]
        result: dict[str, Any] = {
            "spark_version": spark.version,
            "master": spark.sparkContext.master,
            "sum": int(total),
        }
        if args.lake:
            result["lake"] = _lake_round_trip(spark, profile)
    finally:
        spark.stop()
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
