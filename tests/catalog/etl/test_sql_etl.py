"""ETL tables through SQL: declaring stores the definition (and runs nothing), the mode comes from
the query, runs register the table, its quarantine and quality.results (queryable with SQL), and
quality status gates training."""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import EntityNotFoundError
from catalog.etl import (
    FailedQualityError,
    get_definition,
    quality_docs,
    quality_gate,
    quality_show,
    quality_status,
    run_all,
    run_etl_table,
)
from catalog.sql.errors import SqlError
from lake.etl import ResultsTable

REPO = Path(__file__).resolve().parents[3]


def _db() -> str:
    return f"etl_{uuid.uuid4().hex[:8]}"


def _visits(start: int, n: int, *, bad: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [{"id": i, "patient": f"p{i % 7}", "age": 150 if i in bad else 20 + i % 60, "clinic": f"c{i % 4}",
             "day": date(2026, 3, 1 + i % 3)} for i in range(start, start + n)]


def _declare(env: Any, db: str, rules_dir: Path | None = None, *, fail: bool = False) -> list[Any]:
    action = "FAIL UPDATE" if fail else "DROP ROW"
    return env.sql(f"""
        CREATE OR REFRESH TABLE {db}.clean (
          CONSTRAINT plausible_age EXPECT (age BETWEEN 18 AND 100) ON VIOLATION {action},
          CONSTRAINT has_patient EXPECT (patient IS NOT NULL)
        )
        KEY (id)
        PARTITIONED BY (day)
        AS SELECT id, patient, age, clinic, day FROM {db}.visits WHERE clinic IS NOT NULL;
        CREATE OR REFRESH TABLE {db}.daily AS
        SELECT day, clinic, count(*) AS visits FROM {db}.clean GROUP BY day, clinic
    """, source_dir=rules_dir)


def test_declaring_stores_the_definition_checks_it_and_runs_nothing(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    env.bronze(db, _visits(0, 20), create=True)
    rules = env.write_rules(tmp_path, f"{db}.clean", dqdl="# action: fail\nRules = [ IsUnique \"id\" ]",
                            suite={"expectations": [{"type": "expect_column_values_to_not_be_null",
                                                     "kwargs": {"column": "patient"}}]})
    results = _declare(env, db, rules)
    assert [r.kind for r in results] == ["CREATE_ETL_TABLE", "CREATE_ETL_TABLE"]
    assert "row-wise over the Delta table" in results[0].message and "not run" in results[0].message
    assert "complete: an aggregate function" in results[1].message
    definition = get_definition(env.store, f"{db}.clean")
    assert definition.key == ("id",) and definition.partitioned_by == ("day",)
    assert [(c["name"], c["action"]) for c in definition.constraints] == [("plausible_age", "drop"),
                                                                          ("has_patient", "warn")]
    assert [(r.kind, r.action) for r in definition.table_rules] == [("gx", "warn"), ("dqdl", "fail")]
    assert env.rows(f"SELECT count(*) AS n FROM {db}.clean") == [{"n": 0}]  # declared, empty, not run
    assert ResultsTable(env.profile).read(f"{db}.clean").num_rows == 0
    with pytest.raises(SqlError, match=r"KEY column\(s\) \['nope'\]"):
        env.sql(f"CREATE OR REFRESH TABLE {db}.x KEY (nope) AS SELECT id FROM {db}.visits")
    head = f"CREATE OR REFRESH TABLE {db}.x ("
    with pytest.raises(SqlError, match=rf"row rule 'r': unknown column 'agee'.*line 1, column {len(head) + 1}\)"):
        env.sql(f"{head}CONSTRAINT r EXPECT (agee > 1)) AS SELECT age FROM {db}.visits")
    with pytest.raises(EntityNotFoundError):
        get_definition(env.store, f"{db}.x")


def test_runs_register_the_table_its_quarantine_and_results_queryable_with_sql(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    env.bronze(db, _visits(0, 30, bad=(4, 17)), create=True)
    rules = env.write_rules(tmp_path, f"{db}.clean", suite={"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "clinic", "value_set": ["c0", "c1"]}}]})
    _declare(env, db, rules)
    first = run_all(env.spark, env.store, env.profile, names=[f"{db}.clean", f"{db}.daily"], delta=env.delta,
                    publish_docs=False)
    json.dumps(first)  # JSON-able
    clean, daily = first
    assert (clean["mode"], clean["rows_read"], clean["rows_written"], clean["rows_quarantined"]) == (
        "full_refresh", 30, 28, 2)
    assert daily["mode"] == "full_refresh" and daily["rows_written"] == 12
    env.bronze(db, _visits(30, 6) + _visits(0, 2))  # new rows and two late duplicates
    again = run_etl_table(env.spark, env.store, env.profile, f"{db}.clean", delta=env.delta, publish_docs=False)
    assert (again["mode"], again["rows_read"], again["rows_written"], again["duplicates"]) == ("incremental", 8, 6, 2)
    assert run_etl_table(env.spark, env.store, env.profile, f"{db}.daily", delta=env.delta,
                         publish_docs=False)["mode"] == "complete"
    assert env.rows(f"SELECT count(*) AS n, count(DISTINCT id) AS ids FROM {db}.clean") == [{"n": 34, "ids": 34}]
    quarantined = env.rows(f"SELECT id, _failed_rules, _run_id FROM {db}.clean__quarantine ORDER BY id")
    assert [(r["id"], r["_failed_rules"], r["_run_id"]) for r in quarantined] == [
        (4, ["plausible_age"], clean["run_id"]), (17, ["plausible_age"], clean["run_id"])]
    results = env.rows(f"SELECT rule, kind, status, failed FROM quality.results WHERE `table` = '{db}.clean' "
                       f"AND run_id = '{clean['run_id']}' ORDER BY rule")
    assert {(r["rule"], r["kind"], r["status"]) for r in results} >= {
        ("plausible_age", "row", "dropped"), ("has_patient", "row", "passed"),
        ("expect_column_values_to_be_in_set(clinic)", "table", "warned"), ("row_count_identity", "row", "passed")}
    assert env.rows(f"SELECT sum(visits) AS n FROM {db}.daily") == [{"n": 34}]
    table = env.store.get_table(db, "clean")
    assert table.parameters["lakeforge.etl"] == "true" and table.parameters["lakeforge.etl.mode"] == "incremental"


def test_quality_status_gates_training_and_show_lists_runs(env) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    env.bronze(db, _visits(0, 12), create=True)
    _declare(env, db, fail=True)
    env.sql(f"CREATE OR REPLACE VIEW {db}.features AS SELECT id, age FROM {db}.clean")
    assert quality_status(env.profile, f"{db}.clean")["status"] == "unknown"
    run_etl_table(env.spark, env.store, env.profile, f"{db}.clean", delta=env.delta, publish_docs=True)
    assert quality_status(env.profile, f"{db}.clean")["status"] == "passed"
    assert [s["status"] for s in quality_gate(env.store, env.profile, f"{db}.features")] == ["passed"]
    env.bronze(db, _visits(12, 5, bad=(14,)))
    failed = run_etl_table(env.spark, env.store, env.profile, f"{db}.clean", delta=env.delta, publish_docs=False)
    assert failed["status"] == "failed" and failed["failed_rule"] == "plausible_age" and "age=150" in failed["error"]
    status = quality_status(env.profile, f"{db}.clean")
    assert status["status"] == "failed" and status["run_id"] == failed["run_id"]
    assert [r["rule"] for r in status["failed_rules"]] == ["plausible_age"]
    with pytest.raises(FailedQualityError, match=rf"{db}\.clean: .*'plausible_age'.*\(read by {db}\.features\)"):
        quality_gate(env.store, env.profile, f"{db}.features")
    assert quality_gate(env.store, env.profile, f"{db}.features", allow_failed=True)[0]["status"] == "failed"
    assert env.rows(f"SELECT count(*) AS n FROM {db}.clean") == [{"n": 12}]  # the failed run committed nothing
    shown = quality_show(env.profile, f"{db}.clean")
    assert [r["status"] for r in shown["runs"]] == ["failed", "passed"]
    assert shown["docs_uri"] == quality_docs(env.profile, f"{db}.clean") and shown["docs_uri"].endswith("index.html")


def test_the_mode_follows_the_query_and_the_etl_job_runs_every_table(env, capsys) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    env.bronze(db, _visits(0, 9), create=True)
    env.sql(f"CREATE TABLE {db}.clinics AS SELECT 'c0' AS clinic, 'North' AS region")
    env.sql(f"CREATE OR REPLACE VIEW {db}.adults AS SELECT * FROM {db}.visits WHERE age >= 18")
    messages = [r.message for r in env.sql(f"""
        CREATE OR REFRESH TABLE {db}.joined AS SELECT v.id, c.region FROM {db}.visits v LEFT JOIN {db}.clinics c
          ON v.clinic = c.clinic;
        CREATE OR REFRESH TABLE {db}.from_view AS SELECT id FROM {db}.adults
    """)]
    assert "complete: it reads several Delta tables" in messages[0]  # a CTAS table is a Delta table too
    assert "complete: it reads no Delta table" in messages[1]
    spec = importlib.util.spec_from_file_location("etl_job", REPO / "jobs" / "etl.py")
    assert spec and spec.loader
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    argv = ["--profile", "local", "--lake", str(env.root), "--no-docs", "--json"]
    assert job.main([f"{db}.from_view", *argv]) == 0
    assert job.main([f"{db}.from_view", *argv]) == 0
    first, second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first["rows_written"] == 9 and second["mode"] == "complete" and "recomputed every run" in second["reason"]
    code = job.main(["--all", *argv])
    everything = {r["table"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert everything[f"{db}.joined"]["status"] == "succeeded" and everything[f"{db}.from_view"]["mode"] == "complete"
    assert code == (1 if any(r["status"] in ("failed", "skipped") for r in everything.values()) else 0)
