"""Fixtures for the ETL engine tests: a table store per lake profile; etl_testkit on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def store(spark, lake):  # type: ignore[no-untyped-def]
    from lake.delta import DeltaTableStore

    return DeltaTableStore(spark, lake)


@pytest.fixture
def local_store(spark, local_lake):  # type: ignore[no-untyped-def]
    from lake.delta import DeltaTableStore

    return DeltaTableStore(spark, local_lake)
