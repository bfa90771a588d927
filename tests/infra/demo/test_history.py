"""The demo's run history: the same ops tables as the Spark writer's, appended by delta-rs, idempotent per run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from infra.demo.history import ArrowRunHistory
from infra.pipelines.delta_history import PIPELINE_RUNS_TABLE, STEP_RUNS_TABLE, DeltaRunHistory
from infra.pipelines.history import PipelineRun, RunStatus, StepRun, StepStatus
from lake.delta.store import DeltaTableStore

pytestmark = [pytest.mark.slow, pytest.mark.moto]

DAY = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _run(run_id: str, status: RunStatus = RunStatus.RUNNING) -> PipelineRun:
    return PipelineRun(run_id, "demo", DAY, status, "demo", DAY, owner="host:1")


def _step(run_id: str, name: str, status: StepStatus) -> StepRun:
    return StepRun(run_id, "demo", DAY, name, status, attempts=1, started_at=DAY,
                   ended_at=DAY + timedelta(seconds=3), exit_code=0, transient=False, log_location="s3://x/y.log",
                   command="lake ingest --json")


def _schema(profile, table: str) -> str:  # type: ignore[no-untyped-def]
    return DeltaTable(profile.resolve(table), storage_options=profile.storage_options() or None).schema().to_json()


def test_records_are_appended_without_spark_and_read_back(moto_lake) -> None:  # type: ignore[no-untyped-def]
    history = ArrowRunHistory(moto_lake)
    history.record_run(_run("r1"))
    history.record_step(_step("r1", "ingest", StepStatus.RUNNING))
    history.record_step(_step("r1", "ingest", StepStatus.SUCCESS))
    history.record_run(_run("r1", RunStatus.SUCCESS))
    assert history._store is None  # no SparkSession was built

    fresh = DeltaRunHistory(moto_lake)
    run = fresh.get_run("r1")
    assert (run.status, run.seq, run.logical_date, run.owner) == (RunStatus.SUCCESS, 4, DAY, "host:1")
    [step] = fresh.step_runs("r1")
    assert (step.step, step.status, step.seq, step.exit_code, step.transient) == ("ingest", StepStatus.SUCCESS, 3, 0,
                                                                                   False)


def test_a_record_written_twice_is_appended_once(moto_lake) -> None:  # type: ignore[no-untyped-def]
    history = ArrowRunHistory(moto_lake)
    run = history.record_run(_run("r2"))
    history._append_run(run)  # a retry after an ambiguous failure: the run's transaction is at this seq already
    dt = DeltaTable(moto_lake.resolve(PIPELINE_RUNS_TABLE), storage_options=moto_lake.storage_options())
    assert sum(pa.table(dt.get_add_actions(flatten=True)).column("num_records").to_pylist()) == 1


def test_either_writer_appends_to_tables_the_other_created(  # type: ignore[no-untyped-def]
        spark, moto_lake, unique_name: str) -> None:
    spark_history = DeltaRunHistory(moto_lake, store=DeltaTableStore(spark, moto_lake))
    spark_history.record_run(_run("spark-first"))
    spark_history.record_step(_step("spark-first", "views", StepStatus.SUCCESS))
    created = (_schema(moto_lake, PIPELINE_RUNS_TABLE), _schema(moto_lake, STEP_RUNS_TABLE))

    arrow_history = ArrowRunHistory(moto_lake)
    arrow_history.record_run(_run("arrow-next"))
    arrow_history.record_step(_step("arrow-next", "train", StepStatus.FAILED))
    assert (_schema(moto_lake, PIPELINE_RUNS_TABLE), _schema(moto_lake, STEP_RUNS_TABLE)) == created

    other = replace(moto_lake, lake_uri=f"{moto_lake.lake_uri}-{unique_name}")
    ArrowRunHistory(other).record_run(_run("arrow-first"))
    DeltaRunHistory(other, store=DeltaTableStore(spark, other)).record_run(_run("arrow-first", RunStatus.SUCCESS))
    assert _schema(other, PIPELINE_RUNS_TABLE) == created[0]
    fresh = DeltaRunHistory(moto_lake)
    assert {r.run_id for r in fresh.runs("demo")} == {"spark-first", "arrow-next"}
    assert DeltaRunHistory(other).get_run("arrow-first").status == RunStatus.SUCCESS
