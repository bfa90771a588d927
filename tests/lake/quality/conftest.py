"""Fixtures for data-quality tests: a small vitals-like DataFrame and one shared GX validation."""

from __future__ import annotations

import pytest

VITALS_ROWS = 200


def expected(i: int) -> dict[str, object]:
    """The row with ``record_id == i`` as the ``vitals`` fixture builds it."""
    age = None if i % 20 == 7 else 18 + i % 100
    status = "bad" if i % 50 == 0 else "warn" if i % 3 == 0 else "ok"
    return {"record_id": i, "age": age, "status": status, "hr": float(60 + i % 40), "device": f"dev-{i % 5}"}


@pytest.fixture(scope="session")
def vitals_rows() -> list[dict[str, object]]:
    """The ``vitals`` rows in Python, to compute expected counts independently of Spark."""
    return [expected(i) for i in range(VITALS_ROWS)]


@pytest.fixture(scope="session")
def vitals(spark):  # type: ignore[no-untyped-def]
    """200 rows built from ``id`` 0..199; :func:`expected` gives the same values in Python."""
    return spark.range(VITALS_ROWS).selectExpr(
        "id as record_id",
        "CASE WHEN id % 20 = 7 THEN NULL ELSE 18 + CAST(id % 100 AS INT) END AS age",
        "CASE WHEN id % 50 = 0 THEN 'bad' WHEN id % 3 = 0 THEN 'warn' ELSE 'ok' END AS status",
        "CAST(60 + id % 40 AS DOUBLE) AS hr",
        "concat('dev-', CAST(id % 5 AS STRING)) AS device",
    ).cache()


@pytest.fixture(scope="session")
def warn_outcome(vitals):  # type: ignore[no-untyped-def]
    """One GX validation (warn actions, two unmet) reused by the runner and Data Docs tests."""
    from lake.quality import parse_suite, run_table_rules

    suite = parse_suite({
        "name": "vitals_shared",
        "expectations": [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "record_id"}},
            {"type": "expect_column_values_to_be_in_set",
             "kwargs": {"column": "status", "value_set": ["ok", "warn"]}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 100}},
        ],
    })
    return run_table_rules(vitals, suite, table="silver.vitals", run_id="run-shared-1")
