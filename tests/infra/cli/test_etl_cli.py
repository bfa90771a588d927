"""``lake etl run`` and ``lake quality show|docs`` over an ETL table declared with ``lake sql``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.cli.main import app


@pytest.fixture
def lake_env(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    root = tmp_path / "lakehouse"
    root.mkdir()
    monkeypatch.setenv("LAKEFORGE_LAKE", str(root))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke, root


def _bronze(spark: Any, root: Path, rows: list[tuple[int, int]], *, create: bool) -> None:
    from catalog import register_delta_table
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.storage import get_profile

    settings = load_settings({"lake": str(root)})
    profile = get_profile(settings)
    df = spark.createDataFrame(rows, "id bigint, age int")
    DeltaTableStore(spark, profile).write(df, "bronze/visits", mode="create" if create else "append")
    if create:
        store = get_catalog(settings, profile)
        try:
            register_delta_table(store, "bronze", "visits", profile.resolve("bronze/visits"), profile)
        finally:
            store.close()


def _one_error_line(res: Any) -> str:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: ") and "Traceback" not in res.output, res.output
    return lines[0]


def test_run_show_and_docs(spark: Any, lake_env: Any) -> None:
    run, root = lake_env
    _bronze(spark, root, [(1, 30), (2, 140), (3, 50), (3, 50)], create=True)
    declared = run("sql", "CREATE OR REFRESH TABLE silver.visits ("
                          " CONSTRAINT plausible_age EXPECT (age BETWEEN 0 AND 120) ON VIOLATION DROP ROW)"
                          " KEY (id) AS SELECT id, age FROM bronze.visits")
    assert declared.exit_code == 0, declared.output
    res = run("etl", "run", "silver.visits", "--json")
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    counts = (result["rows_read"], result["rows_written"], result["rows_quarantined"], result["duplicates"])
    assert counts == (4, 2, 1, 1)
    again = json.loads(run("etl", "run", "silver.visits", "--json").stdout)
    assert again["mode"] == "noop"
    shown = run("quality", "show", "silver.visits", "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    rules = {r["rule"]: r for r in report["runs"][0]["rules"]}
    assert rules["plausible_age"]["failed"] == 1 and rules["plausible_age"]["status"] == "dropped"
    docs = run("quality", "docs", "silver.visits")
    assert docs.exit_code == 0 and docs.stdout.strip().endswith("index.html")
    assert Path(docs.stdout.strip()).is_file()


def test_failed_gate_is_one_line_and_exit_1(spark: Any, lake_env: Any) -> None:
    run, root = lake_env
    _bronze(spark, root, [(1, -5)], create=True)
    assert run("sql", "CREATE OR REFRESH TABLE silver.strict ("
                      " CONSTRAINT no_negative EXPECT (age >= 0) ON VIOLATION FAIL UPDATE)"
                      " AS SELECT id, age FROM bronze.visits").exit_code == 0
    res = run("etl", "run", "--all", "--no-docs")
    assert res.exit_code == 1
    assert "no_negative" in _one_error_line(res)


def test_name_or_all_is_required(lake_env: Any) -> None:
    run, _ = lake_env
    res = run("etl", "run")
    assert res.exit_code == 1 and "give one ETL table name or --all" in _one_error_line(res)
    res = run("quality", "docs", "silver.none")
    assert res.exit_code == 1 and "no Data Docs" in _one_error_line(res)


def test_sql_file_declares_with_rule_files_beside_it_then_list_and_drop(spark: Any, lake_env: Any,
                                                                         tmp_path: Path) -> None:
    run, root = lake_env
    _bronze(spark, root, [(1, 30)], create=True)
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "silver.visits.dqdl").write_text('Rules = [ IsComplete "id" ]\n', encoding="utf-8")
    script = folder / "silver_visits.sql"
    script.write_text("CREATE OR REFRESH TABLE silver.visits KEY (id) AS SELECT id, age FROM bronze.visits",
                      encoding="utf-8")
    assert run("sql", "--file", str(script)).exit_code == 0
    listed = run("etl", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [definition] = json.loads(listed.stdout)
    assert definition["name"] == "silver.visits"
    assert [r["kind"] for r in definition["table_rules"]] == ["dqdl"]
    dropped = run("etl", "drop", "silver.visits")
    assert dropped.exit_code == 0, dropped.output
    assert json.loads(run("etl", "list", "--json").stdout) == []
    res = run("etl", "drop", "silver.visits")
    assert res.exit_code == 1 and "silver.visits" in _one_error_line(res)
