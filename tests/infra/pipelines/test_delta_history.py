"""Run history in the lake: ops.pipeline_runs / ops.step_runs Delta tables, catalog entries, logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from pipelines_testkit import DAY, make_pipeline

from infra.pipelines.delta_history import PIPELINE_RUNS_TABLE, STEP_RUNS_TABLE, DeltaRunHistory
from infra.pipelines.history import RunStatus, StepStatus
from infra.pipelines.runner import PipelineRunner
from lake.delta.store import DeltaTableStore

pytestmark = pytest.mark.slow


def _rows(profile, table: str) -> int:  # type: ignore[no-untyped-def]
    """Rows in the Delta table (from the log's per-file record counts)."""
    dt = DeltaTable(profile.resolve(table), storage_options=profile.storage_options() or None)
    return sum(pa.table(dt.get_add_actions(flatten=True)).column("num_records").to_pylist())


@pytest.fixture
def delta_history(spark, lake, base_settings):  # type: ignore[no-untyped-def]
    """History on the local and on the moto lake."""
    return DeltaRunHistory(lake, settings=base_settings, store=DeltaTableStore(spark, lake))


@pytest.fixture
def local_history(spark, local_lake, base_settings):  # type: ignore[no-untyped-def]
    return DeltaRunHistory(local_lake, settings=base_settings, store=DeltaTableStore(spark, local_lake))


def test_runs_steps_and_logs_are_recorded_in_the_lake(
    tmp_path: Path, lake, base_settings, delta_history: DeltaRunHistory,  # type: ignore[no-untyped-def]
    make_runner: Callable[..., PipelineRunner],
) -> None:
    pipeline = make_pipeline([{"name": "ok"}, {"name": "bad", "args": ["--terminal"], "depends_on": ["ok"]},
                              {"name": "never", "depends_on": ["bad"]}], max_concurrency=1)
    result = make_runner(delta_history).run(pipeline, DAY)
    assert result.run.status == RunStatus.FAILED

    fresh = DeltaRunHistory(lake)  # reads need no Spark and no settings
    run = fresh.get_run(result.run.run_id)
    assert (run.pipeline, run.logical_date, run.ds, run.status, run.trigger) == (
        "p", DAY, "2024-03-01", RunStatus.FAILED, "manual")
    assert run.ended_at is not None and run.started_at <= run.ended_at and run.owner
    assert run.error == "step 'bad' failed: column age: expected int, got string"
    steps = {s.step: s for s in fresh.step_runs(run.run_id)}
    assert {n: (s.status, s.attempts) for n, s in steps.items()} == {
        "ok": (StepStatus.SUCCESS, 1), "bad": (StepStatus.FAILED, 1), "never": (StepStatus.UPSTREAM_FAILED, 0)}
    assert (steps["bad"].error_type, steps["bad"].exit_code, steps["bad"].transient) == ("SchemaMismatchError", 1,
                                                                                         False)
    expected_log = lake.resolve(f"_pipelines/logs/p/2024-03-01/{run.run_id}/bad.log")
    assert steps["bad"].log_location == expected_log
    assert "expected int, got string" in fresh.read_log(expected_log)

    # one row per recorded state: run (running, failed) + ok (running, success) + bad (running, failed) + never
    assert _rows(lake, PIPELINE_RUNS_TABLE) == 2 and _rows(lake, STEP_RUNS_TABLE) == 5

    from catalog.stores import get_catalog

    catalog = get_catalog(base_settings, lake)
    try:
        for name, location in (("pipeline_runs", PIPELINE_RUNS_TABLE), ("step_runs", STEP_RUNS_TABLE)):
            table = catalog.get_table("ops", name)
            assert table.location == lake.resolve(location).rstrip("/")
            assert "status" in [c.name for c in table.storage_descriptor.columns]
    finally:
        catalog.close()


def test_idempotence_is_decided_from_the_lake(
    tmp_path: Path, local_lake, spark, local_history: DeltaRunHistory,  # type: ignore[no-untyped-def]
    make_runner: Callable[..., PipelineRunner],
) -> None:
    pipeline = make_pipeline([{"name": "a"}])
    first = make_runner(local_history).run(pipeline, DAY)
    assert first.ok
    other = make_runner(DeltaRunHistory(local_lake, store=DeltaTableStore(spark, local_lake), register=False))
    again = other.run(pipeline, DAY)
    assert again.skipped and again.run.run_id == first.run.run_id


def test_a_retried_record_write_is_not_appended_twice(local_lake, local_history: DeltaRunHistory) -> None:  # type: ignore[no-untyped-def]
    from infra.pipelines.history import PipelineRun

    run = local_history.record_run(PipelineRun("r-1", "p", DAY, RunStatus.RUNNING, "manual", DAY))
    local_history._append_run(run)  # the same state again (as a retry after a lost reply would)
    assert _rows(local_lake, PIPELINE_RUNS_TABLE) == 1
    assert DeltaRunHistory(local_lake).get_run("r-1").seq == run.seq == 1


def test_scheduler_state_round_trips(lake) -> None:  # type: ignore[no-untyped-def]
    history = DeltaRunHistory(lake)
    assert history.scheduler_state() == {}
    history.save_scheduler_state({"version": 1, "pipelines": {"nightly": {"last_tick": DAY.isoformat()}}})
    assert DeltaRunHistory(lake).scheduler_state()["pipelines"]["nightly"]["last_tick"] == DAY.isoformat()
