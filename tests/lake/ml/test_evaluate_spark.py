"""evaluate() on real Spark predictions equals scikit-learn on the same collected columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.ml.classification import LinearSVC, LogisticRegression
from pyspark.ml.clustering import LDA, KMeans
from pyspark.ml.feature import CountVectorizer, Tokenizer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.ml.pipeline import Pipeline
from pyspark.ml.regression import LinearRegression
from pyspark.sql import functions as F
from sklearn import metrics as skm

from lake.ml.errors import EvaluationError, TooManyRowsError
from lake.ml.evaluate import evaluate, evaluate_clustering, evaluate_topics

TOL = 1e-9


def _frame(spark, n: int = 300, classes: int = 2, seed: int = 1):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    if classes:
        logits = x @ rng.normal(size=(3, classes)) * 2
        label = np.array([rng.choice(classes, p=np.exp(r) / np.exp(r).sum()) for r in logits], dtype=float)
    else:
        label = x @ np.array([2.0, -1.0, 0.5]) + rng.normal(0, 0.3, n) + 5
    pdf = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": label})
    df = spark.createDataFrame(pdf)
    return VectorAssembler(inputCols=["a", "b", "c"], outputCol="features").transform(df)


def test_binary_logistic_regression_metrics_equal_sklearn(spark) -> None:  # type: ignore[no-untyped-def]
    pred = LogisticRegression(maxIter=20).fit(_frame(spark)).transform(_frame(spark))
    ev = evaluate(pred, "binary", threshold=0.4, classes=["no", "yes"])
    pdf = pred.select("label", vector_to_array("probability")[1].alias("p")).toPandas()
    y, p = pdf["label"].to_numpy(), pdf["p"].to_numpy()
    yhat = p >= 0.4
    assert ev.rows == 300 and ev.threshold == 0.4 and ev.labels == ["no", "yes"]
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=TOL)
    assert ev.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(y, p), abs=TOL)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, p), abs=TOL)
    assert ev.metrics["f1"] == pytest.approx(skm.f1_score(y, yhat), abs=TOL)
    assert ev.metrics["specificity"] == pytest.approx(skm.recall_score(y, yhat, pos_label=0), abs=TOL)
    assert ev.confusion == skm.confusion_matrix(y, yhat).tolist()


def test_default_threshold_agrees_with_spark_predictions(spark) -> None:  # type: ignore[no-untyped-def]
    pred = LogisticRegression(maxIter=20).fit(_frame(spark)).transform(_frame(spark))
    ev = evaluate(pred, "binary")
    pdf = pred.select("label", "prediction").toPandas()
    assert ev.threshold == 0.5
    assert ev.confusion == skm.confusion_matrix(pdf["label"], pdf["prediction"]).tolist()


def test_linear_svm_margins_rank_without_probabilities(spark) -> None:  # type: ignore[no-untyped-def]
    pred = LinearSVC(maxIter=20).fit(_frame(spark)).transform(_frame(spark))
    ev = evaluate(pred, "binary")
    pdf = pred.select("label", vector_to_array("rawPrediction")[1].alias("m"), "prediction").toPandas()
    assert "log_loss" not in ev.metrics and ev.threshold == 0.0
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(pdf["label"], pdf["m"]), abs=TOL)
    assert ev.metrics["accuracy"] == pytest.approx(skm.accuracy_score(pdf["label"], pdf["prediction"]), abs=TOL)


def test_multiclass_metrics_equal_sklearn(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=3)
    pred = LogisticRegression(maxIter=30).fit(df).transform(df)
    ev = evaluate(pred, "multiclass", classes=["low", "mid", "high"])
    pdf = pred.select("label", "prediction", vector_to_array("probability").alias("p")).toPandas()
    y, yhat, probs = pdf["label"], pdf["prediction"], np.stack(pdf["p"].to_numpy())
    assert ev.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, yhat), abs=TOL)
    assert ev.metrics["f1_macro"] == pytest.approx(skm.f1_score(y, yhat, average="macro"), abs=TOL)
    assert ev.metrics["recall_weighted"] == pytest.approx(skm.recall_score(y, yhat, average="weighted"), abs=TOL)
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, probs), abs=TOL)
    assert ev.confusion == skm.confusion_matrix(y, yhat).tolist()
    assert list(ev.per_class) == ["low", "mid", "high"]


def test_regression_metrics_equal_sklearn(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=0)
    pred = LinearRegression().fit(df).transform(df)
    ev = evaluate(pred, "regression")
    pdf = pred.select("label", "prediction").toPandas()
    y, yhat = pdf["label"], pdf["prediction"]
    assert ev.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(y, yhat), abs=TOL)
    assert ev.metrics["r2"] == pytest.approx(skm.r2_score(y, yhat), abs=TOL)
    assert ev.metrics["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, yhat), abs=TOL)


def test_missing_column_names_the_column_and_the_columns_there(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark).withColumnRenamed("label", "target")
    with pytest.raises(EvaluationError, match="no label column 'label'; the columns are a, b, c, target"):
        evaluate(df, "binary")


def test_null_labels_are_refused_with_their_count(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=0).withColumn("prediction", F.col("a"))
    df = df.withColumn("label", F.when(F.col("a") > 1, None).otherwise(F.col("label")))
    nulls = df.filter(F.col("label").isNull()).count()
    with pytest.raises(EvaluationError, match=f"{nulls} rows have a null label"):
        evaluate(df, "regression")


def test_more_rows_than_the_limit_is_a_clear_error(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=0).withColumn("prediction", F.col("a"))
    with pytest.raises(TooManyRowsError, match="evaluation on the driver takes at most 100 rows, got 101"):
        evaluate(df, "regression", max_rows=100)


def test_clustering_sse_and_silhouette(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=0)
    model = KMeans(k=3, seed=4).fit(df)  # converged: its trainingCost is for the final centers
    pred = model.transform(df)
    ev = evaluate_clustering(pred, centers=[c.tolist() for c in model.clusterCenters()])
    pdf = pred.select(vector_to_array("features").alias("x"), "prediction").toPandas()
    x, c = np.stack(pdf["x"].to_numpy()), pdf["prediction"].to_numpy()
    centers = np.array(model.clusterCenters())
    assert ev.metrics["sse"] == pytest.approx(float(((x - centers[c]) ** 2).sum()), rel=TOL)
    assert ev.metrics["sse"] == pytest.approx(model.summary.trainingCost, rel=1e-6)
    assert ev.metrics["silhouette"] == pytest.approx(skm.silhouette_score(x, c, metric="sqeuclidean"), abs=1e-9)
    assert sum(v["size"] for v in ev.per_class.values()) == 300
    derived = evaluate_clustering(pred)  # centers from the data: the k-means centers are the means
    assert derived.metrics["sse"] == pytest.approx(ev.metrics["sse"], rel=1e-6)


def test_clustering_with_one_cluster_has_no_silhouette(spark) -> None:  # type: ignore[no-untyped-def]
    df = _frame(spark, classes=0).withColumn("prediction", F.lit(0))
    ev = evaluate_clustering(df)
    assert "silhouette" not in ev.metrics and "one cluster" in ev.notes[0]


def test_topics_perplexity_is_likelihood_per_token(spark) -> None:  # type: ignore[no-untyped-def]
    words = ["heart", "rate", "pressure", "sensor", "failure", "engine", "temperature", "patient"]
    rng = np.random.default_rng(2)
    docs = [(" ".join(rng.choice(words, 12)),) for _ in range(40)]
    df = spark.createDataFrame(docs, "text string")
    pipeline = Pipeline(stages=[
        Tokenizer(inputCol="text", outputCol="tokens"),
        CountVectorizer(inputCol="tokens", outputCol="features"),
        LDA(k=2, maxIter=5, seed=1),
    ]).fit(df)
    ev = evaluate_topics(pipeline, df)
    assert ev.rows == 40
    assert ev.metrics["log_perplexity"] == pytest.approx(-ev.metrics["log_likelihood"] / (40 * 12), rel=1e-9)
    assert ev.metrics["perplexity"] == pytest.approx(np.exp(ev.metrics["log_perplexity"]), rel=1e-12)
