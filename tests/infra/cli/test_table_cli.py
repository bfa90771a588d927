"""``lake table …`` commands on a local lake; bad input gives one-line errors, writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app


@pytest.fixture
def run(spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAKEFORGE_LAKE", str(tmp_path / "lakehouse"))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("id,name,country\n1,ann,se\n2,bob,no\n3,cid,se\n")
    return path


def test_import_show_history_optimize_vacuum(run, csv_file: Path, tmp_path: Path) -> None:
    res = run("table", "import", str(csv_file), "people", "--partition-by", "country", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"] == 3
    assert run("table", "import", str(csv_file), "people", "--mode", "append").exit_code == 0
    shown = json.loads(run("table", "show", "people", "--json", "--version", "0").output)
    assert shown["version"] == 0 and len(shown["rows"]) == 3
    assert {c["name"] for c in shown["schema"]} == {"id", "name", "country"}
    hist = json.loads(run("table", "history", "people", "--json").output)
    assert [h["version"] for h in hist] == [1, 0]
    opt = json.loads(run("table", "optimize", "people", "--json").output)
    assert opt["files_removed"] == 4 and opt["files_added"] == 2
    dry = json.loads(run("table", "vacuum", "people", "--retain-hours", "0", "--dry-run", "--json").output)
    assert len(dry["files"]) == 4
    assert run("table", "vacuum", "people", "--retain-hours", "0", "--force").exit_code == 0
    assert len(json.loads(run("table", "show", "people", "--json").output)["rows"]) == 6


def test_missing_source_file_is_one_line_error(run, tmp_path: Path) -> None:
    res = run("table", "import", str(tmp_path / "nope.csv"), "t")
    assert res.exit_code == 1
    assert "cannot read" in res.output and "no such file" in res.output
    assert not (tmp_path / "lakehouse" / "t").exists()


def test_unreadable_source_writes_nothing(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet at all")
    res = run("table", "import", str(bad), "t")
    assert res.exit_code == 1 and "cannot read" in res.output
    assert not (tmp_path / "lakehouse" / "t" / "_delta_log").exists()


def test_schema_mismatch_on_import_names_the_column(run, csv_file: Path, tmp_path: Path) -> None:
    assert run("table", "import", str(csv_file), "t").exit_code == 0
    other = tmp_path / "other.csv"
    other.write_text("id,name,country\nx,ann,se\ny,bob,no\n")
    res = run("table", "import", str(other), "t")
    assert res.exit_code == 1 and "'id'" in res.output and "incompatible type" in res.output


def test_show_missing_table(run) -> None:
    res = run("table", "show", "no/such")
    assert res.exit_code == 1 and "no Delta table at" in res.output


def test_bad_profile_is_one_line_error(run) -> None:
    res = CliRunner().invoke(app, ["--profile", "nope", "table", "show", "x"])
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    assert res.stderr.splitlines() == ["error: unknown profile 'nope'; valid profiles: local, moto, s3"]
    assert res.stdout == ""


def test_table_commands_accept_catalog_names(run, csv_file: Path, tmp_path: Path, spark) -> None:
    from catalog.delta import register_delta_table
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.storage import get_profile

    assert run("table", "import", str(csv_file), "people").exit_code == 0
    settings = load_settings()
    profile = get_profile(settings)
    register_delta_table(get_catalog(settings, profile), "crm", "people", profile.resolve("people"), profile)
    shown = json.loads(run("table", "show", "crm.people", "--json").output)
    assert shown["table"] == str(tmp_path / "lakehouse" / "people") and len(shown["rows"]) == 3
    res = run("table", "show", "crm.peeple")
    assert res.exit_code == 1 and "crm.people" in res.output
