"""Runs inside the Airflow virtualenv: load a DAG folder into a real DagBag, print what it holds.

    AIRFLOW_HOME=… python airflow_dagbag.py DAG_FOLDER   → one line "DAGBAG <json>"
"""

from __future__ import annotations

import json
import sys

from airflow.dag_processing.dagbag import DagBag


def main() -> None:
    bag = DagBag(dag_folder=sys.argv[1])
    out: dict[str, object] = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        tasks = {}
        for t in dag.tasks:
            tasks[t.task_id] = {
                "type": type(t).__name__,
                "downstream": sorted(t.downstream_task_ids),
                "trigger_rule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
                "retries": t.retries,
                "retry_delay": t.retry_delay.total_seconds(),
                "retry_exponential_backoff": t.retry_exponential_backoff,
                "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "bash_command": getattr(t, "bash_command", None),
                "env": getattr(t, "env", None),
                "external_dag_id": getattr(t, "external_dag_id", None),
                "allowed_states": sorted(getattr(t, "allowed_states", []) or []),
            }
        out["dags"][dag_id] = {  # type: ignore[index]
            "schedule": dag.schedule if isinstance(dag.schedule, str | None) else str(dag.schedule),
            "timetable": type(dag.timetable).__name__,
            "catchup": dag.catchup,
            "max_active_tasks": dag.max_active_tasks,
            "tasks": tasks,
        }
    print("DAGBAG " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
