"""Fixtures for the catalog ETL tests: a local lake with its embedded catalog (as jobs open it) and an engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class EtlEnv:
    """A lake, its catalog, the table store and a SQL engine (nothing saved, no history)."""

    spark: Any
    settings: Any
    profile: Any
    store: Any
    delta: Any
    engine: Any
    root: Path

    def sql(self, script: str, source_dir: Path | None = None) -> list[Any]:
        self.engine.source_dir = source_dir
        try:
            return self.engine.execute(script)
        finally:
            self.engine.source_dir = None

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.engine.query(sql)

    def bronze(self, db: str, rows: list[dict[str, Any]], *, name: str = "visits", create: bool = False) -> None:
        """Append ``rows`` to the Delta table ``db.name`` (registered on creation)."""
        from catalog import register_delta_table

        df = self.spark.createDataFrame(rows, "id bigint, patient string, age int, clinic string, day date")
        rel = f"data/{db}/{name}"
        self.delta.write(df, rel, mode="create" if create else "append")
        if create:
            register_delta_table(self.store, db, name, rel, self.profile)

    def write_rules(self, folder: Path, table: str, *, suite: dict[str, Any] | None = None,
                    dqdl: str | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if suite is not None:
            (folder / f"{table}.expectations.json").write_text(json.dumps(suite))
        if dqdl is not None:
            (folder / f"{table}.dqdl").write_text(dqdl)
        return folder


@pytest.fixture(scope="module")
def env(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtlEnv]:
    from catalog.sql import SqlEngine
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.storage import get_profile

    root = tmp_path_factory.mktemp("etl-sql") / "lakehouse"
    root.mkdir()
    settings = load_settings({"profile": "local", "lake": str(root)})
    profile = get_profile(settings)
    store = get_catalog(settings, profile)
    delta = DeltaTableStore(spark, profile)
    engine = SqlEngine(spark, store, profile, delta=delta, save_results=False, record_history=False)
    yield EtlEnv(spark, settings, profile, store, delta, engine, root)
    engine.close()
    store.close()
