"""Airflow export, loaded into a real Airflow 3 DagBag (apache-airflow in a cached separate venv)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from airflow_venv import AIRFLOW_VERSION, airflow_python

from infra.pipelines import SPECS_DIR, load_pipelines
from infra.pipelines.airflow import export_airflow
from infra.pipelines.steps import LakeLauncher

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

HERE = Path(__file__).resolve().parent
STEP = '[[steps]]\nname = "{name}"\ncommand = "sql"\nargs = ["--file", "q/{{{{ pipeline }}}}-{{{{ ds }}}}.sql"]\n'


def _load_dagbag(folder: Path, home: Path) -> dict[str, Any]:
    python = airflow_python()  # installs apache-airflow once into ~/.cache/lakeforge-airflow-venv
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run([str(python), str(HERE / "airflow_dagbag.py"), str(folder)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAGBAG ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("DAGBAG "):])


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("airflow")
    specs = root / "specs"
    specs.mkdir()
    (specs / "a.toml").write_text('name = "ingest_a"\nschedule = "0 2 * * *"\n' + STEP.format(name="load"))
    (specs / "b.toml").write_text('name = "ingest_b"\nschedule = "0 2 * * *"\n' + STEP.format(name="load"))
    (specs / "report.toml").write_text(
        'name = "report"\non = {pipelines = ["ingest_a", "ingest_b"], mode = "any"}\n[defaults]\nretries = 1\n'
        + STEP.format(name="first") + STEP.format(name="second") + 'depends_on = ["first"]\n')
    (specs / "alert.toml").write_text(
        'name = "alert"\nschedule = "30 2 * * *"\ncatchup = "all"\n'
        'on = {pipelines = ["ingest_a", "ingest_b"], mode = "all", status = "failure"}\n' + STEP.format(name="page"))
    pipelines = {**load_pipelines([SPECS_DIR]), **load_pipelines([specs])}
    dags = root / "dags"
    for p in pipelines.values():
        export_airflow(p, dags, pipelines=pipelines, start_date=date(2024, 1, 1))
    return {"bag": _load_dagbag(dags, root / "home"), "pipelines": pipelines}


def test_dag_files_load_without_import_errors(dagbag: dict[str, Any]) -> None:
    bag = dagbag["bag"]
    assert bag["import_errors"] == {}
    assert sorted(bag["dags"]) == ["alert", "demo", "ingest_a", "ingest_b", "nightly", "report"]


def test_nightly_tasks_edges_schedule_and_retries(dagbag: dict[str, Any]) -> None:
    dag = dagbag["bag"]["dags"]["nightly"]
    nightly = dagbag["pipelines"]["nightly"]
    assert (dag["schedule"], dag["timetable"], dag["catchup"], dag["max_active_tasks"]) == (
        "0 3 * * *", "CronTriggerTimetable", False, 2)
    assert sorted(dag["tasks"]) == sorted(s.name for s in nightly.steps)
    edges = {(up, down) for up, t in dag["tasks"].items() for down in t["downstream"]}
    assert edges == {(dep, s.name) for s in nightly.steps for dep in s.depends_on}
    for step in nightly.steps:
        task = dag["tasks"][step.name]
        assert task["type"] == "BashOperator" and task["trigger_rule"] == "all_success"
        assert shlex.split(task["bash_command"]) == LakeLauncher(executable=("lake",)).argv(step, step.args)
        assert (task["retries"], task["retry_delay"], task["timeout"]) == (step.retries, step.retry_delay,
                                                                           step.timeout)
        assert task["retry_exponential_backoff"] == 2.0
    assert "{{ ds }}" in dag["tasks"]["simulate"]["bash_command"]  # left for Airflow's Jinja


def test_any_trigger_becomes_sensors_and_one_success(dagbag: dict[str, Any]) -> None:
    dag = dagbag["bag"]["dags"]["report"]
    assert dag["schedule"] == "0 2 * * *"  # the upstreams' cron: sensors match their logical dates
    tasks = dag["tasks"]
    for upstream in ("ingest_a", "ingest_b"):
        sensor = tasks[f"wait_for_{upstream}"]
        assert sensor["type"] == "ExternalTaskSensor" and sensor["external_dag_id"] == upstream
        assert sensor["allowed_states"] == ["success"] and sensor["downstream"] == ["first"]
    assert tasks["first"]["trigger_rule"] == "one_success"
    assert tasks["second"]["trigger_rule"] == "all_success" and tasks["first"]["downstream"] == ["second"]
    assert tasks["first"]["retries"] == 1
    assert shlex.split(tasks["first"]["bash_command"])[-1] == "q/report-{{ ds }}.sql"  # {{ pipeline }} filled in


def test_all_failure_trigger(dagbag: dict[str, Any]) -> None:
    dag = dagbag["bag"]["dags"]["alert"]
    assert dag["schedule"] == "30 2 * * *" and dag["catchup"] is True
    assert dag["tasks"]["wait_for_ingest_a"]["allowed_states"] == ["failed"]
    assert dag["tasks"]["page"]["trigger_rule"] == "all_success"


def test_airflow_version_is_the_pinned_one(tmp_path: Path) -> None:
    done = subprocess.run([str(airflow_python()), "-c", "import airflow; print(airflow.__version__)"],
                          capture_output=True, text=True, check=True, env={**os.environ, "AIRFLOW_HOME": str(tmp_path)})
    assert done.stdout.strip().splitlines()[-1] == AIRFLOW_VERSION
