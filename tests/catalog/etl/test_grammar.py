"""The ``CREATE OR REFRESH TABLE`` grammar: what it accepts, and errors that name line and column."""

from __future__ import annotations

import pytest

from catalog.names import TableName
from catalog.sql.errors import SqlSyntaxError
from catalog.sql.statements import StatementKind, parse_statement, split_statements

SCRIPT = """-- silver
CREATE OR REFRESH TABLE silver.visits (
  CONSTRAINT valid_age EXPECT (age BETWEEN 18 AND 100) ON VIOLATION DROP ROW,
  CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT note EXPECT (comment <> 'a;b')
)
KEY (id)
PARTITIONED BY (event_date)
AS SELECT id, age, comment, event_date FROM bronze.visits WHERE age IS NOT NULL;
CREATE OR REFRESH TABLE daily PARTITIONED BY (d) KEY (d) AS SELECT d, count(*) AS n FROM silver.visits GROUP BY d
"""


def _parse(sql: str, dialect: str = "spark"):  # type: ignore[no-untyped-def]
    return [parse_statement(text, dialect, "gold") for text in split_statements(sql, dialect)]


def test_the_head_is_parsed_and_the_query_handed_to_sqlglot() -> None:
    silver, daily = _parse(SCRIPT)
    assert silver.kind is StatementKind.CREATE_ETL_TABLE and silver.kind.is_ddl
    decl = silver.options["etl"]
    assert decl.name == TableName("silver", "visits") and decl.key == ("id",) and decl.partitioned_by == ("event_date",)
    assert [(c.name, c.action, c.line, c.column) for c in decl.constraints] == [
        ("valid_age", "drop", 3, 3), ("has_id", "fail", 4, 3), ("note", "warn", 5, 3)]
    assert decl.constraints[2].expression == "comment <> 'a;b'"  # the ';' inside the string did not split
    assert decl.query.sql() == "SELECT id, age, comment, event_date FROM bronze.visits WHERE NOT age IS NULL"
    assert (decl.query_source.line, decl.query_source.column) == (9, 4)
    assert daily.name == TableName("gold", "daily") and daily.options["etl"].key == ("d",)


def test_athena_expressions_are_translated_to_spark_sql() -> None:
    (stmt,) = _parse("CREATE OR REFRESH TABLE s.t (CONSTRAINT c EXPECT (regexp_like(code, '^[A-Z]+$'))) "
                     "AS SELECT code FROM s.raw", dialect="athena")
    assert stmt.options["etl"].constraints[0].expression == "code RLIKE '^[A-Z]+$'"


@pytest.mark.parametrize(("sql", "line", "column", "message"), [
    ("CREATE OR REFRESH VIEW s.t AS SELECT 1", 1, 19, "expected TABLE"),
    ("CREATE OR REFRESH TABLE s.t (\n  CONSTRAINT c EXPECT (x >)\n) AS SELECT 1", 2, 26, "constraint c: incomplete GT"),
    ("CREATE OR REFRESH TABLE s.t (CONSTRAINT c EXPECT (x > 1) ON VIOLATION DELETE) AS SELECT 1", 1, 71,
     "expected DROP ROW or FAIL UPDATE"),
    ("CREATE OR REFRESH TABLE s.t (CONSTRAINT c EXPECT (x > 1), CONSTRAINT C EXPECT (y > 1)) AS SELECT 1", 1, 59,
     "two constraints are named"),
    ("CREATE OR REFRESH TABLE s.t KEY (a) KEY (b) AS SELECT 1", 1, 37, "expected PARTITIONED BY"),
    ("CREATE OR REFRESH TABLE s.t KEY (a, a) AS SELECT 1", 1, 37, "KEY names the column 'a' twice"),
    ("CREATE OR REFRESH TABLE s.t\nAS\n  SELECT a FROM WHERE", 3, 17, "syntax error"),
    ("CREATE OR REFRESH TABLE s.t AS INSERT INTO x VALUES (1)", 1, 32, "takes a query"),
    ("CREATE OR REFRESH TABLE s.t (CONSTRAINT c EXPECT (x > 1)", 1, 57, "',' or ')'"),
])
def test_syntax_errors_name_line_and_column(sql: str, line: int, column: int, message: str) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        _parse(sql)
    error = caught.value
    assert message in str(error) and (error.line, error.column) == (line, column), str(error)
