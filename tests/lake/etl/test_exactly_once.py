"""Exactly once across kill -9: an ETL run SIGKILLed after each stage, then run again, leaves the
same target, quarantine and results as a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from etl_testkit import SILVER, emissions, silver_spec, table_rows, write_bronze

from lake.delta import DeltaTableStore
from lake.etl import FAULT_ENV, ResultsTable, run_etl
from lake.etl.attempts import AttemptLog
from lake.storage import LocalProfile

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).resolve().parent / "_etl_worker.py")
QUARANTINE_META = ("_run_id", "_quarantined_at")


def _prepare(spark: Any, root: Path) -> tuple[LocalProfile, DeltaTableStore]:
    """Bronze batch 1 → a first run; bronze batch 2 (new records, late duplicates, outliers) pending."""
    root.mkdir(parents=True, exist_ok=True)
    profile = LocalProfile(root)
    store = DeltaTableStore(spark, profile)
    batch = emissions(160, duplicate_rate=0.1, outlier_rate=0.08, malformed_rate=0.03)
    write_bronze(spark, store, batch[:100], 0)
    run_etl(spark, profile, silver_spec(), publish_docs=False)
    write_bronze(spark, store, [*batch[100:], *batch[10:14]], 1)
    return profile, store


def _state(profile: LocalProfile, store: DeltaTableStore) -> dict[str, Any]:
    results = ResultsTable(profile).runs("silver.heart_visits")
    return {
        "silver": table_rows(store, SILVER),
        "quarantine": table_rows(store, f"{SILVER}__quarantine", drop=QUARANTINE_META),
        "results": [sorted((r["rule"], r["status"], r["evaluated"], r["failed"]) for r in run["results"])
                    for run in results],
        "silver_commits": len(store.history(SILVER)),
        "quarantine_commits": len(store.history(f"{SILVER}__quarantine")),
    }


@pytest.fixture(scope="module")
def uninterrupted(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    profile, store = _prepare(spark, tmp_path_factory.mktemp("reference") / "lake")
    result = run_etl(spark, profile, silver_spec(), publish_docs=False)
    assert result.counts.quarantined and result.counts.duplicates
    return _state(profile, store)


@pytest.mark.parametrize("stage", ["pinned", "quarantine", "results", "committed"])
def test_a_run_killed_after_each_stage_reruns_to_the_same_lake(spark, tmp_path: Path, stage: str,
                                                               uninterrupted: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    profile, store = _prepare(spark, tmp_path / "lake")
    env = {**os.environ, FAULT_ENV: stage}
    killed = subprocess.run([sys.executable, WORKER, str(profile.root)], env=env, capture_output=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    rerun = run_etl(spark, profile, silver_spec(), publish_docs=False)
    if stage == "committed":
        assert rerun.mode == "noop"  # the killed run had committed; its leftover intent is dropped
    else:
        assert rerun.recovered and rerun.mode == "incremental" and rerun.counts.balanced
    assert _state(profile, store) == uninterrupted
    assert AttemptLog(profile, "silver.heart_visits").pending() == []
