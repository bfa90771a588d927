"""Incremental or complete, decided from the query's shape and what the catalog says its tables are."""

from __future__ import annotations

import pytest

from catalog.etl.shape import query_shape
from catalog.etl.sources import plan_sources
from catalog.names import TableName
from catalog.sql.dialect import parse_sql
from catalog.sql.resolve import TableInfo

BRONZE, CODES, OTHER = TableName("bronze", "heart"), TableName("ref", "codes"), TableName("bronze", "iot")


def _info(name: TableName, kind: str) -> TableInfo:
    return TableInfo(name, None, kind)  # type: ignore[arg-type]  # only name and kind matter here


@pytest.mark.parametrize(("sql", "reason"), [
    ("SELECT a, count(*) FROM bronze.heart GROUP BY a", "an aggregate function"),
    ("SELECT row_number() OVER (ORDER BY a) AS n FROM bronze.heart", "a window function"),
    ("SELECT DISTINCT a FROM bronze.heart", "DISTINCT"),
    ("SELECT a FROM bronze.heart UNION ALL SELECT a FROM bronze.iot", "a UNION"),
    ("SELECT * FROM bronze.heart WHERE a IN (SELECT a FROM ref.codes)", "a subquery"),
    ("WITH x AS (SELECT * FROM bronze.heart) SELECT * FROM x", "a WITH clause"),
    ("SELECT * FROM bronze.heart RIGHT JOIN ref.codes USING (k)", "a RIGHT JOIN"),
    ("SELECT * FROM bronze.heart LIMIT 5", "LIMIT"),
])
def test_queries_that_are_not_row_wise_are_complete(sql: str, reason: str) -> None:
    shape = query_shape(parse_sql(sql, "spark"), "default")
    assert not shape.row_wise and shape.reason.startswith(reason)


def test_one_delta_source_joined_with_static_tables_is_incremental() -> None:
    shape = query_shape(parse_sql("SELECT h.*, c.label FROM bronze.heart h LEFT JOIN ref.codes c USING (code) "
                                  "WHERE h.age > 18", "spark"), "default")
    assert shape.row_wise and shape.driving == BRONZE and shape.joined == (CODES,)
    plan = plan_sources(shape, [_info(BRONZE, "delta"), _info(CODES, "json")])
    assert plan.mode == "incremental" and plan.incremental == BRONZE and plan.always_recompute is None
    assert "joined with static ref.codes (json)" in plan.mode_reason
    joined_delta = plan_sources(shape, [_info(BRONZE, "delta"), _info(CODES, "delta")])
    assert joined_delta.mode == "complete" and "several Delta tables" in joined_delta.mode_reason
    joined_view = plan_sources(shape, [_info(BRONZE, "delta"), _info(CODES, "view")])
    assert joined_view.mode == "complete" and "recomputed every run" in (joined_view.always_recompute or "")
