"""``lake table`` never adopts or deletes files it did not write, guards time travel in VACUUM,
prints readable rows to pipes and files, and reads history without Spark."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from infra.cli.main import app

PYTHON = Path(sys.executable)


@pytest.fixture
def lake_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKEFORGE_LAKE", str(root))
    return root


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def people(lake_dir: Path) -> Path:
    """A two-version Delta table written with delta-rs alone (no Spark)."""
    path = lake_dir / "people"
    write_deltalake(str(path), pa.table({"id": [1, 2], "name": ["ann", "bo\tb"], "country": ["se", None]}))
    write_deltalake(str(path), pa.table({"id": [3], "name": ["cid"], "country": ["no"]}), mode="append")
    return path


def test_import_never_adopts_other_files_and_vacuum_never_deletes_them(spark, lake_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("id,name\n1,ann\n2,bob\n")
    folder = tmp_path / "some" / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "readme.txt").write_text("mine")
    (folder / "sub" / "people.csv").write_text("id\n1\n")
    refused = run("table", "import", str(data), str(folder))
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    assert "is not empty and is not a Delta table (found readme.txt, sub/)" in refused.output
    assert "--allow-non-empty" in refused.output and not (folder / "_delta_log").exists()

    assert run("table", "import", str(data), str(folder), "--allow-non-empty").exit_code == 0
    assert run("table", "import", str(data), str(folder), "--mode", "overwrite").exit_code == 0
    unforced = run("table", "vacuum", str(folder), "--retain-hours", "0")
    assert unforced.exit_code == 1 and unforced.output.count("\n") == 1 and "--force" in unforced.output
    vacuumed = run("table", "vacuum", str(folder), "--retain-hours", "0", "--force")
    assert vacuumed.exit_code == 0 and vacuumed.output.startswith("deleted 1 files"), vacuumed.output
    assert (folder / "readme.txt").read_text() == "mine" and (folder / "sub" / "people.csv").exists()


def test_negative_retention_is_a_one_line_error(people: Path) -> None:
    res = run("table", "vacuum", str(people), "--retain-hours", "-1")
    assert res.exit_code == 2  # typer's own range check: a usage error, one line and click's hint
    assert res.stderr.splitlines() == ["error: Invalid value for '--retain-hours': Input should be greater than or "
                                       "equal to 0", "Try 'lake table vacuum --help' for help."]


def test_the_minimum_retention_is_a_setting(people: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "minimum of 168 h" in run("table", "vacuum", str(people), "--retain-hours", "1").output
    monkeypatch.setenv("LAKEFORGE_DELTA__VACUUM_MIN_RETENTION_HOURS", "0.5")
    assert run("table", "vacuum", str(people), "--retain-hours", "1").exit_code == 0
    monkeypatch.setenv("LAKEFORGE_DELTA__VACUUM_MIN_RETENTION_HOURS", "soon")
    res = run("table", "vacuum", str(people))
    assert res.exit_code == 1 and "delta.vacuum_min_retention_hours" in res.output


def test_show_to_a_pipe_prints_tab_separated_rows_with_headers(spark, people: Path) -> None:
    res = run("table", "show", str(people))
    assert res.exit_code == 0, res.output
    assert sorted(res.output.splitlines()) == sorted(["id\tname\tcountry", "1\tann\tse", "2\tbo\\tb\t", "3\tcid\tno"])


@pytest.mark.slow
def test_show_redirected_to_a_file_in_a_real_process(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "shown.tsv"
    with out.open("w") as fh:
        proc = subprocess.run([str(PYTHON.parent / "lake"), "table", "show", str(people), "--limit", "5"],
                              stdout=fh, stderr=subprocess.PIPE, text=True, env=os.environ.copy(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "id\tname\tcountry" and len(lines) == 4 and "3\tcid\tno" in lines


def test_history_reads_the_log_without_spark(people: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli.context import CliContext

    def no_spark(self, app_name: str = "") -> None:  # type: ignore[no-untyped-def]
        raise AssertionError("history must not start Spark")

    monkeypatch.setattr(CliContext, "spark", no_spark)
    res = run("table", "history", str(people))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "version\ttime (UTC)\toperation\tparameters"
    assert [line.split("\t")[0] for line in lines[1:]] == ["1", "0"]


def test_history_starts_no_jvm_in_a_fresh_process(people: Path) -> None:
    script = (
        "import sys; from typer.testing import CliRunner; from infra.cli.main import app; "
        f"r = CliRunner().invoke(app, ['table', 'history', {str(people)!r}, '--json']); "
        "from pyspark import SparkContext; "
        "print(r.exit_code, SparkContext._active_spark_context is None, SparkContext._gateway is None)"
    )
    proc = subprocess.run([str(PYTHON), "-c", script], capture_output=True, text=True, env=os.environ.copy(),
                          timeout=120)
    assert proc.stdout.split() == ["0", "True", "True"], proc.stderr
