"""``lake table import``: text arrives intact, valid CSV is accepted, nothing is dropped or half-made."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app


@pytest.fixture
def lakehouse(tmp_path: Path) -> Path:
    return tmp_path / "lakehouse"


@pytest.fixture
def run(spark, lakehouse: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAKEFORGE_LAKE", str(lakehouse))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def _rows(run, table: str) -> list[dict]:  # type: ignore[no-untyped-def]
    res = run("table", "show", table, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["rows"]


def _one_line_error(res) -> str:  # type: ignore[no-untyped-def]
    assert res.exit_code == 1, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.output, res.output
    return lines[0]


def test_latin1_file_is_refused_under_utf8_and_kept_intact_with_its_encoding(run, tmp_path: Path,
                                                                             lakehouse: Path) -> None:
    path = tmp_path / "cities.csv"
    path.write_bytes("id,city\n1,München\n".encode("latin-1"))
    line = _one_line_error(run("table", "import", str(path), "cities"))
    assert "line 2, byte offset 11" in line and "--encoding" in line
    assert not (lakehouse / "cities").exists()
    assert run("table", "import", str(path), "cities", "--encoding", "latin-1").exit_code == 0
    assert _rows(run, "cities") == [{"id": 1, "city": "München"}]


def test_rfc4180_quoted_newlines_are_imported(run, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"two\nlines"\n2,"a ""quote"""\n')
    res = run("table", "import", str(path), "notes", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rows"] == 2
    assert sorted(r["note"] for r in _rows(run, "notes")) == ['a "quote"', "two\nlines"]


def test_ragged_rows_error_or_quarantine_never_drop(run, tmp_path: Path, lakehouse: Path) -> None:
    path = tmp_path / "rag.csv"
    path.write_text("a,b\n1,2\n3\n4,5\n6,7,8\n")
    line = _one_line_error(run("table", "import", str(path), "rag"))
    assert "line 3 has 1 fields, expected 2" in line
    assert not (lakehouse / "rag").exists()
    res = run("table", "import", str(path), "rag", "--bad-rows", "quarantine", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["rows"] == 2 and out["bad_rows"] == 2
    quarantined = [json.loads(x) for x in Path(out["quarantine"]).read_text().splitlines()]
    assert [(q["line"], q["values"]) for q in quarantined] == [(3, ["3"]), (5, ["6", "7", "8"])]
    assert Path(out["quarantine"]).is_relative_to(lakehouse / "_quarantine")
    assert not list((lakehouse / "_staging").iterdir())  # staging removed


def test_empty_file_is_one_line_error_and_leaves_no_folder(run, tmp_path: Path, lakehouse: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "is empty (0 bytes)" in _one_line_error(run("table", "import", str(path), "t"))
    assert not (lakehouse / "t").exists()


def test_import_into_a_catalog_name_registers_after_the_commit(run, tmp_path: Path, lakehouse: Path,
                                                               unique_name: str) -> None:
    from catalog.names import parse_table_name
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.storage import get_profile

    db = unique_name.replace("-", "_")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,v\n1,a\n2\n")
    _one_line_error(run("table", "import", str(bad), f"{db}.people"))
    settings = load_settings({"lake": str(lakehouse)})
    store = get_catalog(settings, get_profile(settings))
    try:
        assert not store.database_exists(db)  # nothing registered before a commit
        good = tmp_path / "people.csv"
        good.write_text("id,v\n1,a\n2,b\n")
        res = run("table", "import", str(good), f"{db}.people", "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["registered"] == f"{db}.people"
        table = store.get_table(*parse_table_name(f"{db}.people"))
        assert table.location == str(lakehouse / "warehouse" / db / "people")
        assert table.table_type == "MANAGED_TABLE"  # created by the import: PURGE may delete its logged files
        assert table.parameters["delta.version"] == "0"
        assert run("table", "import", str(good), f"{db}.people").exit_code == 0
        table = store.get_table(db, "people")
        assert table.parameters["delta.version"] == "1" and table.parameters["recordCount"] == "4"
    finally:
        store.close()


def test_new_column_hint_names_a_flag_that_exists(run, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("id\n1\n")
    second = tmp_path / "b.csv"
    second.write_text("id,extra\n2,x\n")
    assert run("table", "import", str(first), "evolve").exit_code == 0
    line = _one_line_error(run("table", "import", str(second), "evolve"))
    assert "--schema-mode merge" in line
    assert run("table", "import", str(second), "evolve", "--schema-mode", "merge").exit_code == 0
    assert sorted(r["id"] for r in _rows(run, "evolve")) == [1, 2]


def test_progress_reports_rows_bytes_and_elapsed(spark, tmp_path: Path) -> None:
    from lake.delta import DeltaTableStore
    from lake.importing import import_file
    from lake.storage import LocalProfile

    root = tmp_path / "lake"
    root.mkdir()
    profile = LocalProfile(root)
    path = tmp_path / "big.csv"
    path.write_text("id,v\n" + "".join(f"{i},{i * 2}\n" for i in range(20_000)))
    seen: list = []
    result = import_file(str(path), str(root / "big"), profile=profile, progress=seen.append,
                         store=lambda: DeltaTableStore(spark, profile))
    assert result.rows == 20_000 and result.bytes == path.stat().st_size
    assert seen[0].phase == "decode" and seen[-1].phase == "write"
    parse = [p for p in seen if p.phase == "parse"]
    assert parse and parse[-1].bytes == result.bytes and seen[-1].rows == 20_000
    assert all(b.elapsed >= a.elapsed for a, b in itertools.pairwise(seen))
