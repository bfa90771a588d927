"""Fixtures for table-store tests: a store per lake profile and small DataFrames."""

from __future__ import annotations

import pytest
from deltalake import DeltaTable


@pytest.fixture
def store(spark, lake):  # type: ignore[no-untyped-def]
    from lake.delta import DeltaTableStore

    return DeltaTableStore(spark, lake)


@pytest.fixture
def events(spark):  # type: ignore[no-untyped-def]
    """A factory of event DataFrames ``ids [start, start+n)`` over three dates."""

    def make(start: int = 0, n: int = 90):  # type: ignore[no-untyped-def]
        return spark.range(start, start + n).selectExpr(
            "id",
            "concat('dev-', cast(id % 7 as string)) as device",
            "cast(id * 1.5 as double) as value",
            "date'2026-03-01' + cast(id % 3 as int) as event_date",
        )

    return make


@pytest.fixture
def delta_rs(lake):  # type: ignore[no-untyped-def]
    """Open a table with deltalake directly (interop: not through our reader)."""

    def open_(uri: str) -> DeltaTable:
        return DeltaTable(uri, storage_options=lake.storage_options())

    return open_
