"""Errors are specific and one line: unknown names with suggestions and positions, syntax
errors with line and column, Spark type errors passed through readably."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.sql import SqlSyntaxError, SqlTypeError, UnknownColumnError, UnknownTableError


@pytest.fixture(scope="module")
def people(local_env: Any) -> str:
    db = local_env.unique_db("err")
    local_env.run(f"CREATE TABLE {db}.people AS SELECT id, concat('p', CAST(id AS STRING)) AS name, "
                  "id * 10 AS age FROM range(3)")
    return db


def test_unknown_column_names_line_column_and_candidates(local_env: Any, people: str) -> None:
    script = f"SELECT 1;\nSELECT id,\n       nmae\nFROM {people}.people p"
    with pytest.raises(UnknownColumnError) as info:
        local_env.run(script)
    err = info.value
    assert (err.column_name, err.line, err.column) == ("nmae", 3, 8)
    assert err.suggestions[0] == "name"
    assert str(err) == "unknown column 'nmae' (line 3, column 8); did you mean 'name', 'age', 'id'?"


def test_unqualified_name_suggests_the_database_that_has_it(local_env: Any, people: str) -> None:
    with pytest.raises(UnknownTableError, match=rf"unknown table 'default.people' .*did you mean '{people}.people'"):
        local_env.run("SELECT * FROM people")


def test_syntax_error_in_a_script_reports_line_and_column(local_env: Any, people: str) -> None:
    third = f"SELECT id FROM {people}.people WHERE age >"
    with pytest.raises(SqlSyntaxError) as info:
        local_env.run(f"SELECT 1;\n\n{third}")
    assert (info.value.line, info.value.column) == (3, third.index(">") + 1)
    assert "\n" not in str(info.value)


def test_type_errors_from_spark_are_one_readable_line(local_env: Any, people: str) -> None:
    with pytest.raises(SqlTypeError) as analysis:
        local_env.run(f"SELECT name - DATE '2024-01-01' FROM {people}.people")
    with pytest.raises(SqlTypeError) as runtime:
        local_env.run(f"SELECT CAST(name AS INT) FROM {people}.people")
    for err in (analysis.value, runtime.value):
        text = str(err)
        assert text.startswith("type error") and "\n" not in text and "_lf_" not in text and "SQLSTATE" not in text
    assert "The value 'p" in str(runtime.value) and "cannot be cast to \"INT\"" in str(runtime.value)
