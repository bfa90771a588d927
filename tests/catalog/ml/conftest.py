"""A small lake for training over the catalog: a Delta table ``silver.visits`` and views over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

VISITS_SCHEMA = "visit_id long, age double, bp double, smoker string, active boolean, label int"


def visits(spark: Any, n: int = 240, *, start: int = 0, seed: int = 1) -> Any:
    """``n`` visits with a label drawn from a logistic model of age, bp and smoker (some ages missing)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 10, n)
    bp = rng.normal(125, 15, n)
    smoker = rng.choice(["never", "former", "current"], n)
    active = rng.random(n) < 0.5
    logit = 0.08 * (age - 55) + 0.04 * (bp - 125) + np.where(smoker == "current", 1.0, 0.0) - 0.3
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    rows = [(start + i, None if i % 17 == 3 else float(age[i]), float(bp[i]), str(smoker[i]), bool(active[i]),
             int(label[i])) for i in range(n)]
    return spark.createDataFrame(rows, VISITS_SCHEMA)


@dataclass
class CatalogLake:
    """A lake + embedded catalog + MLflow store, with ``silver.visits`` and the views ``ml.visit_*``."""

    spark: Any
    settings: Any
    profile: Any
    store: Any
    delta: Any
    engine: Any
    tracking: Any

    def env(self, **kwargs: Any) -> Any:
        from catalog.ml import TrainingEnv

        return TrainingEnv(self.spark, self.store, self.profile, self.tracking, self.delta, **kwargs)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return list(self.engine.query(sql))

    def append_visits(self, n: int, start: int) -> int:
        """Append ``n`` new visits to silver.visits; returns the new Delta version."""
        from catalog import register_delta_table

        result = self.delta.write(visits(self.spark, n, start=start, seed=start), "silver/visits", mode="append")
        register_delta_table(self.store, "silver", "visits", "silver/visits", self.profile)
        assert result.version is not None
        return int(result.version)


def make_lake(spark: Any, root: Path, profile: Any) -> CatalogLake:
    from catalog import register_delta_table
    from catalog.sql import SqlEngine
    from catalog.stores.embedded import EmbeddedStore
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.ml.tracking import open_tracking

    settings = load_settings({"home": str(root / "home")}, project_dir=root)
    store = EmbeddedStore(root / "catalog.db")
    delta = DeltaTableStore(spark, profile)
    delta.write(visits(spark), "silver/visits", mode="create")
    register_delta_table(store, "silver", "visits", "silver/visits", profile)
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False, delta=delta)
    engine.execute("""
        CREATE VIEW ml.visit_base AS SELECT visit_id, age, bp, smoker, active, label FROM silver.visits;
        CREATE VIEW ml.visit_features AS SELECT * FROM ml.visit_base WHERE label IS NOT NULL;
    """)
    return CatalogLake(spark, settings, profile, store, delta, engine, open_tracking(settings, profile))


def spec_data(name: str, **extra: Any) -> dict[str, Any]:
    """A quick spec over ml.visit_features (logistic regression, no tuning)."""
    data: dict[str, Any] = {
        "name": name, "source": "ml.visit_features", "task": "binary", "label": "label", "id": "visit_id",
        "prep": {"impute": "median", "scale": "standard"},
        "split": {"train": 0.6, "validation": 0.2, "test": 0.2, "seed": 9},
        "model": {"algorithm": "logistic_regression", "max_iter": 15},
    }
    data.update(extra)
    return data


def sql_spec_data(name: str, sql: str) -> dict[str, Any]:
    """:func:`spec_data` reading inline ``sql`` instead of the view."""
    data = spec_data(name)
    del data["source"]
    return {**data, "sql": sql}


@pytest.fixture(scope="module")
def moto_catalog_lake(spark: Any, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[CatalogLake]:
    """On the moto server: Delta tables, results tables and MLflow artifacts all in S3."""
    import uuid

    from lake.storage import moto_profile

    profile = moto_profile(moto_endpoint, f"s3://lakeforge-tests/ml-{uuid.uuid4().hex[:8]}")
    lake = make_lake(spark, tmp_path_factory.mktemp("catalog-ml"), profile)
    yield lake
    lake.engine.close()
    lake.store.close()
