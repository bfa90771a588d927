"""k-nearest neighbours as a Spark ML Estimator/Model pair (MLlib has none).

Two methods, chosen at fit time and recorded on the model (``methodUsed``):

* ``exact`` (training sets up to ``exactMaxRows`` rows, default :data:`EXACT_MAX_ROWS`): the
  training rows travel with the query tasks and every query row is compared with every training
  row (Euclidean distance, numpy, in chunks).
* ``lsh`` (larger training sets): :class:`~pyspark.ml.feature.BucketedRandomProjectionLSH`
  hashes both sides; candidates are the training rows sharing a bucket in any hash table, and
  the k nearest candidates vote. Approximate: a query row may see fewer than k neighbours
  (``neighbors_found`` says how many); one with none gets the training prior (majority class
  probabilities, or the mean label). ``bucketLength`` defaults to twice the median distance to
  the k-th neighbour within a 2,000-row sample; ``numHashTables`` (default 3) trades speed for
  recall.

Classification: majority vote (ties go to the lower class index); ``probability`` holds the vote
fractions and ``rawPrediction`` the vote counts; labels must be class indices 0..C-1.
Regression: the mean label of the neighbours. The fitted model saves its parameters as
metadata and its training rows as Parquet under ``data/`` (plus the LSH model under ``lsh/``),
so it loads inside a saved ``PipelineModel``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd  # module level: pandas_udf resolves the type hints through these globals
from pyspark import keyword_only
from pyspark.ml import Estimator, Model
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import (
    HasFeaturesCol,
    HasLabelCol,
    HasPredictionCol,
    HasProbabilityCol,
    HasRawPredictionCol,
    HasSeed,
)
from pyspark.ml.util import (
    DefaultParamsReadable,
    DefaultParamsReader,
    DefaultParamsWritable,
    DefaultParamsWriter,
    MLReadable,
    MLReader,
    MLWritable,
    MLWriter,
)

from lake.ml.algorithms._base import SUPERVISED, Algorithm, BuildContext, HyperParam
from lake.ml.algorithms.kinds import Choice, Float, Int
from lake.ml.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["ALGORITHMS", "EXACT_MAX_ROWS", "KNN", "KNN_ALGORITHM", "KNNModel"]

EXACT_MAX_ROWS = 50_000
_SAMPLE_ROWS = 2_000
_CHUNK_CELLS = 4_000_000  # query rows x training rows per numpy distance block
_F, _Y, _I = "_lf_knn_f", "_lf_knn_y", "_lf_knn_i"


class _KNNParams(HasFeaturesCol, HasLabelCol, HasPredictionCol, HasProbabilityCol, HasRawPredictionCol, HasSeed):
    k: Param[int] = Param(Params._dummy(), "k", "number of neighbours", TypeConverters.toInt)
    task: Param[str] = Param(Params._dummy(), "task", "classification | regression", TypeConverters.toString)
    method: Param[str] = Param(Params._dummy(), "method", "auto | exact | lsh", TypeConverters.toString)
    exactMaxRows: Param[int] = Param(Params._dummy(), "exactMaxRows",
                                     "method auto: exact up to this many training rows, LSH above",
                                     TypeConverters.toInt)
    bucketLength: Param[float] = Param(Params._dummy(), "bucketLength", "LSH bucket length (default: estimated)",
                                       TypeConverters.toFloat)
    numHashTables: Param[int] = Param(Params._dummy(), "numHashTables", "LSH hash tables", TypeConverters.toInt)
    neighborsCol: Param[str] = Param(Params._dummy(), "neighborsCol", "output: neighbours found per row",
                                     TypeConverters.toString)

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(k=5, task="classification", method="auto", exactMaxRows=EXACT_MAX_ROWS, numHashTables=3,
                         neighborsCol="neighbors_found", seed=42)

    def _classify(self) -> bool:
        return self.getOrDefault(self.task) == "classification"


class KNN(Estimator["KNNModel"], _KNNParams, DefaultParamsWritable, DefaultParamsReadable["KNN"]):
    """k-nearest-neighbour classifier or regressor (``task``), exact or LSH-approximate (``method``)."""

    @keyword_only
    def __init__(
        self,
        *,
        featuresCol: str = "features",
        labelCol: str = "label",
        predictionCol: str = "prediction",
        probabilityCol: str = "probability",
        rawPredictionCol: str = "rawPrediction",
        k: int = 5,
        task: str = "classification",
        method: str = "auto",
        exactMaxRows: int = EXACT_MAX_ROWS,
        bucketLength: float | None = None,
        numHashTables: int = 3,
        neighborsCol: str = "neighbors_found",
        seed: int = 42,
    ) -> None:
        super().__init__()
        kwargs = {key: value for key, value in self._input_kwargs.items()  # type: ignore[attr-defined]
                  if value is not None}
        self._set(**kwargs)

    def _fit(self, dataset: DataFrame) -> KNNModel:
        from pyspark.ml.functions import vector_to_array
        from pyspark.sql import functions as F

        if self.getOrDefault(self.task) not in ("classification", "regression"):
            raise ValueError(f"KNN task must be classification or regression, got {self.getOrDefault(self.task)!r}")
        label, features = self.getLabelCol(), self.getFeaturesCol()
        rows = dataset.select(vector_to_array(F.col(features)).alias(_F), F.col(label).cast("double").alias(_Y))
        stats = rows.agg(F.count(F.lit(1)).alias("n"), F.count(_Y).alias("labelled"), F.min(_Y).alias("lo"),
                         F.max(_Y).alias("hi"), F.avg(_Y).alias("mean"),
                         F.sum((F.col(_Y) != F.floor(_Y)).cast("int")).alias("fractional")).first()
        assert stats is not None
        if stats["n"] == 0:
            raise DataError(column=None, reason="kNN got no training rows")
        if stats["labelled"] < stats["n"]:
            raise DataError(column=label, reason=f"{stats['n'] - stats['labelled']} training rows have no label")
        classify = self._classify()
        if classify and (stats["lo"] < 0 or stats["fractional"]):
            raise DataError(column=label, reason="kNN classification needs class indices 0, 1, …, C-1")
        n = int(stats["n"])
        method = self.getOrDefault(self.method)
        if method == "auto":
            method = "exact" if n <= self.getOrDefault(self.exactMaxRows) else "lsh"
        num_classes = int(stats["hi"]) + 1 if classify else 0
        if classify:
            counts = {int(r[_Y]): int(r["count"]) for r in rows.groupBy(_Y).count().collect()}
            prior = [counts.get(c, 0) / n for c in range(num_classes)]
        else:
            prior = [float(stats["mean"])]
        model = KNNModel()
        self._copyValues(model)
        model._set(methodUsed=method, numClasses=num_classes, prior=prior, trainingRows=n)
        if method == "exact":
            data = rows.collect()
            model._set_exact(np.array([r[_F] for r in data], dtype=np.float64).reshape(n, -1),
                             np.array([r[_Y] for r in data], dtype=np.float64))
        else:
            model._set_lsh(self._fit_lsh(rows, n, model))
        return model

    def _fit_lsh(self, rows: DataFrame, n: int, model: KNNModel) -> DataFrame:
        from pyspark.ml.feature import BucketedRandomProjectionLSH
        from pyspark.ml.functions import array_to_vector
        from pyspark.sql import functions as F

        seed = self.getOrDefault(self.seed)
        if self.isDefined(self.bucketLength):
            bucket = self.getOrDefault(self.bucketLength)
        else:
            sample = rows.sample(fraction=min(1.0, 2.0 * _SAMPLE_ROWS / n), seed=seed).limit(_SAMPLE_ROWS).collect()
            bucket = _estimate_bucket_length(np.array([r[_F] for r in sample], dtype=np.float64),
                                             self.getOrDefault(self.k))
        model._set(bucketLength=bucket)
        train = rows.withColumn(_I, F.monotonically_increasing_id()).cache()
        train.count()
        vectors = train.withColumn("_lf_knn_v", array_to_vector(F.col(_F)))
        lsh = BucketedRandomProjectionLSH(inputCol="_lf_knn_v", outputCol="_lf_knn_h", bucketLength=bucket,
                                          numHashTables=self.getOrDefault(self.numHashTables), seed=seed)
        model._lsh = lsh.fit(vectors)
        return train


class KNNModel(Model, _KNNParams, MLWritable, MLReadable["KNNModel"]):
    """A fitted kNN: the training rows (in memory for ``exact``, a DataFrame plus LSH model for ``lsh``)."""

    methodUsed: Param[str] = Param(Params._dummy(), "methodUsed", "exact or lsh: the method that ran",
                                   TypeConverters.toString)
    numClasses: Param[int] = Param(Params._dummy(), "numClasses", "classes (0 for regression)", TypeConverters.toInt)
    prior: Param[list[float]] = Param(Params._dummy(), "prior",
                                      "fallback: class frequencies, or [mean label] for regression",
                                      TypeConverters.toListFloat)
    trainingRows: Param[int] = Param(Params._dummy(), "trainingRows", "training rows", TypeConverters.toInt)

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._train: DataFrame | None = None
        self._lsh: Any = None

    def _set_exact(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x, self._y = x, y

    def _set_lsh(self, train: DataFrame) -> None:
        self._train = train

    @property
    def method_used(self) -> str:
        """``exact`` or ``lsh``."""
        return self.getOrDefault(self.methodUsed)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        if self.method_used == "exact":
            return self._transform_exact(dataset)
        return self._transform_lsh(dataset)

    def _outputs(self, frame: DataFrame, struct: str) -> DataFrame:
        from pyspark.ml.functions import array_to_vector
        from pyspark.sql import functions as F

        columns = [F.col(f"{struct}.prediction").alias(self.getPredictionCol())]
        if self._classify():
            columns += [array_to_vector(F.col(f"{struct}.probability")).alias(self.getProbabilityCol()),
                        array_to_vector(F.col(f"{struct}.raw")).alias(self.getRawPredictionCol())]
        columns.append(F.col(f"{struct}.neighbors").alias(self.getOrDefault(self.neighborsCol)))
        return frame.select("*", *columns).drop(struct)

    def _transform_exact(self, dataset: DataFrame) -> DataFrame:
        from pyspark.ml.functions import vector_to_array
        from pyspark.sql import functions as F
        from pyspark.sql.functions import pandas_udf

        if self._x is None or self._y is None:
            raise ValueError("exact kNN model has no training rows loaded")
        x, y = self._x, self._y
        k = min(self.getOrDefault(self.k), len(y))
        classes = self.getOrDefault(self.numClasses)
        chunk = max(1, _CHUNK_CELLS // max(1, len(y)))
        x_norms = (x * x).sum(axis=1)

        @pandas_udf(_result_schema())  # type: ignore[call-overload]
        def neighbours(features: pd.Series) -> pd.DataFrame:
            out: dict[str, list[Any]] = {"prediction": [], "probability": [], "raw": [], "neighbors": []}
            if len(features) == 0:
                return pd.DataFrame(out)
            queries = np.stack([np.asarray(v, dtype=np.float64) for v in features.to_numpy()])
            for start in range(0, len(queries), chunk):
                q = queries[start:start + chunk]
                d2 = (q * q).sum(axis=1)[:, None] - 2.0 * (q @ x.T) + x_norms[None, :]
                idx = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(y) else np.tile(np.arange(len(y)),
                                                                                           (len(q), 1))
                labels = y[idx]
                if classes:
                    votes = (labels[:, :, None] == np.arange(classes)[None, None, :]).sum(axis=1).astype(np.float64)
                    out["prediction"] += votes.argmax(axis=1).astype(np.float64).tolist()
                    out["probability"] += list(votes / k)
                    out["raw"] += list(votes)
                else:
                    out["prediction"] += labels.mean(axis=1).tolist()
                    out["probability"] += [[]] * len(q)
                    out["raw"] += [[]] * len(q)
                out["neighbors"] += [k] * len(q)
            return pd.DataFrame(out)

        struct = "_lf_knn"
        frame = dataset.select("*", neighbours(vector_to_array(F.col(self.getFeaturesCol()))).alias(struct))
        return self._outputs(frame, struct)

    def _transform_lsh(self, dataset: DataFrame) -> DataFrame:
        from pyspark.ml.functions import vector_to_array
        from pyspark.sql import functions as F

        if self._train is None or self._lsh is None:
            raise ValueError("LSH kNN model has no training rows loaded")
        k = self.getOrDefault(self.k)
        vec, hashes = "_lf_knn_v", "_lf_knn_h"
        train = (self._lsh.transform(self._train.withColumn(vec, _as_vector(_F)))
                 .select(_I, _F, _Y, F.posexplode(hashes).alias("_lf_t", "_lf_h"))
                 .withColumn("_lf_b", vector_to_array(F.col("_lf_h"))[0]).drop("_lf_h"))
        rid, row = "_lf_knn_rid", "_lf_knn_row"
        originals = [F.col(f"`{c}`") for c in dataset.columns]
        # the row id is taken before the explode: beside a generator it would differ per exploded row
        numbered = (dataset.withColumn(vec, F.col(self.getFeaturesCol()))
                    .withColumn(rid, F.monotonically_increasing_id()))
        queries = (self._lsh.transform(numbered)
                   .select(rid, F.struct(*originals).alias(row), vector_to_array(F.col(vec)).alias("_lf_q"),
                           F.posexplode(hashes).alias("_lf_t", "_lf_h"))
                   .withColumn("_lf_b", vector_to_array(F.col("_lf_h"))[0]).drop("_lf_h"))
        pairs = queries.join(train, on=["_lf_t", "_lf_b"], how="left")
        distance = F.aggregate(F.zip_with("_lf_q", _F, lambda a, b: (a - b) * (a - b)), F.lit(0.0),
                               lambda acc, v: acc + v)
        candidate = F.when(F.col(_I).isNotNull(), F.struct(distance.alias("d"), F.col(_I).alias("i"),
                                                           F.col(_Y).alias("y")))
        grouped = pairs.groupBy(rid).agg(F.first(row).alias(row), F.collect_set(candidate).alias("_lf_c"))
        nearest = F.slice(F.array_sort("_lf_c"), 1, k)
        found = F.size(nearest)
        prior = F.array(*[F.lit(float(p)) for p in self.getOrDefault(self.prior)])
        if self._classify():
            votes = F.array(*[F.size(F.filter(nearest, _label_is(i))).cast("double")
                              for i in range(self.getOrDefault(self.numClasses))])
            probability = F.when(found > 0, F.transform(votes, lambda v: v / found)).otherwise(prior)
            raw = F.when(found > 0, votes).otherwise(prior)
            prediction = (F.array_position(probability, F.array_max(probability)) - 1).cast("double")
        else:
            probability = raw = F.array().cast("array<double>")
            mean = F.aggregate(nearest, F.lit(0.0), lambda acc, c: acc + c["y"]) / found
            prediction = F.when(found > 0, mean).otherwise(prior[0])
        result = F.struct(prediction.alias("prediction"), probability.alias("probability"), raw.alias("raw"),
                          found.alias("neighbors"))
        frame = grouped.select(f"{row}.*", result.alias("_lf_knn"))
        return self._outputs(frame, "_lf_knn")

    def write(self) -> MLWriter:
        return _KNNModelWriter(self)

    @classmethod
    def read(cls) -> MLReader[KNNModel]:
        return _KNNModelReader()

    def copy(self, extra: Any = None) -> KNNModel:
        that = super().copy(extra)
        that._x, that._y, that._train, that._lsh = self._x, self._y, self._train, self._lsh
        return that

    def _training_frame(self, spark: SparkSession) -> DataFrame:
        if self.method_used == "lsh":
            assert self._train is not None
            return self._train.select(_I, _F, _Y)
        assert self._x is not None and self._y is not None
        rows = [(i, self._x[i].tolist(), float(self._y[i])) for i in range(len(self._y))]
        return spark.createDataFrame(rows, f"{_I} long, {_F} array<double>, {_Y} double")


class _KNNModelWriter(MLWriter):
    def __init__(self, instance: KNNModel) -> None:
        super().__init__()
        self.instance = instance

    def saveImpl(self, path: str) -> None:
        DefaultParamsWriter.saveMetadata(self.instance, path, self.sparkSession)
        self.instance._training_frame(self.sparkSession).coalesce(1).write.parquet(os.path.join(path, "data"))
        if self.instance.method_used == "lsh":
            self.instance._lsh.write().save(os.path.join(path, "lsh"))


class _KNNModelReader(MLReader[KNNModel]):
    def load(self, path: str) -> KNNModel:
        from pyspark.ml.feature import BucketedRandomProjectionLSHModel

        metadata = DefaultParamsReader.loadMetadata(path, self.sparkSession)
        model = KNNModel()
        model._resetUid(metadata["uid"])
        DefaultParamsReader.getAndSetParams(model, metadata)
        data = self.sparkSession.read.parquet(os.path.join(path, "data"))
        if model.method_used == "lsh":
            model._set_lsh(data.cache())
            model._lsh = BucketedRandomProjectionLSHModel.load(os.path.join(path, "lsh"))
        else:
            rows = data.orderBy(_I).collect()
            model._set_exact(np.array([r[_F] for r in rows], dtype=np.float64).reshape(len(rows), -1),
                             np.array([r[_Y] for r in rows], dtype=np.float64))
        return model


def _result_schema() -> Any:
    from pyspark.sql.types import ArrayType, DoubleType, IntegerType, StructField, StructType

    return StructType([
        StructField("prediction", DoubleType()),
        StructField("probability", ArrayType(DoubleType())),
        StructField("raw", ArrayType(DoubleType())),
        StructField("neighbors", IntegerType()),
    ])


def _label_is(index: int) -> Any:
    return lambda c: c["y"] == float(index)


def _as_vector(column: str) -> Any:
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    return array_to_vector(F.col(column))


def _estimate_bucket_length(sample: np.ndarray, k: int) -> float:
    """Twice the median distance from a sample row to its k-th nearest other sample row."""
    if len(sample) < 2:
        return 1.0
    sq = (sample * sample).sum(axis=1)
    d2 = np.maximum(sq[:, None] - 2.0 * sample @ sample.T + sq[None, :], 0.0)
    np.fill_diagonal(d2, np.inf)
    kth = min(k, len(sample) - 1) - 1
    distances = np.sqrt(np.partition(d2, kth, axis=1)[:, kth])
    median = float(np.median(distances[np.isfinite(distances)]))
    return 2.0 * median if median > 0 else 1.0


def _build(ctx: BuildContext) -> KNN:
    kwargs = KNN_ALGORITHM.target_kwargs(ctx)
    task = "regression" if ctx.task == "regression" else "classification"
    return KNN(featuresCol=ctx.features_col, labelCol=ctx.label_col or "label", predictionCol=ctx.prediction_col,
               probabilityCol=ctx.probability_col, rawPredictionCol=ctx.raw_prediction_col, task=task, **kwargs)


KNN_ALGORITHM = Algorithm(
    name="knn",
    summary=f"k-nearest neighbours: exact up to {EXACT_MAX_ROWS:,} training rows, LSH-approximate above",
    tasks=SUPERVISED,
    params=(
        HyperParam("k", "k", Int(1), "neighbours that vote (classification) or are averaged (regression)"),
        HyperParam("method", "method", Choice(("auto", "exact", "lsh")),
                   f"auto: exact up to exact_max_rows training rows (default {EXACT_MAX_ROWS:,}), LSH above"),
        HyperParam("exact_max_rows", "exactMaxRows", Int(1), "the auto threshold"),
        HyperParam("bucket_length", "bucketLength", Float(0.0, open_low=True), "LSH bucket length"),
        HyperParam("num_hash_tables", "numHashTables", Int(1), "LSH hash tables (more: better recall, slower)"),
        HyperParam("seed", "seed", Int(), "LSH random seed"),
    ),
    build=_build,
    probability=True,
    raw_prediction=True,
    notes="Scale the features (prep.scale) so no column dominates the distance.",
)

ALGORITHMS = (KNN_ALGORITHM,)
