"""Athena (Trino/Presto) SQL runs unchanged where Spark has the function, with the same
results as the Spark SQL equivalent; what cannot be translated fails naming the construct."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.sql import UnsupportedSqlError

PAIRS = [
    (  # date_trunc, approx_distinct, CAST AS varchar
        "SELECT date_trunc('month', ts) AS m, approx_distinct(device) AS d, CAST(count(*) AS varchar) AS n "
        "FROM {t} GROUP BY date_trunc('month', ts)",
        "SELECT date_trunc('MONTH', ts) AS m, approx_count_distinct(device) AS d, CAST(count(*) AS STRING) AS n "
        "FROM {t} GROUP BY date_trunc('MONTH', ts)",
    ),
    (  # from_iso8601_timestamp, date_diff, ISO weekdays (sqlglot alone gets day_of_week wrong)
        "SELECT device, from_iso8601_timestamp(iso) AS t, date_diff('day', DATE '2024-01-01', CAST(ts AS date)) AS d, "
        "day_of_week(ts) AS dow, extract(dow FROM ts) AS dow2 FROM {t}",
        "SELECT device, CAST(iso AS TIMESTAMP) AS t, datediff(CAST(ts AS DATE), DATE '2024-01-01') AS d, "
        "dayofweek(ts) - 1 + CASE WHEN dayofweek(ts) = 1 THEN 7 ELSE 0 END AS dow, "
        "dayofweek(ts) - 1 + CASE WHEN dayofweek(ts) = 1 THEN 7 ELSE 0 END AS dow2 FROM {t}",
    ),
    (  # arrays: cardinality, element_at, UNNEST
        "SELECT device, cardinality(tags) AS n, element_at(tags, 1) AS first, x "
        "FROM {t} CROSS JOIN UNNEST(tags) AS u(x)",
        "SELECT device, size(tags) AS n, element_at(tags, 1) AS first, x FROM {t} LATERAL VIEW explode(tags) u AS x",
    ),
    (  # strings and regular expressions
        "SELECT regexp_like(device, '^d[01]$') AS r, split_part(iso, '-', 2) AS mon, strpos(device, '1') AS p, "
        "lower(device) || '-' || CAST(v AS varchar) AS label FROM {t}",
        "SELECT device RLIKE '^d[01]$' AS r, split_part(iso, '-', 2) AS mon, instr(device, '1') AS p, "
        "concat(lower(device), '-', CAST(v AS STRING)) AS label FROM {t}",
    ),
    (  # try_cast, if, count_if, arbitrary-free aggregates
        "SELECT device, count_if(v > 1) AS big, sum(try_cast(code AS integer)) AS codes, "
        "if(sum(v) > 3, 'hi', 'lo') AS lvl FROM {t} GROUP BY device",
        "SELECT device, count_if(v > 1) AS big, sum(try_cast(code AS INT)) AS codes, "
        "if(sum(v) > 3, 'hi', 'lo') AS lvl FROM {t} GROUP BY device",
    ),
]


@pytest.fixture(scope="module")
def dialect_table(local_env: Any) -> str:
    env = local_env
    db = env.unique_db("dia")
    df = env.spark.createDataFrame(
        [(f"d{i % 3}", float(i), f"2024-0{i % 2 + 1}-1{i}T08:00:00Z", [f"t{i}", "all"], str(i) if i % 2 else "x")
         for i in range(6)],
        "device string, v double, iso string, tags array<string>, code string",
    ).selectExpr("*", "CAST(iso AS TIMESTAMP) AS ts")
    env.delta_table(db, "t", df, None)
    return f"{db}.t"


@pytest.mark.parametrize(("athena", "spark_sql"), PAIRS,
                         ids=["dates", "iso_and_diffs", "arrays", "strings", "aggregates"])
def test_athena_query_matches_its_spark_equivalent(local_env: Any, dialect_table: str, athena: str,
                                                   spark_sql: str) -> None:
    ours = sorted(map(repr, local_env.tuples(athena.format(t=dialect_table), dialect="athena")))
    theirs = sorted(map(repr, local_env.tuples(spark_sql.format(t=dialect_table))))
    assert ours == theirs and ours


def test_athena_function_spark_lacks_fails_naming_it(local_env: Any, dialect_table: str) -> None:
    with pytest.raises(UnsupportedSqlError, match=r"function format_datetime\(\).*no Spark SQL equivalent"):
        local_env.run(f"SELECT format_datetime(ts, 'yyyy') FROM {dialect_table}", dialect="athena")
    with pytest.raises(UnsupportedSqlError, match="MATCH_RECOGNIZE"):
        local_env.run(f"SELECT * FROM {dialect_table} MATCH_RECOGNIZE (ORDER BY v MEASURES A.v AS x "
                      "PATTERN (A) DEFINE A AS true)", dialect="athena")
