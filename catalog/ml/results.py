"""Training results written back to the lake as Delta tables registered in the catalog.

``ml.runs`` (one row per run, FAILED ones too), ``ml.metrics`` (run, split, metric, value),
``ml.trials`` (every tuning trial) and ``ml.predictions`` (the test split's predictions of each
registered version, partitioned by model). Each write is one Delta commit carrying the
transaction ``(app id = run id, version 0)``, so writing a run's rows again is a no-op. Tables
live at the ``ml`` database's location, else ``<lake>/warehouse/ml/<table>``, registered as
managed tables; ``lake sql "SELECT * FROM ml.runs"`` reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from catalog.delta import register_delta_table
from catalog.names import TableName, managed_location

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.ml.training import TrainResult
    from lake.storage import StorageProfile

__all__ = ["RESULTS_DATABASE", "RESULT_SCHEMAS", "ResultsWriter"]

RESULTS_DATABASE = "ml"
RESULT_SCHEMAS: dict[str, str] = {
    "runs": (
        "run_id string, model string, version int, status string, error string, error_type string, task string, "
        "algorithm string, seconds double, started_at timestamp, ended_at timestamp, source string, "
        "source_versions string, lineage string, threshold double, tune_metric string, artifact_uri string, "
        "model_uri string, reproduces string"
    ),
    "metrics": "run_id string, model string, version int, split string, metric string, value double",
    "trials": (
        "run_id string, model string, trial int, params string, metric_name string, metric double, "
        "metric_std double, seconds double, status string, error string, best boolean"
    ),
    "predictions": (
        "run_id string, model string, version int, id string, label string, prediction string, probability double"
    ),
}
_PARTITIONS = {"predictions": ["model"]}


class ResultsWriter:
    """Appends a run's rows to the ``ml.*`` result tables (idempotent per run) and registers them."""

    def __init__(
        self,
        spark: SparkSession,
        store: CatalogStore,
        profile: StorageProfile,
        *,
        delta: DeltaTableStore | None = None,
        database: str = RESULTS_DATABASE,
    ) -> None:
        from lake.delta import DeltaTableStore

        self.spark = spark
        self.store = store
        self.profile = profile
        self.delta = delta or DeltaTableStore(spark, profile)
        self.database = database

    def location(self, table: str) -> str:
        """The native URI of result table ``table`` (``runs``, ``metrics``, …)."""
        return self.profile.resolve(managed_location(self.store, TableName(self.database, table),
                                                     self.profile.lake_uri))

    def predictions(self, run_id: str, model: str, version: int, rows: DataFrame) -> None:
        """Append a version's test predictions (``id, label, prediction, probability``)."""
        from pyspark.sql import functions as F

        df = rows.select(F.lit(run_id).alias("run_id"), F.lit(model).alias("model"),
                         F.lit(version).cast("int").alias("version"), "id", "label", "prediction",
                         F.col("probability").cast("double").alias("probability"))
        self._append("predictions", df, run_id)

    def record(self, result: TrainResult, *, reproduces: str | None = None) -> None:
        """Append the run's row to ``ml.runs``, its metrics to ``ml.metrics`` and its trials to ``ml.trials``."""
        lineage = result.lineage
        versions = {t.name: t.version for t in lineage.tables} if lineage is not None else {}
        run = {
            "run_id": result.run_id, "model": result.model, "version": result.version, "status": result.status,
            "error": result.error, "error_type": result.error_type, "task": result.task,
            "algorithm": result.algorithm, "seconds": float(result.seconds),
            "started_at": result.started_at, "ended_at": result.ended_at,
            "source": lineage.source if lineage else None,
            "source_versions": json.dumps(versions, sort_keys=True),
            "lineage": lineage.to_json() if lineage else None, "threshold": result.threshold,
            "tune_metric": result.tune_metric, "artifact_uri": result.artifact_uri, "model_uri": result.model_uri,
            "reproduces": reproduces,
        }
        metrics = [{"run_id": result.run_id, "model": result.model, "version": result.version, "split": split,
                    "metric": name, "value": float(value)}
                   for split, values in sorted(result.metrics.items()) for name, value in sorted(values.items())]
        trials = [{"run_id": result.run_id, "model": result.model, "trial": int(t["trial"]), "params": t["params"],
                   "metric_name": t["metric_name"], "metric": t["metric"], "metric_std": t["metric_std"],
                   "seconds": float(t["seconds"]), "status": t["status"], "error": t["error"], "best": bool(t["best"])}
                  for t in result.trials]
        if trials:
            self._append("trials", self._frame("trials", trials), result.run_id)
        if metrics:
            self._append("metrics", self._frame("metrics", metrics), result.run_id)
        self._append("runs", self._frame("runs", [run]), result.run_id)

    def _frame(self, table: str, rows: Sequence[dict[str, Any]]) -> DataFrame:
        from pyspark.sql.types import StructType

        schema = StructType.fromDDL(RESULT_SCHEMAS[table])
        assert isinstance(schema, StructType)
        data = [tuple(r.get(name) for name in schema.names) for r in rows]
        return self.spark.createDataFrame(data, schema)

    def _append(self, table: str, df: DataFrame, run_id: str) -> None:
        uri = self.location(table)
        self.delta.write(df, uri, mode="append", partition_by=_PARTITIONS.get(table), app_id=run_id,
                         app_version=0, commit_metadata={"lakeforge.run_id": run_id})
        register_delta_table(self.store, self.database, table, uri, self.profile,
                             parameters={"lakeforge.job": "train"}, managed=True)
