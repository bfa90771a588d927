"""The runner: order, concurrency, timeouts, transient-only retries, upstream failures, idempotence."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from pipelines_testkit import DAY, STEP_SCRIPT, make_pipeline, max_overlap, read_records

from infra.pipelines.errors import RunActiveError
from infra.pipelines.history import InMemoryRunHistory, PipelineRun, RunStatus, StepStatus
from infra.pipelines.liveness import process_owner
from infra.pipelines.runner import PipelineRunner, RunHandle, backoff_delay
from infra.pipelines.spec import parse_pipeline
from infra.pipelines.steps import LakeLauncher, lake_executable
from lake.state import pid_alive


def _steps(result) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {s.step: s for s in result.steps}


def test_steps_run_in_dependency_order(tmp_path: Path, runner: PipelineRunner,
                                       history: InMemoryRunHistory) -> None:
    rec = str(tmp_path / "rec.jsonl")
    p = make_pipeline([
        {"name": "d", "args": ["--record", rec], "depends_on": ["b", "c"]},
        {"name": "b", "args": ["--record", rec], "depends_on": ["a"]},
        {"name": "a", "args": ["--record", rec]},
        {"name": "c", "args": ["--record", rec], "depends_on": ["a"]},
    ], max_concurrency=1)
    result = runner.run(p, DAY)
    assert result.ok and result.run.status == RunStatus.SUCCESS
    order = [r["step"] for r in read_records(Path(rec))]
    assert order[0] == "a" and order[-1] == "d" and sorted(order[1:3]) == ["b", "c"]
    steps = history.step_runs(result.run.run_id)
    assert {s.step: (s.status, s.attempts) for s in steps} == {n: (StepStatus.SUCCESS, 1) for n in "abcd"}
    for s in steps:
        assert s.log_location and "starting" in Path(s.log_location).read_text()
        assert s.command and STEP_SCRIPT in s.command and s.started_at and s.ended_at
    assert history.finished == [result.run.run_id]


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrency_limit_is_honoured(tmp_path: Path, runner: PipelineRunner, limit: int) -> None:
    # The first `limit` steps wait for each other, so they overlap for certain; more would overlap
    # more than `limit` while they sleep.
    rec, arrivals = str(tmp_path / "rec.jsonl"), tmp_path / "arrivals"
    arrivals.mkdir()
    args = ["--record", rec, "--sleep", "0.5", "--arrive", str(arrivals), "--quorum", str(limit)]
    p = make_pipeline([{"name": f"s{i}", "args": args} for i in range(4)], max_concurrency=limit)
    assert runner.run(p, DAY).ok
    records = read_records(Path(rec))
    assert len(records) == 4
    assert max_overlap(records) == limit


def test_timeout_kills_the_whole_process_group(tmp_path: Path, runner: PipelineRunner) -> None:
    pids = tmp_path / "pids"
    p = make_pipeline([{"name": "hang", "args": ["--spawn-child", str(pids), "--sleep", "120"],
                        "timeout": "1s", "retries": 2}])
    result = runner.run(p, DAY)
    step = _steps(result)["hang"]
    assert result.run.status == RunStatus.FAILED
    assert step.status == StepStatus.FAILED and step.attempts == 1  # timeouts are terminal by default
    assert step.error_type == "StepTimeout" and "timed out after 1s" in step.error and step.transient is False
    leader, child = (int(x) for x in pids.read_text().split())
    assert not pid_alive(leader) and not pid_alive(child)
    assert "process group" in Path(step.log_location).read_text()


def test_timeout_is_retried_when_the_step_allows_it(tmp_path: Path, runner: PipelineRunner,
                                                    sleeps: list[float]) -> None:
    p = make_pipeline([{"name": "slow", "args": ["--sleep", "60"], "timeout": "0.5s", "retries": 1,
                        "retry_on_timeout": True, "retry_delay": "1s"}])
    step = _steps(runner.run(p, DAY))["slow"]
    assert step.status == StepStatus.FAILED and step.attempts == 2 and step.transient is True
    assert len(sleeps) == 1


def test_transient_errors_are_retried_with_exponential_backoff(tmp_path: Path, runner: PipelineRunner,
                                                               sleeps: list[float]) -> None:
    counter = str(tmp_path / "n")
    p = make_pipeline([{"name": "put", "args": ["--counter", counter, "--transient-failures", "2"],
                        "retries": 3, "retry_delay": "1s", "max_retry_delay": "10s"}])
    result = runner.run(p, DAY)
    step = _steps(result)["put"]
    assert result.ok and step.status == StepStatus.SUCCESS and step.attempts == 3
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    log = Path(step.log_location).read_text()
    assert "retry 1/3" in log and "retry 2/3" in log and "KinesisThrottledError" in log


def test_transient_errors_give_up_after_the_retries(tmp_path: Path, runner: PipelineRunner,
                                                    sleeps: list[float]) -> None:
    counter = tmp_path / "n"
    p = make_pipeline([{"name": "put", "args": ["--counter", str(counter), "--transient-failures", "9"],
                        "retries": 2, "retry_delay": "1s"}])
    step = _steps(runner.run(p, DAY))["put"]
    assert step.status == StepStatus.FAILED and step.attempts == 3 and counter.read_text() == "3"
    assert step.transient is True and step.error == "throttled (attempt 3)"
    assert len(sleeps) == 2


def test_terminal_error_fails_at_once(tmp_path: Path, runner: PipelineRunner, sleeps: list[float]) -> None:
    p = make_pipeline([{"name": "load", "args": ["--terminal"], "retries": 3}])
    step = _steps(runner.run(p, DAY))["load"]
    assert step.status == StepStatus.FAILED and step.attempts == 1 and sleeps == []
    assert (step.error_type, step.transient, step.exit_code) == ("SchemaMismatchError", False, 1)
    assert step.error == "column age: expected int, got string"


def test_crash_without_error_file_fails_at_once(tmp_path: Path, runner: PipelineRunner,
                                                sleeps: list[float]) -> None:
    p = make_pipeline([{"name": "job", "args": ["--crash"], "retries": 3}])
    step = _steps(runner.run(p, DAY))["job"]
    assert step.status == StepStatus.FAILED and step.attempts == 1 and sleeps == []
    assert step.error_type == "ProcessExit" and step.error == "exit code 3: ZeroDivisionError: division by zero"


def test_failed_step_marks_downstream_upstream_failed(tmp_path: Path, runner: PipelineRunner) -> None:
    rec = str(tmp_path / "rec.jsonl")
    p = make_pipeline([
        {"name": "a", "args": ["--terminal"]},
        {"name": "b", "args": ["--record", rec], "depends_on": ["a"]},
        {"name": "c", "args": ["--record", rec], "depends_on": ["b"]},
        {"name": "x", "args": ["--record", rec]},
    ], max_concurrency=1)
    result = runner.run(p, DAY)
    steps = _steps(result)
    assert result.run.status == RunStatus.FAILED and result.run.error.startswith("step 'a' failed:")
    assert steps["b"].status == steps["c"].status == StepStatus.UPSTREAM_FAILED
    assert steps["b"].attempts == 0 and "upstream step 'a' failed" in steps["b"].error
    assert "upstream step 'b' upstream_failed" in steps["c"].error
    assert steps["x"].status == StepStatus.SUCCESS
    assert [r["step"] for r in read_records(Path(rec))] == ["x"]


def test_run_again_after_success_does_nothing_unless_forced(tmp_path: Path, runner: PipelineRunner,
                                                            history: InMemoryRunHistory) -> None:
    rec = tmp_path / "rec.jsonl"
    p = make_pipeline([{"name": "a", "args": ["--record", str(rec)]}])
    first = runner.run(p, DAY)
    again = runner.run(p, DAY)
    assert again.skipped and again.run.run_id == first.run.run_id and len(read_records(rec)) == 1
    forced = runner.run(p, DAY, force=True)
    assert not forced.skipped and forced.ok and forced.run.run_id != first.run.run_id
    assert len(read_records(rec)) == 2 and len(history.runs("p")) == 2


def test_run_again_after_failure_runs(tmp_path: Path, runner: PipelineRunner, history: InMemoryRunHistory) -> None:
    counter = str(tmp_path / "n")
    p = make_pipeline([{"name": "a", "args": ["--counter", counter, "--transient-failures", "1"]}])
    assert runner.run(p, DAY).run.status == RunStatus.FAILED
    assert runner.run(p, DAY).ok
    assert [r.status for r in history.runs("p")] == [RunStatus.FAILED, RunStatus.SUCCESS]


def test_templates_and_environment_reach_the_step(tmp_path: Path, runner: PipelineRunner) -> None:
    argv_out, env_out = tmp_path / "argv.json", tmp_path / "env.json"
    p = make_pipeline([{"name": "a", "args": ["--argv-out", str(argv_out), "--env-out", str(env_out),
                                              "--day", "{{ ds }}", "{{ ds_nodash }}", "{{ logical_date }}"],
                        "env": {"T_STEP": "{{ run_id }}"}}], env={"T_PIPE": "{{ pipeline }}-{{ ds }}"})
    result = runner.run(p, DAY)
    assert result.ok
    argv = json.loads(argv_out.read_text())
    assert argv[-4:] == ["--day", "2024-03-01", "20240301", "2024-03-01T03:00:00+00:00"]
    env = json.loads(env_out.read_text())
    assert env["T_PIPE"] == "p-2024-03-01" and env["T_STEP"] == result.run.run_id
    assert env["LAKEFORGE_RUN_ID"] == result.run.run_id and env["LAKEFORGE_STEP"] == "a"
    assert env["LAKEFORGE_DS"] == "2024-03-01" and env["LAKEFORGE_ERROR_FILE"].endswith("a.json")


def test_a_date_means_that_days_tick(runner: PipelineRunner) -> None:
    p = make_pipeline([{"name": "a"}], schedule="0 3 * * *")
    assert runner.run(p, date(2024, 3, 1)).run.logical_date == DAY
    assert runner.run(p, "2024-03-02").run.logical_date == datetime(2024, 3, 2, 3, tzinfo=DAY.tzinfo)
    unscheduled = make_pipeline([{"name": "a"}], name="q")
    assert runner.run(unscheduled, "2024-03-01").run.logical_date == datetime(2024, 3, 1, tzinfo=DAY.tzinfo)


def test_a_claimed_run_is_not_started_twice(runner: PipelineRunner, history: InMemoryRunHistory) -> None:
    p = make_pipeline([{"name": "a"}])
    handle = runner.begin(p, DAY)
    assert isinstance(handle, RunHandle)
    with pytest.raises(RunActiveError, match=handle.run.run_id):
        runner.begin(p, DAY)
    handle.release()  # claim dropped without finishing: the record is stale
    result = runner.run(p, DAY)
    assert result.ok
    stale = history.get_run(handle.run.run_id)
    assert stale.status == RunStatus.INTERRUPTED and "interrupted" in (stale.error or "")


def test_a_run_owned_by_another_live_process_is_not_taken_over(
    runner: PipelineRunner, history: InMemoryRunHistory, sleeper  # type: ignore[no-untyped-def]
) -> None:
    other = sleeper("pipeline-owner")
    history.record_run(PipelineRun("p-live", "p", DAY, RunStatus.RUNNING, "manual", DAY,
                                   owner=process_owner(other.pid)))
    p = make_pipeline([{"name": "a"}])
    with pytest.raises(RunActiveError, match="p-live"):
        runner.run(p, DAY)
    other.kill()
    other.wait()
    assert runner.run(p, DAY).ok
    assert history.get_run("p-live").status == RunStatus.INTERRUPTED


def test_dead_runners_run_is_recovered_and_its_processes_killed(
    runner: PipelineRunner, history: InMemoryRunHistory, dead_pid: int
) -> None:
    run = history.record_run(PipelineRun("p-dead", "p", DAY, RunStatus.RUNNING, "schedule", DAY,
                                         owner=f"{socket.gethostname()}:{dead_pid}:1"))
    leftover = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                env={**os.environ, "LAKEFORGE_RUN_ID": run.run_id}, start_new_session=True)
    try:
        recovered = runner.recover_dead_runs()
        assert [r.run_id for r in recovered] == ["p-dead"]
        assert history.get_run("p-dead").status == RunStatus.INTERRUPTED
        assert leftover.wait(timeout=10) == -9
    finally:
        if leftover.poll() is None:
            leftover.kill()


def test_cancel_interrupts_the_run(tmp_path: Path, runner: PipelineRunner) -> None:
    p = make_pipeline([{"name": "long", "args": ["--sleep", "120"]},
                       {"name": "after", "depends_on": ["long"]}])
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    result = runner.run(p, DAY, cancel=cancel)
    steps = _steps(result)
    assert result.run.status == RunStatus.INTERRUPTED
    assert steps["long"].status == StepStatus.INTERRUPTED
    assert steps["after"].status == StepStatus.INTERRUPTED
    assert steps["after"].error == "not started: the run was stopped"


def test_backoff_doubles_and_is_capped() -> None:
    import random

    rng = random.Random(1)
    for attempt, (low, high) in enumerate([(5, 10), (10, 20), (20, 40), (30, 60), (30, 60)], start=1):
        assert low <= backoff_delay(attempt, 10, 60, rng) <= high


def test_lake_launcher_argument_vectors() -> None:
    launcher = LakeLauncher(executable=("/venv/bin/lake",))
    p = parse_pipeline({"name": "p", "steps": [
        {"name": "opt", "command": "table  optimize", "args": ["bronze.heart"]},
        {"name": "views", "submit": "jobs/build_views.py", "args": ["--folder", "infra/sql"]},
    ]})
    assert launcher.argv(p.step("opt"), ["bronze.heart"]) == ["/venv/bin/lake", "table", "optimize", "bronze.heart"]
    assert launcher.argv(p.step("views"), ["--folder", "infra/sql"]) == [
        "/venv/bin/lake", "submit", "jobs/build_views.py", "--", "--folder", "infra/sql"]
    assert lake_executable() == [str(Path(sys.executable).parent / "lake")]



def test_production_launcher_runs_the_real_lake_command(tmp_path: Path, history: InMemoryRunHistory,
                                                        make_runner, sleeps: list[float]) -> None:  # type: ignore[no-untyped-def]
    p = parse_pipeline({"name": "real", "steps": [
        {"name": "q", "command": "sql", "args": ["--file", str(tmp_path / "missing-{{ ds }}.sql")], "retries": 2}]})
    result = make_runner(history, launcher=LakeLauncher()).run(p, DAY)
    step = _steps(result)["q"]
    assert step.status == StepStatus.FAILED and step.attempts == 1 and sleeps == []
    assert step.command.split()[:2] == [str(Path(sys.executable).parent / "lake"), "sql"]
    assert step.error is not None and "missing-2024-03-01.sql" in step.error
