"""Splitting, classification, dialect translation and filter extraction (no Spark)."""

from __future__ import annotations

import pytest
import sqlglot

from catalog.names import TableName
from catalog.sql import SqlSyntaxError, StatementKind, UnsupportedSqlError, parse_statement, split_statements
from catalog.sql.dialect import to_spark_sql
from catalog.sql.errors import SqlError
from catalog.sql.pushdown import SourceColumns, extract_filters
from catalog.sql.query import qualify_names, referenced_tables


def _kind(sql: str, dialect: str = "spark") -> StatementKind:
    (text,) = split_statements(sql, dialect)
    return parse_statement(text, dialect).kind


def test_split_ignores_semicolons_in_strings_comments_and_quoted_names() -> None:
    script = "-- a; comment\nSELECT 'a;b' AS `x;y`; /* c; d */ SELECT 2\n  FROM db.t;\n\n;"
    texts = split_statements(script)
    assert [t.text for t in texts] == ["SELECT 'a;b' AS `x;y`", "SELECT 2\n  FROM db.t"]
    assert (texts[0].line, texts[0].column) == (2, 1)
    assert (texts[1].line, texts[1].column) == (2, 35)


@pytest.mark.parametrize(("sql", "kind"), [
    ("SELECT 1", StatementKind.QUERY),
    ("WITH x AS (SELECT 1 a) SELECT * FROM x UNION ALL SELECT 2", StatementKind.QUERY),
    ("CREATE OR REPLACE VIEW db.v AS SELECT * FROM db.t", StatementKind.CREATE_VIEW),
    ("DROP VIEW IF EXISTS db.v", StatementKind.DROP_VIEW),
    ("CREATE TABLE db.t WITH (partitioned_by = ARRAY['c'], format = 'delta') AS SELECT 1 a, 'x' c",
     StatementKind.CREATE_TABLE_AS),
    ("CREATE TABLE db.t USING delta PARTITIONED BY (c) AS SELECT 1 a, 'x' c", StatementKind.CREATE_TABLE_AS),
    ("CREATE TABLE db.t (a INT, c STRING) PARTITIONED BY (c)", StatementKind.CREATE_TABLE),
    ("DROP TABLE db.t PURGE", StatementKind.DROP_TABLE),
    ("CREATE DATABASE IF NOT EXISTS db", StatementKind.CREATE_DATABASE),
    ("DROP SCHEMA db CASCADE", StatementKind.DROP_DATABASE),
    ("INSERT INTO db.t SELECT * FROM db.u", StatementKind.INSERT),
    ("INSERT OVERWRITE TABLE db.t PARTITION (c = 'x') SELECT a FROM db.u", StatementKind.INSERT),
    ("MERGE INTO db.t t USING db.u s ON t.id = s.id WHEN MATCHED THEN DELETE", StatementKind.MERGE),
    ("DELETE FROM db.t WHERE a > 1", StatementKind.DELETE),
    ("USE db", StatementKind.USE),
    ("SHOW DATABASES", StatementKind.SHOW_DATABASES),
    ("SHOW SCHEMAS LIKE 'sal*'", StatementKind.SHOW_DATABASES),
    ("SHOW TABLES", StatementKind.SHOW_TABLES),
    ("SHOW TABLES IN db 'ev*'", StatementKind.SHOW_TABLES),
    ("SHOW COLUMNS IN db.t", StatementKind.SHOW_COLUMNS),
    ("DESCRIBE db.t", StatementKind.DESCRIBE),
    ("DESC FORMATTED db.t", StatementKind.DESCRIBE),
    ("SHOW PARTITIONS db.t", StatementKind.SHOW_PARTITIONS),
    ("SHOW CREATE VIEW db.v", StatementKind.SHOW_CREATE),
    ("EXPLAIN SELECT * FROM db.t", StatementKind.EXPLAIN),
    ("MSCK REPAIR TABLE db.t", StatementKind.MSCK_REPAIR),
])
def test_every_statement_kind_is_recognised(sql: str, kind: StatementKind) -> None:
    assert _kind(sql) == kind


def test_athena_statements_are_recognised_in_the_athena_dialect() -> None:
    assert _kind('SELECT * FROM "db"."t" FOR VERSION AS OF 3', "athena") == StatementKind.QUERY
    assert _kind("MSCK REPAIR TABLE db.t", "athena") == StatementKind.MSCK_REPAIR


def test_names_resolve_against_the_default_database_and_accept_the_athena_catalog() -> None:
    (text,) = split_statements("SHOW PARTITIONS awsdatacatalog.Sales.Orders")
    assert parse_statement(text, "spark", "x").name == TableName("sales", "orders")
    (text,) = split_statements("DESCRIBE orders")
    assert parse_statement(text, "spark", "sales").name == TableName("sales", "orders")
    (text,) = split_statements("SELECT * FROM other.db.t")
    ast = parse_statement(text).ast
    assert ast is not None
    with pytest.raises(UnsupportedSqlError, match="catalog 'other'"):
        referenced_tables(ast, "default")


def test_syntax_error_reports_script_line_and_column() -> None:
    script = "SELECT 1;\nSELECT a,\n  b FROM db.t WHERE"
    texts = split_statements(script)
    with pytest.raises(SqlSyntaxError) as info:
        parse_statement(texts[1])
    assert (info.value.line, info.value.column) == (3, 15)
    assert "line 3, column 15" in str(info.value) and "WHERE" in str(info.value)


def test_unterminated_string_is_located() -> None:
    with pytest.raises(SqlSyntaxError, match="line 2, column 23: unterminated string"):
        split_statements("SELECT 1;\nSELECT * FROM t WHERE 'abc")


def test_unsupported_statements_name_themselves() -> None:
    with pytest.raises(UnsupportedSqlError, match="SHOW FUNCTIONS"):
        _kind("SHOW FUNCTIONS")
    with pytest.raises(UnsupportedSqlError, match="'GRANT SELECT'"):
        _kind("GRANT SELECT ON db.t TO someone")


@pytest.mark.parametrize(("athena", "spark"), [
    ("SELECT date_trunc('day', ts) FROM t", "SELECT DATE_TRUNC('DAY', ts) FROM t"),
    ("SELECT approx_distinct(x) FROM t", "SELECT APPROX_COUNT_DISTINCT(x) FROM t"),
    ("SELECT from_iso8601_timestamp(s) FROM t", "SELECT CAST(s AS TIMESTAMP) FROM t"),
    ("SELECT CAST(x AS varchar) FROM t", "SELECT CAST(x AS STRING) FROM t"),
    ("SELECT a FROM t CROSS JOIN UNNEST(arr) AS u(x)", "SELECT a FROM t LATERAL VIEW EXPLODE(arr) u AS x"),
    ("SELECT day_of_week(d), extract(dow FROM d) FROM t",
     "SELECT (WEEKDAY(d) + 1), EXTRACT(DAYOFWEEK_ISO FROM d) FROM t"),
])
def test_athena_sql_is_transpiled_to_spark(athena: str, spark: str) -> None:
    assert to_spark_sql(sqlglot.parse_one(athena, read="trino"), "athena") == spark


def test_untranslatable_athena_construct_fails_naming_it() -> None:
    sql = "SELECT * FROM t MATCH_RECOGNIZE (ORDER BY x MEASURES A.x AS y PATTERN (A) DEFINE A AS true)"
    with pytest.raises(UnsupportedSqlError, match="MATCH_RECOGNIZE"):
        to_spark_sql(sqlglot.parse_one(sql, read="trino"), "athena")


def test_unknown_dialect_lists_the_valid_ones() -> None:
    with pytest.raises(SqlError, match="valid dialects: spark, athena"):
        split_statements("SELECT 1", "oracle")


def test_referenced_tables_skip_ctes_and_qualify_with_the_default_database() -> None:
    sql = "WITH recent AS (SELECT * FROM db.events) SELECT * FROM recent JOIN devices d ON recent.k = d.k"
    ast = sqlglot.parse_one(sql, read="spark")
    assert referenced_tables(ast, "lake") == [TableName("db", "events"), TableName("lake", "devices")]
    assert "JOIN lake.devices AS d" in qualify_names(ast, "lake").sql("spark")


def _filters(where: str, *, complete: bool = True) -> dict[str, list[tuple[str, str, object]]]:
    ast = sqlglot.parse_one(f"SELECT * FROM a JOIN b ON a.k = b.k WHERE {where}", read="spark")
    sources = {
        "a": SourceColumns("a", {"day": ("day", "date"), "n": ("n", "bigint"), "k": ("k", "string")}),
        "b": SourceColumns("b", {"region": ("Region", "string"), "k": ("k", "string")}),
    }
    return extract_filters(ast.args["where"], sources, complete=complete)


def test_filters_are_attributed_to_their_table() -> None:
    found = _filters("a.day = DATE '2024-01-02' AND region IN ('eu', 'us') AND n BETWEEN 1 AND 5 AND 3 < a.n")
    assert found == {
        "a": [("day", "=", "2024-01-02"), ("n", ">=", 1), ("n", "<=", 5), ("n", ">", 3)],
        "b": [("Region", "in", ["eu", "us"])],
    }


def test_only_null_rejecting_type_safe_conjuncts_are_pushed() -> None:
    assert _filters("a.n = 1 OR b.region = 'eu'") == {}          # disjunction
    assert _filters("a.n = '1'") == {}                            # needs a cast in Spark
    assert _filters("k = 'x'") == {}                               # ambiguous column
    assert _filters("n = 2", complete=False) == {}                # other sources unknown
    assert _filters("a.n IS NULL AND a.n + 1 = 2") == {}          # not column-vs-literal
