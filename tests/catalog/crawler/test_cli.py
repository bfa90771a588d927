"""``lake crawl``, ``lake crawler …`` and ``jobs/crawl.py`` end to end."""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.cli.main import app

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(tmp_path: Path, helpers: Any):  # type: ignore[no-untyped-def]
    """Invoke ``lake`` on a local lake in tmp_path with its own embedded catalog."""
    from lake.storage import LocalProfile

    lake_dir = tmp_path / "lakehouse"
    lake_dir.mkdir()
    writer = helpers.LakeWriter(LocalProfile(lake_dir))
    runner = CliRunner()
    env = {"LAKEFORGE_HOME": str(tmp_path / ".lakeforge"), "COLUMNS": "200"}

    def invoke(*args: str) -> Any:
        return runner.invoke(app, ["--profile", "local", "--lake", str(lake_dir), *args], env=env)

    invoke.writer = writer  # type: ignore[attr-defined]
    return invoke


def _seed(writer: Any) -> None:
    writer.put("raw/events/dt=1/a.json", '{"id": 1, "v": 2}\n')
    writer.put("raw/events/dt=2/a.json", '{"id": 2, "v": 2.5}\n')
    writer.put("raw/users/u.csv", "name,age\nann,3\nbob,4\n")


def test_dry_run_explain_prints_decisions_and_writes_nothing(cli: Any) -> None:
    _seed(cli.writer)
    result = cli("crawl", "raw", "--database", "raw", "--dry-run", "--explain")
    assert result.exit_code == 0, result.output
    for text in (
        "== classification ==",
        "== csv header ==",
        "== grouping ==",
        "== similarity ==",
        "== widening ==",
        "== plan ==",
        "would be: create table events",
    ):
        assert text in result.output
    dbs = cli("catalog", "databases", "--json")
    assert json.loads(dbs.output) == []
    assert json.loads(cli("crawler", "list", "--json").output) == []


def test_crawl_then_manage_the_stored_crawler(cli: Any) -> None:
    _seed(cli.writer)
    first = cli("crawl", "raw", "--database", "raw", "--name", "evc", "--exclude", "**.tmp")
    assert first.exit_code == 0, first.output
    assert "tables created 2" in first.output
    shown = json.loads(cli("crawler", "show", "evc", "--json").output)
    assert shown["Targets"]["S3Targets"] == [{"Path": "raw", "Exclusions": ["**.tmp"], "SampleSize": 5}]
    table = json.loads(cli("catalog", "show", "raw.events", "--json").output)
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "v"]
    assert table["Parameters"]["UPDATED_BY_CRAWLER"] == "evc"
    cli.writer.put("raw/events/dt=3/a.json", '{"id": 3, "v": 1}\n')
    run = json.loads(cli("crawler", "run", "evc", "--json").output)
    assert run["metrics"]["partitions_added"] == 1
    history = json.loads(cli("crawler", "history", "evc", "--json").output)
    assert [h["status"] for h in history] == ["SUCCEEDED", "SUCCEEDED"]
    assert history[0]["metrics"]["partitions_added"] == 1  # newest first
    assert history[1]["metrics"]["tables_created"] == 2
    for key in (
        "objects_listed",
        "objects_sampled",
        "tables_updated",
        "tables_deprecated",
        "tables_deleted",
        "duration_seconds",
    ):
        assert key in history[0]["metrics"]
    table_view = cli("crawler", "history", "evc")
    assert table_view.exit_code == 0 and "SUCCEEDED" in table_view.output
    assert cli("crawler", "delete", "evc").exit_code == 0
    assert json.loads(cli("crawler", "list", "--json").output) == []
    assert len(json.loads(cli("crawler", "history", "evc", "--json").output)) == 2


def test_crawler_create_validates_and_refuses_duplicates(cli: Any) -> None:
    ok = cli(
        "crawler",
        "create",
        "nightly",
        "--database",
        "raw",
        "--path",
        "raw",
        "--schedule",
        "cron(0 3 * * ? *)",
        "--recrawl-behavior",
        "CRAWL_NEW_FOLDERS_ONLY",
        "--update-behavior",
        "LOG",
        "--delete-behavior",
        "LOG",
        "--table-level",
        "3",
    )
    assert ok.exit_code == 0, ok.output
    again = cli("crawler", "create", "nightly", "--database", "raw", "--path", "raw")
    assert again.exit_code == 1 and "already exists" in again.output
    bad = cli(
        "crawler", "create", "n2", "--database", "raw", "--path", "raw", "--recrawl-behavior", "CRAWL_NEW_FOLDERS_ONLY"
    )
    assert bad.exit_code == 1 and "requires UpdateBehavior=LOG" in bad.output
    listed = cli("crawler", "list")
    assert "nightly" in listed.output and "cron(0 3 * * ? *)" in listed.output
    missing = cli("crawler", "run", "nope")
    assert missing.exit_code == 1 and "not found" in missing.output


@pytest.mark.moto
def test_crawl_into_the_glue_store_on_the_moto_profile(moto_endpoint: str, tmp_path: Path, helpers: Any) -> None:
    from lake.storage import moto_profile

    lake_uri = f"s3://lakeforge-tests/cli-{uuid.uuid4().hex[:8]}"
    writer = helpers.LakeWriter(moto_profile(moto_endpoint, lake_uri))
    _seed(writer)
    db = f"db_{uuid.uuid4().hex[:8]}"
    env = {"LAKEFORGE_HOME": str(tmp_path / ".lf"), "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint}
    base = ["--profile", "moto", "--lake", lake_uri]
    runner = CliRunner()
    out = runner.invoke(app, [*base, "crawl", "raw", "--database", db, "--catalog", "glue", "--json"], env=env)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["metrics"]["tables_created"] == 2
    shown = runner.invoke(app, [*base, "catalog", "show", f"{db}.users", "--json", "--catalog", "glue"], env=env)
    table = json.loads(shown.output)
    assert table["StorageDescriptor"]["Location"] == f"{lake_uri}/raw/users/"
    assert table["Parameters"]["skip.header.line.count"] == "1"


def _job() -> Any:
    spec = importlib.util.spec_from_file_location("crawl_job", REPO / "jobs" / "crawl.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_job_entry_point(
    tmp_path: Path, helpers: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lake.storage import LocalProfile

    lake_dir = tmp_path / "lakehouse"
    lake_dir.mkdir()
    _seed(helpers.LakeWriter(LocalProfile(lake_dir)))
    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / ".lf"))
    job = _job()
    code = job.main(
        ["--path", "raw", "--database", "raw", "--name", "jobc", "--lake", str(lake_dir), "--profile", "local"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["metrics"]["tables_created"] == 2 and summary["status"] == "SUCCEEDED"
    assert job.main(["--crawler", "jobc", "--lake", str(lake_dir), "--profile", "local"]) == 0
    assert job.main(["--crawler", "missing", "--lake", str(lake_dir), "--profile", "local"]) == 1
    assert "crawl failed: crawler 'missing' not found" in capsys.readouterr().err
