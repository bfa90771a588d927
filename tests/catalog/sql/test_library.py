"""Saved queries in the catalog, and SQL libraries (infra/sql) applied in dependency order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import EntityNotFoundError
from catalog.names import TableName
from catalog.sql import (
    DependencyCycleError,
    SqlError,
    apply_library,
    dependency_order,
    get_saved_query,
    list_saved_queries,
    load_library,
    save_query,
)

REPO = Path(__file__).resolve().parents[3]
LIBRARY = REPO / "infra" / "sql"


def test_saved_queries_are_stored_in_the_catalog_and_run(sql_env: Any) -> None:
    env = sql_env
    db = env.unique_db("sav")
    env.run(f"CREATE TABLE {db}.t AS SELECT id FROM range(5)")
    name = f"count-{db}"
    save_query(env.store, name, "SELECT count(*) AS n FROM t WHERE id >= 2", dialect="athena", database=db,
               description="how many")
    saved = get_saved_query(env.store, name)
    assert (saved.dialect, saved.database, saved.description) == ("athena", db, "how many")
    assert name in [q.name for q in list_saved_queries(env.store)]
    engine = env.new_engine(dialect=saved.dialect, database=saved.database)
    assert engine.query(saved.sql) == [{"n": 3}]
    save_query(env.store, name, "SELECT 1 AS n", database=db)
    assert get_saved_query(env.store, name).sql == "SELECT 1 AS n"
    assert get_saved_query(env.store, name).created_at == saved.created_at
    with pytest.raises(EntityNotFoundError, match="did you mean"):
        get_saved_query(env.store, name + "x")
    with pytest.raises(SqlError, match="syntax error"):
        save_query(env.store, "broken", "SELECT FROM WHERE")


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_files_are_ordered_by_what_they_create_and_read(tmp_path: Path) -> None:
    folder = _write(tmp_path, {
        "a_report.sql": "CREATE OR REPLACE VIEW gold.report AS SELECT * FROM silver.clean JOIN ref.codes USING (k)",
        "b_clean.sql": "CREATE OR REPLACE VIEW silver.clean AS WITH x AS (SELECT * FROM bronze.raw) SELECT * FROM x",
        "c_codes.sql": "-- dialect: athena\nCREATE TABLE ref.codes WITH (format = 'delta') AS SELECT 1 AS k",
    })
    files = dependency_order(load_library(folder))
    assert [f.path.name for f in files] == ["b_clean.sql", "c_codes.sql", "a_report.sql"]
    assert files[0].reads == [TableName("bronze", "raw")] and files[1].dialect == "athena"


def test_a_dependency_cycle_names_the_files(tmp_path: Path) -> None:
    folder = _write(tmp_path, {
        "one.sql": "CREATE VIEW s.one AS SELECT * FROM s.two",
        "two.sql": "CREATE VIEW s.two AS SELECT * FROM s.one",
    })
    with pytest.raises(DependencyCycleError, match=r"one\.sql \(s\.one\).*two\.sql \(s\.two\)"):
        dependency_order(load_library(folder))


def test_build_views_job_dry_run_prints_the_order(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_views", REPO / "jobs" / "build_views.py")
    assert spec and spec.loader
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    assert job.main(["--folder", str(LIBRARY), "--dry-run"]) == 0
    order = [json.loads(line)["file"] for line in capsys.readouterr().out.splitlines()]
    assert Path(order[0]).name == "silver_heart_visits.sql" and len(order) == len(list(LIBRARY.glob("*.sql")))


_BRONZE = [
    ("record_id", "string"), ("patient_id", "string"), ("visit_id", "string"), ("event_time", "timestamp"),
    ("clinic_id", "string"), ("device_id", "string"), ("age", "bigint"), ("sex", "string"),
    ("chest_pain_type", "string"), ("resting_bp", "bigint"), ("cholesterol", "bigint"),
    ("fasting_blood_sugar", "boolean"), ("resting_ecg", "string"), ("max_heart_rate", "bigint"),
    ("exercise_angina", "boolean"), ("st_depression", "double"), ("st_slope", "string"),
    ("num_major_vessels", "bigint"), ("thal", "string"), ("heart_disease", "bigint"), ("_rescued", "string"),
    ("_stream", "string"), ("_shard_id", "string"), ("_sequence_number", "string"), ("_partition_key", "string"),
    ("_arrival_time", "timestamp"), ("_batch_id", "bigint"), ("event_date", "date"),
]


def _bronze_heart(env: Any) -> None:
    """A bronze.heart Delta table shaped like the ingest job's (a duplicate and an outlier in it)."""
    from lake.stream.simulator.base import GeneratorOptions
    from lake.stream.simulator.heart import HeartGenerator

    gen = HeartGenerator(GeneratorOptions(seed=5, entities=8))
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    rows = []
    for i in range(40):
        moment = start + timedelta(hours=11 * i)
        record = gen.next_record(i, f"r{i:03d}", moment).record
        record["event_time"] = moment.replace(tzinfo=None)
        record.update(_rescued=None, _stream="heart", _shard_id="shardId-0", _sequence_number=str(i),
                      _partition_key=record["patient_id"], _arrival_time=moment.replace(tzinfo=None),
                      _batch_id=i // 10, event_date=moment.date())
        rows.append(record)
    rows.append({**rows[0], "_sequence_number": "99", "_arrival_time": rows[0]["_arrival_time"] + timedelta(1)})
    rows.append({**rows[1], "record_id": "outlier", "age": 140})
    schema = ", ".join(f"{name} {kind}" for name, kind in _BRONZE)
    df = env.spark.createDataFrame([tuple(r[name] for name, _ in _BRONZE) for r in rows], schema)
    env.delta.write(df, "bronze/heart", mode="create", partition_by=["event_date"])
    from catalog import register_delta_table

    register_delta_table(env.store, "bronze", "heart", "bronze/heart", env.profile)


def test_infra_sql_library_builds_silver_gold_and_ml_views(local_env: Any) -> None:
    """The library declares silver and daily gold as ETL tables (run here) and keeps the other views."""
    env = local_env
    _bronze_heart(env)
    applied = apply_library(env.engine, LIBRARY)
    assert applied[0][0].path.name == "silver_heart_visits.sql"
    assert env.tuples("SELECT count(*) FROM silver.heart_visits") == [(0,)]  # declared, not run
    from catalog.etl import run_all

    runs = run_all(env.spark, env.store, env.profile, delta=env.delta, publish_docs=False)
    assert [(r["table"], r["status"]) for r in runs] == [
        ("silver.heart_visits", "succeeded"), ("gold.heart_daily_by_clinic", "succeeded")]
    assert env.tuples("SELECT count(*), count(DISTINCT record_id) FROM silver.heart_visits") == [(40, 40)]
    daily = env.rows("SELECT sum(visits) AS visits, min(disease_rate) >= 0 AS ok FROM gold.heart_daily_by_clinic")
    assert daily == [{"visits": 40, "ok": True}]
    assert env.tuples("SELECT sum(visits) FROM gold.heart_weekly") == [(40,)]
    features = env.rows("SELECT * FROM ml.heart_features ORDER BY visit_id LIMIT 1")[0]
    assert {"male", "label", "visit_number", "st_depression"} <= set(features)
    weekly = env.store.get_table("gold", "heart_weekly")
    assert weekly.parameters["lakeforge.view.original_dialect"] == "athena"
    assert "approx_distinct" in (weekly.view_original_text or "")
    assert "APPROX_COUNT_DISTINCT" in (weekly.view_expanded_text or "")
