"""Step outputs: the JSON documents of a step log, which ``lake`` command a step ran, the rows it produced,
and the stages of a recorded run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.pipelines.history import InMemoryRunHistory, PipelineRun, RunStatus, StepRun, StepStatus
from infra.report import Status
from infra.report.collect import read_run_records, stage_timings
from infra.report.step_outputs import json_documents, output_rows, step_command

LOG = """[lakeforge] 2026-12-01T12:00:00+00:00 $ /p/.venv/bin/lake ingest --stream heart --json
WARNING: Using incubator modules: jdk.incubator.vector
12:00:05 WARN ResolveWriteToStream: spark.sql.adaptive.enabled is not supported
{"file": "silver.sql"}
[not json
{
  "records_in": 5066,
  "nested": {"a": [1, 2]},
  "stream": "heart"
}
[lakeforge] 2026-12-01T12:00:40+00:00 exit code 0
"""


def test_json_documents_are_read_back_between_log_lines() -> None:
    assert json_documents(LOG) == [{"file": "silver.sql"}, {"records_in": 5066, "nested": {"a": [1, 2]},
                                                            "stream": "heart"}]
    assert json_documents("") == [] and json_documents("{ broken\n") == []


@pytest.mark.parametrize(("line", "command", "args"), [
    ("/p/.venv/bin/lake ingest --stream heart --json", "ingest", ("--stream", "heart", "--json")),
    ("/p/.venv/bin/lake etl run --all --json", "etl run", ("--all", "--json")),
    ("/p/.venv/bin/lake model alias heart_risk champion latest", "model alias", ("heart_risk", "champion", "latest")),
    ("/p/.venv/bin/lake submit jobs/build_views.py -- --folder infra/sql", "submit jobs/build_views.py",
     ("--folder", "infra/sql")),
    ("/usr/bin/python -c 'from infra.cli.main import main; main()' monitor run m --json", "monitor run",
     ("m", "--json")),
    ("/bin/echo hello", None, ()), (None, None, ()),
])
def test_step_command_names_the_lake_command(line: str | None, command: str | None, args: tuple[str, ...]) -> None:
    assert step_command(line) == (command, args)


def test_rows_come_from_each_command_s_documented_output() -> None:
    assert output_rows("simulate", {"sent": 4066, "generated": 4000}) == 4066
    assert output_rows("ingest", {"records_in": 5066}) == 5066
    assert output_rows("etl run", [{"rows_written": 4000}, {"rows_written": 16}, {"status": "skipped"}]) == 4016
    assert output_rows("predict", {"rows": 1000}) == 1000
    assert output_rows("invoke", {"records": 20}) == 20
    assert output_rows("monitor run", {"current_rows": 1000}) == 1000
    assert output_rows("crawl", {"status": "SUCCEEDED"}) is None
    assert output_rows("ingest", {"records_in": True}) is None and output_rows("ingest", None) is None


def test_stages_of_a_run_have_seconds_rows_and_errors(tmp_path: Path) -> None:
    history = InMemoryRunHistory()
    start = datetime(2026, 12, 1, 12, tzinfo=UTC)
    run = history.record_run(PipelineRun("demo-1", "demo", start, RunStatus.RUNNING, "demo", start))
    (tmp_path / "ingest.log").write_text(LOG)
    (tmp_path / "train.log").write_text("Traceback …\nerror: no view ml.heart_features\n")

    def step(name: str, status: StepStatus, seconds: float | None, log: str | None, command: str,
             error: str | None = None) -> None:
        at = start + timedelta(seconds=len(history.step_records))
        history.record_step(StepRun(run.run_id, "demo", start, name, status, attempts=1, started_at=at,
                                    ended_at=at + timedelta(seconds=seconds) if seconds is not None else None,
                                    log_location=log, command=command, error=error))

    step("ingest", StepStatus.SUCCESS, 39.5, str(tmp_path / "ingest.log"), "/p/lake ingest --stream heart --json")
    step("train", StepStatus.FAILED, 3.0, str(tmp_path / "train.log"), "/p/lake train s.toml --json", "exit code 1")
    step("predict", StepStatus.UPSTREAM_FAILED, None, None, "", "not run: upstream step 'train' failed")
    step("report", StepStatus.RUNNING, None, None, "/p/lake report demo-1 --json")

    records = read_run_records(history, run.run_id)
    assert [s.step for s in records.steps] == ["ingest", "train", "predict"]  # the running step is left out
    assert records.output("ingest").option("--stream") == "heart"  # type: ignore[union-attr]
    assert records.output("train") is None  # it failed: its output is not used
    stages = stage_timings(records)
    assert [(s.stage, s.status, s.seconds, s.rows) for s in stages] == [
        ("ingest", Status.OK, 39.5, 5066), ("train", Status.FAILED, 3.0, None), ("predict", Status.NOT_RUN, None, None)]
    assert stages[1].error == "exit code 1"
    assert stage_timings(records, {"train": 781})[1].rows == 781
