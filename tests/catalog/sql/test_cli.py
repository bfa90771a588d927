"""``lake sql``: a query argument or --file, dialects, formats and --output, saved queries,
history, and one-line errors with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> dict[str, str]:
    """A local lake and an embedded catalog in a private LAKEFORGE_HOME (the session's Spark is reused)."""
    tmp = tmp_path_factory.mktemp("sql-cli")
    return {"LAKEFORGE_HOME": str(tmp / "home"), "LAKEFORGE_LAKE": str(tmp / "lakehouse"),
            "LAKEFORGE_PROFILE": "local", "LAKEFORGE_CATALOG__STORE": "embedded"}


def lake(env: dict[str, str], *args: str) -> Any:
    from infra.cli.main import app

    return CliRunner().invoke(app, list(args), env=env)


def test_query_argument_file_and_json_output(cli_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "build.sql"
    script.write_text("CREATE TABLE cli.t WITH (partitioned_by = ARRAY['g']) AS\n"
                      "  SELECT id, CAST(id % 2 AS varchar) AS g FROM range(5);\n"
                      "SELECT g, count(*) AS n FROM cli.t GROUP BY g ORDER BY g;\n")
    result = lake(cli_env, "sql", "--file", str(script), "--dialect", "athena", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"rows": 5}, {"g": "0", "n": 3}, {"g": "1", "n": 2}]
    assert "created table cli.t with 5 rows" in result.stderr and "saved to" in result.stderr
    table = lake(cli_env, "sql", "SELECT id FROM cli.t WHERE g = '1' ORDER BY id", "--no-save", "--format", "table")
    cells = [line.strip("│ ") for line in table.stdout.splitlines() if line.startswith("│")]
    assert table.exit_code == 0 and "┃" in table.stdout and cells == ["1", "3"]
    assert "saved to" not in table.stderr
    piped = lake(cli_env, "sql", "SELECT id FROM cli.t WHERE g = '1' ORDER BY id")  # not a terminal: CSV
    assert piped.stdout == "id\n1\n3\n"


def test_csv_and_parquet_to_an_output_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    result = lake(cli_env, "sql", "SELECT 1 AS a, 'x,y' AS b", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text() == 'a,b\n1,"x,y"\n'
    pq_out = tmp_path / "o.parquet"
    assert lake(cli_env, "sql", "SELECT id FROM range(3)", "--format", "parquet", "-o", str(pq_out)).exit_code == 0
    assert pq.read_table(pq_out).column("id").to_pylist() == [0, 1, 2]
    bad = lake(cli_env, "sql", "SELECT 1", "--format", "parquet")
    assert bad.exit_code == 1 and "--format parquet needs --output PATH" in bad.stderr


def test_save_run_list_and_history(cli_env: dict[str, str], tmp_path: Path) -> None:
    sql = tmp_path / "q.sql"
    sql.write_text("SELECT 40 + 2 AS answer")
    saved = lake(cli_env, "sql", "save", "answer", "--file", str(sql), "--description", "the answer")
    assert saved.exit_code == 0, saved.output
    ran = lake(cli_env, "sql", "run", "answer", "--format", "csv")
    assert ran.exit_code == 0 and ran.stdout == "answer\n42\n"
    listed = json.loads(lake(cli_env, "sql", "list", "--json").stdout)
    assert [(q["name"], q["description"]) for q in listed] == [("answer", "the answer")]
    history = json.loads(lake(cli_env, "sql", "history", "--limit", "1", "--json").stdout)
    assert history[0]["query"] == "SELECT 40 + 2 AS answer" and history[0]["state"] == "SUCCEEDED"
    missing = lake(cli_env, "sql", "run", "answr")
    assert missing.exit_code == 1 and "did you mean 'answer'" in missing.stderr


def test_errors_are_one_line_with_exit_code_1(cli_env: dict[str, str]) -> None:
    result = lake(cli_env, "sql", "SELECT 1;\nSELECT nope FROM range(2)")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == "error: unknown column 'nope' (line 2, column 8); did you mean 'id'?"
    usage = lake(cli_env, "sql", "--format", "csv")
    assert usage.exit_code == 1 and "give the SQL as an argument or with --file" in usage.stderr
