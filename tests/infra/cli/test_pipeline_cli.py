"""``lake pipeline …`` through the CLI: list, show, run, backfill, runs, logs, export-airflow.

Listing, showing, exporting and bad input run in-process (no Spark). Runs are end-to-end: the
CLI as a subprocess on a local lake, history in real Delta tables, steps through the production
launcher — ``lake submit`` of the pipeline tests' step script (it fails transiently or
terminally as told, writing the error file) and a real ``lake table vacuum`` that fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from lake.config import load_settings

REPO = Path(__file__).resolve().parents[3]
STEP_SCRIPT = REPO / "tests" / "infra" / "pipelines" / "step_script.py"
LAKE = str(Path(sys.executable).with_name("lake"))
runner = CliRunner()


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def _step(name: str, *args: str, depends_on: tuple[str, ...] = (), extra: str = "") -> str:
    deps = f"depends_on = {json.dumps(list(depends_on))}\n" if depends_on else ""
    return (f'[[steps]]\nname = "{name}"\n{deps}submit = "{STEP_SCRIPT}"\nargs = {json.dumps(list(args))}\n'
            f"{extra}")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a local lake; its pipelines folder is ``<project>/pipes``."""
    monkeypatch.setenv("LAKEFORGE_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / ".lakeforge"))
    monkeypatch.setenv("LAKEFORGE_PROFILE", "local")
    monkeypatch.setenv("LAKEFORGE_LAKE", str(tmp_path / "lake"))
    (tmp_path / "lake").mkdir()
    return tmp_path


def lake(*args: str) -> Any:
    return runner.invoke(app, list(args))


def one_line_error(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return str(lines[0])


# ------------------------------------------------------------------ in-process, no Spark
def test_pipeline_folders_come_from_the_setting_and_the_option(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project / "configured", "nightly", 'name = "nightly"\nschedule = "0 3 * * *"\n' + _step("a"))
    _write(project / "extra", "adhoc", 'name = "adhoc"\n' + _step("a"))
    monkeypatch.setenv("LAKEFORGE_PIPELINES__DIRS", "configured")

    result = lake("pipeline", "list", "--pipelines", str(project / "extra"), "--json")

    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert set(listed) == {"nightly", "adhoc"}
    assert listed["nightly"]["next_fire"].endswith("03:00:00+00:00")
    assert listed["adhoc"]["next_fire"] is None


def test_the_default_folder_is_the_projects_and_may_be_missing(project: Path) -> None:
    assert load_settings().pipelines_dirs == (project / "infra" / "pipelines" / "specs",)
    result = lake("pipeline", "list")
    assert result.exit_code == 0 and "no pipelines" in result.stdout

    _write(project / "infra" / "pipelines" / "specs", "p", 'name = "p"\n' + _step("a"))
    result = lake("pipeline", "list", "--json")
    assert [p["name"] for p in json.loads(result.stdout)] == ["p"]


def test_a_configured_folder_that_does_not_exist_is_an_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEFORGE_PIPELINES__DIRS", str(project / "nowhere"))
    result = lake("pipeline", "list")
    assert result.exit_code == 1
    assert "no such pipelines folder" in one_line_error(result)


def test_show_lists_steps_in_order_with_what_they_run(project: Path) -> None:
    _write(project / "pipes", "p", 'name = "p"\nschedule = "30 2 * * *"\n[defaults]\nretries = 2\n'
           + _step("load", "--sleep", "{{ ds }}", depends_on=("extract",)) + _step("extract"))
    result = lake("pipeline", "show", "p", "--pipelines", str(project / "pipes"), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["order"] == ["extract", "load"]
    assert shown["steps"][0]["args"] == ["--sleep", "{{ ds }}"] and shown["steps"][0]["retries"] == 2

    text = lake("pipeline", "show", "p", "--pipelines", str(project / "pipes")).stdout
    assert "30 2 * * *" in text and "transient errors only" in text and "extract" in text


def test_an_unknown_pipeline_is_one_line_naming_the_known_ones(project: Path) -> None:
    _write(project / "pipes", "p", 'name = "p"\n' + _step("a"))
    result = lake("pipeline", "run", "nope", "--pipelines", str(project / "pipes"))
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "'nope'" in line and "known: p" in line


def test_a_bad_pipeline_file_is_one_line_naming_file_step_and_key(project: Path) -> None:
    path = _write(project / "pipes", "bad", 'name = "bad"\n' + _step("a", extra="retires = 2\n"))
    result = lake("pipeline", "list", "--pipelines", str(project / "pipes"))
    assert result.exit_code == 1
    line = one_line_error(result)
    assert str(path) in line and "step 'a'" in line and "retires" in line and "did you mean 'retries'" in line


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", "p", "--date", "yesterday"], "--date"),
        (["backfill", "p", "--start", "2024-03-05", "--end", "2024-03-01"], "--end"),
        (["backfill", "p", "--start", "March", "--end", "2024-03-01"], "--start"),
    ],
)
def test_bad_dates_name_the_option(project: Path, args: list[str], option: str) -> None:
    _write(project / "pipes", "p", 'name = "p"\n' + _step("a"))
    result = lake("pipeline", *args, "--pipelines", str(project / "pipes"))
    assert result.exit_code == 1
    assert option in one_line_error(result)


def test_a_bad_reprocess_mode_lists_the_valid_ones(project: Path) -> None:
    result = lake("pipeline", "backfill", "p", "--start", "2024-03-01", "--end", "2024-03-01", "--reprocess", "all")
    assert result.exit_code == 2
    assert "none" in result.stderr and "failed" in result.stderr and "completed" in result.stderr


def test_runs_and_logs_before_anything_ran(project: Path) -> None:
    result = lake("pipeline", "runs", "p", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "no recorded runs" in lake("pipeline", "runs", "p").stdout
    result = lake("pipeline", "logs", "p-20240301T000000Z-abcdef")
    assert result.exit_code == 1
    assert "no pipeline run 'p-20240301T000000Z-abcdef'" in one_line_error(result)


def test_export_airflow_writes_one_task_per_step_with_edges_and_any_triggers(project: Path) -> None:
    pipes = project / "pipes"
    _write(pipes, "up", 'name = "up"\nschedule = "0 3 * * *"\n' + _step("a"))
    _write(pipes, "down", 'name = "down"\non = {pipelines = ["up"], mode = "any"}\n[defaults]\nretries = 3\n'
           + _step("first", "--sleep", "{{ ds }}") + _step("second", depends_on=("first",)))
    out = project / "dags"

    result = lake("pipeline", "export-airflow", "down", "-o", str(out), "--pipelines", str(pipes), "--json")

    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    source = Path(written["path"]).read_text()
    compile(source, written["path"], "exec")
    assert written["tasks"] == ["first", "second"]
    assert "tasks['first'] >> tasks['second']" in source
    assert 'trigger_rule="one_success"' in source and "external_dag_id='up'" in source
    assert "schedule='0 3 * * *'" in source and "'retries': 3" in source
    assert "{{ ds }}" in source and f"cwd={str(project)!r}" in source


def test_step_environment_variables_are_not_settings(project: Path) -> None:
    environ = {"LAKEFORGE_RUN_ID": "p-1", "LAKEFORGE_PIPELINE": "p", "LAKEFORGE_STEP": "a",
               "LAKEFORGE_DS": "2024-03-01", "LAKEFORGE_LOGICAL_DATE": "2024-03-01T00:00:00+00:00",
               "LAKEFORGE_ATTEMPT": "1", "LAKEFORGE_SCHEDULER_CLOCK": "2024-03-01T00:00:00Z,0,1",
               "LAKEFORGE_PIPELINES__DIRS": "a" + os.pathsep + "/b"}
    settings = load_settings(environ=environ, project_dir=project)
    assert settings.pipelines_dirs == (project / "a", Path("/b"))


# ------------------------------------------------------------- end to end, subprocesses
def _env(project: Path) -> dict[str, str]:
    return {**os.environ, "LAKEFORGE_PROJECT_DIR": str(project), "LAKEFORGE_HOME": str(project / ".lakeforge"),
            "LAKEFORGE_PROFILE": "local", "LAKEFORGE_LAKE": str(project / "lake"),
            "LAKEFORGE_PIPELINES__DIRS": str(project / "pipes")}


def _lake(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKE, *args], env=_env(project), capture_output=True, text=True, timeout=600, check=False)


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.slow
def test_run_retries_transient_errors_then_runs_what_it_triggers(project: Path) -> None:
    records, counter = project / "records.jsonl", project / "counter"
    _write(project / "pipes", "load", 'name = "load"\n[defaults]\nretries = 1\nretry_delay = "1s"\n'
           + _step("extract", "--record", str(records), "--transient-failures", "1", "--counter", str(counter))
           + _step("transform", "--record", str(records), "{{ ds }}", depends_on=("extract",)))
    _write(project / "pipes", "cleanup", 'name = "cleanup"\non = {pipelines = ["load"], status = "success"}\n'
           '[[steps]]\nname = "vacuum"\ncommand = "table vacuum"\nargs = ["nosuch.events", "--retain-hours", "200"]\n'
           "retries = 3\n")

    proc = _lake(project, "pipeline", "run", "load", "--date", "2024-03-01")

    assert proc.returncode == 1, proc.stdout + proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "pipeline 'cleanup' failed for 2024-03-01" in error[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert "load 2024-03-01: extract running" in proc.stderr  # progress per step
    assert "load 2024-03-01: transform success" in proc.stderr
    assert "already succeeded" not in proc.stdout and "transform" in proc.stdout  # the summary table
    assert [r["step"] for r in _records(records)] == ["extract", "transform"]

    runs = json.loads(_lake(project, "pipeline", "runs", "load", "--json").stdout)
    assert [(r["ds"], r["status"], r["trigger"]) for r in runs] == [("2024-03-01", "success", "manual")]
    steps = {s["step"]: s for s in runs[0]["steps"]}
    assert steps["extract"]["attempts"] == 2 and steps["transform"]["attempts"] == 1
    triggered = json.loads(_lake(project, "pipeline", "runs", "cleanup", "--json").stdout)
    assert [(r["status"], r["trigger"]) for r in triggered] == [("failed", "on:load")]
    (vacuum,) = triggered[0]["steps"]
    assert vacuum["attempts"] == 1 and vacuum["transient"] is False  # a terminal error is not retried

    logs = _lake(project, "pipeline", "logs", runs[0]["run_id"], "--step", "extract")
    assert logs.returncode == 0, logs.stderr
    assert "step extract starting" in logs.stdout and "retry 1/1" in logs.stdout
    assert logs.stdout.count("==> ") == 1
    vacuum_log = _lake(project, "pipeline", "logs", triggered[0]["run_id"]).stdout
    assert "nosuch" in vacuum_log

    again = _lake(project, "pipeline", "run", "load", "--date", "2024-03-01")
    assert again.returncode == 0, again.stderr
    assert "already succeeded" in again.stdout
    assert len(_records(records)) == 2  # idempotent: nothing ran


@pytest.mark.slow
def test_backfill_runs_each_date_once_and_reprocesses_failed_dates(project: Path) -> None:
    records = project / "records.jsonl"
    fail_marker = project / "fail-2024-03-02"
    fail_marker.write_text("")
    step = (f"import os, sys, pathlib; ds = os.environ['LAKEFORGE_DS']; "
            f"open({str(records)!r}, 'a').write(ds + '\\n'); "
            f"sys.exit(3 if pathlib.Path({str(project)!r}, 'fail-' + ds).exists() else 0)")
    script = project / "daily.py"
    script.write_text(step + "\n")
    _write(project / "pipes", "daily", f'name = "daily"\n[[steps]]\nname = "only"\nsubmit = "{script}"\n')

    span = ("--start", "2024-03-01", "--end", "2024-03-02")
    plan = json.loads(_lake(project, "pipeline", "backfill", "daily", *span, "--dry-run", "--json").stdout)
    assert [(d["run"], d["reason"]) for d in plan["dates"]] == [(True, "never run")] * 2
    assert not records.exists()

    first = _lake(project, "pipeline", "backfill", "daily", *span)
    assert first.returncode == 1 and "pipeline 'daily' failed for 2024-03-02" in first.stderr, first.stderr
    assert records.read_text().split() == ["2024-03-01", "2024-03-02"]

    fail_marker.unlink()
    again = _lake(project, "pipeline", "backfill", "daily", *span, "--json")
    assert again.returncode == 0, again.stderr
    assert [d["reason"] for d in json.loads(again.stdout)["dates"]] == [
        "succeeded before", "last run failed (re-run with --reprocess failed)"]
    assert len(records.read_text().split()) == 2

    fixed = _lake(project, "pipeline", "backfill", "daily", *span, "--reprocess", "failed", "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert [d["status"] for d in json.loads(fixed.stdout)["dates"]] == [None, "success"]
    assert records.read_text().split() == ["2024-03-01", "2024-03-02", "2024-03-02"]
    runs = json.loads(_lake(project, "pipeline", "runs", "daily", "--json").stdout)
    assert sorted((r["ds"], r["status"], r["trigger"]) for r in runs) == [
        ("2024-03-01", "success", "backfill"), ("2024-03-02", "failed", "backfill"),
        ("2024-03-02", "success", "backfill")]
