"""Benchmark: an ETL run with quality gates vs the same write without them; incremental vs full refresh.

    .venv/bin/python bench/quality_bench.py [--rows 1000000] [--repeat 2] [--docs]

One local lake, one SparkSession (local[2]). The source is a bronze-like Delta table of heart
visits (``--rows`` rows, 8 dates, ~1% implausible values, 0.5% duplicated records, hashed record
ids like the simulator's UUIDs). Measured in the same process, alternating, best of ``--repeat``:

- **gated**: ``run_etl`` full refresh with 10 row rules (5 drop, 1 fail, 1 drop on a missing id,
  3 warn; plus the implicit KEY-not-null drop), 3 GX table rules, KEY dedup, quarantine and
  results writes (Data Docs off unless ``--docs``);
- **ungated**: the same ``run_etl`` full refresh with no rules (KEY dedup still on);
- **plain write**: the query's output written with ``DeltaTableStore.write`` (overwrite), no
  dedup, no rules — "the same write without them".

Goals: gated ≤ 1.3x plain write; an incremental run after appending 1% new rows (with late
duplicates) ≤ 10% of the gated full refresh. Prints one line per measurement and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS = ("record_id", "patient_id", "clinic_id", "age", "sex", "resting_bp", "cholesterol", "max_heart_rate",
           "st_depression", "heart_disease", "event_time", "event_date")


def _visits(spark: Any, start: int, rows: int) -> Any:
    """Heart visits ``start … start+rows``; ~1% implausible, ids hashed (no clustering by key)."""
    return spark.range(start, start + rows).selectExpr(
        "substring(sha2(cast(id AS string), 256), 1, 32) AS record_id",
        "concat('P', lpad(cast(id % 5000 AS string), 5, '0')) AS patient_id",
        "concat('clinic-0', cast(id % 8 AS string)) AS clinic_id",
        "CASE WHEN id % 211 = 0 THEN 140 ELSE 30 + cast(id % 47 AS int) END AS age",
        "CASE WHEN id % 3 = 0 THEN 'female' ELSE 'male' END AS sex",
        "CASE WHEN id % 307 = 0 THEN 300 ELSE 100 + cast(id % 90 AS int) END AS resting_bp",
        "150 + cast(id % 400 AS int) AS cholesterol",
        "80 + cast(id % 120 AS int) AS max_heart_rate",
        "CASE WHEN id % 401 = 0 THEN -2.0D ELSE cast(id % 60 AS double) / 10 END AS st_depression",
        "cast(id % 2 AS int) AS heart_disease",
        "timestamp'2026-03-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id % 691200) AS event_time",
        "date'2026-03-01' + cast(id % 8 AS int) AS event_date",
    )


def _rules() -> tuple[Any, ...]:
    from lake.quality import RowRule, RuleAction

    drop, fail = RuleAction.DROP, RuleAction.FAIL
    ranges = {"age": (18, 100), "resting_bp": (80, 220), "cholesterol": (100, 600), "max_heart_rate": (60, 220),
              "st_depression": (0, 7)}
    return (
        *(RowRule(f"plausible_{c}", f"{c} IS NULL OR {c} BETWEEN {lo} AND {hi}", drop)
          for c, (lo, hi) in ranges.items()),
        RowRule("has_event_time", "event_time IS NOT NULL", fail),
        RowRule("has_patient_id", "patient_id IS NOT NULL", drop),
        RowRule("known_sex", "sex IN ('male', 'female')"),
        RowRule("binary_label", "heart_disease IN (0, 1)"),
        RowRule("known_clinic", "clinic_id LIKE 'clinic-%'"),
    )


def _suite() -> Any:
    from lake.quality import parse_suite

    return parse_suite({"name": "bench", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "record_id"}, "meta": {"action": "fail"}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "clinic_id", "value_set": [f"clinic-0{i}" for i in range(8)]}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "age", "min_value": 40, "max_value": 70}},
    ]})


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--docs", action="store_true", help="also publish Data Docs in the gated runs")
    args = parser.parse_args()

    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.etl import EtlSpec, SourceSpec, run_etl
    from lake.spark.session import build_spark
    from lake.storage import LocalProfile

    tmp = Path(tempfile.mkdtemp(prefix="lakeforge-quality-bench-"))
    profile = LocalProfile(tmp / "lake")
    profile.ensure_lake()
    spark = build_spark(load_settings({"spark.master": "local[2]"}), profile, app_name="quality-bench")
    store = DeltaTableStore(spark, profile)
    print(f"rows={args.rows:,} spark=local[2] lake={profile.root} start: {_load()}", flush=True)

    source = _visits(spark, 0, args.rows)
    duplicates = source.where("substring(record_id, 1, 2) = '00'").limit(args.rows // 200)  # ~0.5% twice
    store.write(source.unionByName(duplicates), "bronze/visits", mode="overwrite", partition_by=["event_date"])

    def build(frames: Any) -> Any:
        return frames["bronze.visits"].select(*COLUMNS)

    def spec(name: str, gated: bool) -> EtlSpec:
        return EtlSpec(name=f"silver.{name}", location=f"silver/{name}", build=build,
                       sources=(SourceSpec("bronze.visits", "bronze/visits"),), incremental_source="bronze.visits",
                       key=("record_id",), partition_by=("event_date",), row_rules=_rules() if gated else (),
                       suites=(_suite(),) if gated else (), definition_id=name)

    timings: dict[str, list[float]] = {"gated": [], "ungated": [], "plain": []}
    gated_result: Any = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        gated_result = run_etl(spark, profile, spec("gated", True), full_refresh=True, publish_docs=args.docs)
        timings["gated"].append(time.perf_counter() - started)
        started = time.perf_counter()
        run_etl(spark, profile, spec("ungated", False), full_refresh=True, publish_docs=False)
        timings["ungated"].append(time.perf_counter() - started)
        started = time.perf_counter()
        store.write(build({"bronze.visits": store.read("bronze/visits")}), "silver/plain", mode="overwrite",
                    partition_by=["event_date"], schema_mode="overwrite")
        timings["plain"].append(time.perf_counter() - started)
        print("  " + "  ".join(f"{k}={v[-1]:.1f}s" for k, v in timings.items()), flush=True)
    counts = gated_result.counts
    assert counts is not None and counts.balanced
    print(f"gated run: read {counts.read:,}, wrote {counts.written:,}, quarantined {counts.quarantined:,}, "
          f"duplicates {counts.duplicates:,}; {len(gated_result.results)} results", flush=True)

    new = max(args.rows // 100, 1)
    late = _visits(spark, 0, args.rows).limit(new // 10)  # 10% of the new batch are late duplicates
    store.write(_visits(spark, args.rows, new - new // 10).unionByName(late), "bronze/visits", mode="append")
    started = time.perf_counter()
    incremental = run_etl(spark, profile, spec("gated", True), publish_docs=args.docs)
    incremental_seconds = time.perf_counter() - started
    assert incremental.mode == "incremental" and incremental.counts is not None, incremental.reason
    print(f"incremental run after appending {new:,} rows: {incremental_seconds:.1f}s "
          f"(read {incremental.counts.read:,}, wrote {incremental.counts.written:,}, "
          f"duplicates {incremental.counts.duplicates:,}, files read {len(incremental.files_read)})", flush=True)
    started = time.perf_counter()
    run_etl(spark, profile, spec("gated", True), full_refresh=True, publish_docs=args.docs)
    refresh_seconds = time.perf_counter() - started

    best = {k: min(v) for k, v in timings.items()}
    summary = {
        "rows": args.rows,
        "gated_seconds": round(best["gated"], 2),
        "ungated_seconds": round(best["ungated"], 2),
        "plain_write_seconds": round(best["plain"], 2),
        "gated_vs_plain_write": round(best["gated"] / best["plain"], 2),
        "gated_vs_ungated_etl": round(best["gated"] / best["ungated"], 2),
        "incremental_seconds": round(incremental_seconds, 2),
        "full_refresh_seconds": round(refresh_seconds, 2),
        "incremental_vs_full_refresh": round(incremental_seconds / refresh_seconds, 3),
        "docs": args.docs,
        "machine": _load(),
    }
    print(f"gated / plain write = {summary['gated_vs_plain_write']}x (goal ≤ 1.3x); gated / ungated ETL = "
          f"{summary['gated_vs_ungated_etl']}x; incremental / full refresh = "
          f"{summary['incremental_vs_full_refresh']:.1%} (goal ≤ 10%)")
    print(json.dumps(summary))
    spark.stop()


if __name__ == "__main__":
    main()
