"""Save a fitted Spark model in MLflow's ``spark`` flavor, and load one back from the lake.

Saving goes through :func:`mlflow.spark.save_model` (signature, input example, pinned pip
requirements, so MLflow does not start a subprocess to infer them). Loading reads the flavor's
``MLmodel`` file and hands the Spark data directory to ``PipelineModel.load`` through the
session's own filesystem (S3A on an S3 lake), so executors read the model straight from the lake.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lake.storage import StorageProfile, uris

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import Model, ModelSignature
    from pyspark.ml import PipelineModel, Transformer
    from pyspark.sql import DataFrame

__all__ = ["EXAMPLE_ROWS", "infer_spark_signature", "load_spark_model", "pip_requirements", "save_spark_model"]

EXAMPLE_ROWS = 5
_PREDICTION = "prediction"


def pip_requirements(extra: Sequence[str] = ()) -> list[str]:
    """The pinned requirements recorded with a Spark model (plus ``extra``, e.g. ``xgboost-cpu==…``)."""
    import mlflow
    import pyspark

    return [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}", *extra]


def _as_spark(example: DataFrame | pd.DataFrame) -> DataFrame:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

    if isinstance(example, SparkDataFrame):
        return example
    spark = SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession to turn the pandas input example into a DataFrame")
    return spark.createDataFrame(example)


def infer_spark_signature(
    model: Transformer, example: DataFrame | pd.DataFrame, rows: int = EXAMPLE_ROWS
) -> tuple[ModelSignature, pd.DataFrame]:
    """The model's signature (input columns → ``prediction``) and a pandas input example."""
    import pandas as pd
    from mlflow.models import infer_signature

    frame = _as_spark(example)
    collected = frame.limit(rows).collect()
    if not collected:
        raise ValueError("the input example has no rows")
    # Work on the collected rows as a local relation: no second pass over the example's lineage.
    local = frame.sparkSession.createDataFrame(collected, schema=frame.schema)
    inputs = local.toPandas()
    transformed = model.transform(local)
    outputs = None
    if _PREDICTION in transformed.columns:
        outputs = pd.DataFrame({_PREDICTION: [r[0] for r in transformed.select(_PREDICTION).collect()]})
    return infer_signature(inputs, outputs), inputs


def save_spark_model(
    model: Transformer,
    path: Path,
    *,
    input_example: DataFrame | pd.DataFrame,
    signature: ModelSignature | None = None,
    extra_pip_requirements: Sequence[str] = (),
    mlflow_model: Model | None = None,
    dfs_tmpdir: str | None = None,
) -> ModelSignature:
    """Write ``model`` as an MLflow model directory at ``path``; returns the signature recorded.

    ``dfs_tmpdir`` is where Spark writes before MLflow copies to ``path`` (default: a local
    temporary directory, right for ``local[*]`` and single-host clusters).
    """
    import mlflow.spark

    inferred, example = infer_spark_signature(model, input_example)
    signature = signature or inferred
    with tempfile.TemporaryDirectory(prefix="lakeforge-sparkml-") as scratch:
        mlflow.spark.save_model(
            model,
            str(path),
            mlflow_model=mlflow_model,
            signature=signature,
            input_example=example,
            pip_requirements=pip_requirements(extra_pip_requirements),
            dfs_tmpdir=dfs_tmpdir or scratch,
        )
    return signature


def load_spark_model(artifact_uri: str, profile: StorageProfile) -> PipelineModel:
    """Load the Spark model logged at ``artifact_uri`` (call inside the store's artifact access)."""
    import mlflow.artifacts
    import mlflow.spark
    from mlflow.models import Model
    from pyspark.ml import PipelineModel

    same_storage = uris.is_s3(uris.to_native(artifact_uri)) == uris.is_s3(profile.lake_uri)
    if not same_storage:
        with tempfile.TemporaryDirectory(prefix="lakeforge-sparkml-") as scratch:
            return mlflow.spark.load_model(artifact_uri, dfs_tmpdir=scratch)
    with tempfile.TemporaryDirectory(prefix="lakeforge-mlmodel-") as scratch:
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"{artifact_uri}/MLmodel", dst_path=scratch)
        flavor: dict[str, Any] = Model.load(local).flavors["spark"]
    data_uri = uris.join(uris.to_native(artifact_uri), flavor["model_data"])
    return PipelineModel.load(profile.to_spark_uri(data_uri))
