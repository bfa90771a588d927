"""ONNX export on real Spark: every exportable algorithm agrees with Spark on 400 rows; the rest fail naming the stage.

The prep is fitted once (boolean cast in SQL, mean imputation, string index with an unseen
bucket + one-hot, assembly, scaling) and each model is fitted on its output, so the exported
pipeline is exactly ``prep stages + model`` as training produces it.
"""

from __future__ import annotations

from typing import Any

import pytest
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml import classification as C
from pyspark.ml import clustering as K
from pyspark.ml import regression as R
from pyspark.ml.feature import (
    PCA,
    Imputer,
    IndexToString,
    MinMaxScaler,
    OneHotEncoder,
    SQLTransformer,
    StandardScaler,
    StringIndexer,
    VarianceThresholdSelector,
    VectorAssembler,
)

from lake.ml.errors import ExportError, ExportMismatchError
from lake.ml.export import OnnxExport, export_onnx, verify_export

pytestmark = pytest.mark.slow

ATOL = 1e-5


def _prep(scaler: Any) -> list[Any]:
    return [
        SQLTransformer(statement="SELECT *, CAST(`sex` AS DOUBLE) AS `_sex` FROM __THIS__"),
        Imputer(inputCols=["age", "chol"], outputCols=["_age", "_chol"]),
        StringIndexer(inputCol="smoker", outputCol="_smoker_idx", handleInvalid="keep"),
        OneHotEncoder(inputCols=["_smoker_idx"], outputCols=["_smoker_oh"]),
        VectorAssembler(inputCols=["_age", "bp", "_chol", "_smoker_oh", "_sex", "noise"], outputCol="_raw"),
        scaler,
    ]


@pytest.fixture(scope="module")
def frame(ml_frame):  # type: ignore[no-untyped-def]
    indexer = StringIndexer(inputCol="risk", outputCol="risk_index").fit(ml_frame)
    return indexer.transform(ml_frame).cache(), indexer


@pytest.fixture(scope="module")
def preps(frame):  # type: ignore[no-untyped-def]
    """Fitted prep pipelines (standard-scaled, min-max-scaled) and the prepared frames, cached."""
    df, _ = frame
    out = {}
    for name, scaler in (("standard", StandardScaler(inputCol="_raw", outputCol="features", withMean=True)),
                         ("minmax", MinMaxScaler(inputCol="_raw", outputCol="features"))):
        model = Pipeline(stages=_prep(scaler)).fit(df)
        out[name] = (model, model.transform(df).cache())
    return out


def _pipeline(preps, frame, estimator, *, prep: str = "standard", multiclass: bool = False) -> PipelineModel:  # type: ignore[no-untyped-def]
    prep_model, prepared = preps[prep]
    fitted = estimator.fit(prepared)
    stages = [*prep_model.stages, fitted]
    if multiclass:
        _, indexer = frame
        restore = IndexToString(inputCol=fitted.getPredictionCol(), outputCol="risk_predicted",
                                labels=list(indexer.labels))
        stages = [indexer, *stages, restore]
    return PipelineModel(stages)


BINARY = {
    "logistic_regression": lambda: C.LogisticRegression(maxIter=30, regParam=0.01),
    "linear_svm": lambda: C.LinearSVC(maxIter=30),
    "decision_tree": lambda: C.DecisionTreeClassifier(maxDepth=5),
    "random_forest": lambda: C.RandomForestClassifier(numTrees=8, maxDepth=4, seed=1),
    "gbt": lambda: C.GBTClassifier(maxIter=8, maxDepth=3, seed=1),
    "naive_bayes_gaussian": lambda: C.NaiveBayes(modelType="gaussian"),
    "mlp": lambda: C.MultilayerPerceptronClassifier(layers=[8, 5, 2], maxIter=40, seed=1),
}
MULTICLASS = {
    "logistic_regression": (lambda: C.LogisticRegression(labelCol="risk_index", maxIter=30), "standard"),
    "decision_tree": (lambda: C.DecisionTreeClassifier(labelCol="risk_index", maxDepth=5), "standard"),
    "random_forest": (lambda: C.RandomForestClassifier(labelCol="risk_index", numTrees=8, maxDepth=4, seed=1),
                      "standard"),
    "naive_bayes": (lambda: C.NaiveBayes(labelCol="risk_index"), "minmax"),
    "naive_bayes_complement": (lambda: C.NaiveBayes(labelCol="risk_index", modelType="complement"), "minmax"),
    "mlp": (lambda: C.MultilayerPerceptronClassifier(labelCol="risk_index", layers=[8, 6, 3], maxIter=40, seed=1),
            "standard"),
}
REGRESSION = {
    "linear_regression": lambda: R.LinearRegression(labelCol="cost", regParam=0.1),
    "decision_tree": lambda: R.DecisionTreeRegressor(labelCol="cost", maxDepth=5),
    "random_forest": lambda: R.RandomForestRegressor(labelCol="cost", numTrees=8, maxDepth=4, seed=1),
    "gbt": lambda: R.GBTRegressor(labelCol="cost", maxIter=8, maxDepth=3, seed=1),
}


def _agrees(model: PipelineModel, spark, df) -> OnnxExport:  # type: ignore[no-untyped-def]
    export = export_onnx(model, spark, df)
    check = verify_export(export, model, df, atol=ATOL)
    assert check.rows == df.count() and check.labels_equal
    if check.max_probability_diff is not None:
        assert check.max_probability_diff <= ATOL
    return export


@pytest.mark.parametrize("algorithm", sorted(BINARY))
def test_binary_classifier_agrees_with_spark(algorithm: str, spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    model = _pipeline(preps, frame, BINARY[algorithm]())
    export = _agrees(model, spark, frame[0])
    assert export.signature.names == ("age", "bp", "chol", "smoker", "sex", "noise")
    assert export.signature.classes == (0.0, 1.0)
    assert export.signature.probability == (algorithm != "linear_svm")


@pytest.mark.parametrize("algorithm", sorted(MULTICLASS))
def test_multiclass_classifier_agrees_with_spark_in_label_space(algorithm: str, spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    build, prep = MULTICLASS[algorithm]
    model = _pipeline(preps, frame, build(), prep=prep, multiclass=True)
    export = _agrees(model, spark, frame[0])
    assert export.signature.prediction_type == "string"
    assert set(export.signature.classes or ()) == {"low", "mid", "high"}
    assert "risk" not in export.signature.names  # the label indexer is training-only: skipped


@pytest.mark.parametrize("algorithm", sorted(REGRESSION))
def test_regressor_agrees_with_spark(algorithm: str, spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    model = _pipeline(preps, frame, REGRESSION[algorithm]())
    export = _agrees(model, spark, frame[0])
    assert not export.signature.probability
    assert export.signature.prediction_type == "double"


def test_kmeans_agrees_with_spark_cluster_ids(spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    model = _pipeline(preps, frame, K.KMeans(k=3, seed=3))
    assert _agrees(model, spark, frame[0]).signature.prediction_type == "long"


def test_pca_selector_and_cosine_kmeans_agree(spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    prep_model, prepared = preps["standard"]
    selector = VarianceThresholdSelector(featuresCol="features", outputCol="_selected", varianceThreshold=0.5)
    pca = PCA(k=3, inputCol="_selected", outputCol="_pcs")
    extra = Pipeline(stages=[selector, pca]).fit(prepared)
    kmeans = K.KMeans(k=3, seed=5, featuresCol="_pcs", distanceMeasure="cosine").fit(extra.transform(prepared))
    model = PipelineModel([*prep_model.stages, *extra.stages, kmeans])
    assert _agrees(model, spark, frame[0]).stages[-3:] == ("VarianceThresholdSelectorModel", "PCAModel",
                                                           "KMeansModel")


def test_xgboost_classifier_and_regressor_agree(spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

    classifier = _pipeline(preps, frame, SparkXGBClassifier(label_col="label", n_estimators=6, max_depth=3,
                                                            num_workers=1))
    _agrees(classifier, spark, frame[0])
    regressor = _pipeline(preps, frame, SparkXGBRegressor(label_col="cost", n_estimators=6, max_depth=3,
                                                          num_workers=1))
    _agrees(regressor, spark, frame[0])


def test_index_encoded_categories_split_by_set_membership(spark, ml_frame) -> None:  # type: ignore[no-untyped-def]
    # Indexed (not one-hot) categories carry nominal metadata: Spark's trees split them on category sets.
    df = ml_frame.withColumn("grade", (ml_frame.visit_id % 7).cast("string"))
    stages = [StringIndexer(inputCols=["smoker", "grade"], outputCols=["_s", "_g"], handleInvalid="keep"),
              VectorAssembler(inputCols=["_s", "_g", "bp"], outputCol="features"),
              C.DecisionTreeClassifier(maxDepth=6, maxBins=16)]
    model = Pipeline(stages=stages).fit(df)
    assert "in {" in model.stages[-1].toDebugString  # categorical splits are really there
    _agrees(model, spark, df)


def test_real_prep_with_string_label_restores_labels(spark, ml_frame) -> None:  # type: ignore[no-untyped-def]
    from lake.ml.prep import build_pipeline
    from lake.ml.spec import TrainSpec

    spec = TrainSpec.from_mapping({
        "name": "heart", "task": "binary", "source": "x.heart", "label": "outcome", "id": "visit_id",
        "exclude": ["event_date", "notes", "risk", "cost", "label"], "model": {"algorithm": "logistic_regression"},
        "prep": {"scale": "standard", "impute_columns": {"smoker": "mode"}},
    })
    model = build_pipeline(spec, ml_frame)[0].fit(ml_frame)
    export = _agrees(model, spark, ml_frame)
    assert export.signature.prediction_type == "string" and export.signature.classes == ("no", "yes")
    assert "outcome" not in export.signature.names and "SQLTransformer" in export.stages


def test_real_prep_with_numeric_label_restores_numbers(spark, ml_frame) -> None:  # type: ignore[no-untyped-def]
    from lake.ml.prep import build_pipeline
    from lake.ml.spec import TrainSpec

    df = ml_frame.withColumn("grade", (ml_frame.visit_id % 3 + 1) * 10)
    spec = TrainSpec.from_mapping({
        "name": "grade", "task": "multiclass", "source": "x.grade", "label": "grade", "id": "visit_id",
        "features": ["age", "bp", "smoker"], "model": {"algorithm": "decision_tree", "max_depth": 4},
    })
    model = build_pipeline(spec, df)[0].fit(df)
    export = _agrees(model, spark, df)
    assert export.signature.prediction_type == "double"
    assert export.signature.classes == (10.0, 20.0, 30.0)


@pytest.mark.parametrize("case", ["fm", "gaussian_mixture", "bisecting_kmeans", "knn"])
def test_stage_without_converter_fails_naming_it(case: str, spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    from lake.ml.algorithms.knn import KNN

    estimators: dict[str, tuple[Any, str]] = {
        "fm": (C.FMClassifier(maxIter=5, seed=1), "FMClassificationModel"),
        "gaussian_mixture": (K.GaussianMixture(k=2, seed=1, maxIter=5), "GaussianMixtureModel"),
        "bisecting_kmeans": (K.BisectingKMeans(k=2, seed=1, maxIter=5), "BisectingKMeansModel"),
        "knn": (KNN(k=3), "KNNModel"),
    }
    estimator, stage = estimators[case]
    model = _pipeline(preps, frame, estimator)
    with pytest.raises(ExportError) as caught:
        export_onnx(model, spark, frame[0])
    assert caught.value.stage == stage
    assert str(caught.value).startswith(f"cannot export {stage} to ONNX:") and "--spark" in str(caught.value)


def test_unexportable_sql_statement_names_sql_transformer(spark, ml_frame) -> None:  # type: ignore[no-untyped-def]
    stages = [SQLTransformer(statement="SELECT *, bp * 2 AS bp2 FROM __THIS__ WHERE bp > 100"),
              VectorAssembler(inputCols=["bp2"], outputCol="features"), R.LinearRegression(labelCol="cost")]
    model = Pipeline(stages=stages).fit(ml_frame)
    with pytest.raises(ExportError) as caught:
        export_onnx(model, spark, ml_frame)
    assert caught.value.stage == "SQLTransformer" and "WHERE" in caught.value.reason


def test_disagreement_names_the_first_differing_stage(spark, frame, preps) -> None:  # type: ignore[no-untyped-def]
    df, _ = frame
    model = _pipeline(preps, frame, C.LogisticRegression(maxIter=10))
    export = export_onnx(model, spark, df)
    older = df.where("age > 60")  # the same stages fitted on other rows: other imputation means
    other_prep = Pipeline(stages=_prep(StandardScaler(inputCol="_raw", outputCol="features", withMean=True))).fit(
        older)
    other = PipelineModel([*other_prep.stages, model.stages[-1]])
    with pytest.raises(ExportMismatchError) as caught:
        verify_export(export, other, df)
    assert caught.value.stage == "ImputerModel" and "'_age'" in caught.value.reason


def test_signature_types_nulls_and_strict_categories(spark, ml_frame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stages = [StringIndexer(inputCol="smoker", outputCol="_s", handleInvalid="error"),
              VectorAssembler(inputCols=["_s", "bp", "noise"], outputCol="features"),
              C.LogisticRegression(maxIter=5)]
    df = ml_frame.where("smoker IS NOT NULL")
    model = Pipeline(stages=stages).fit(df)
    export = export_onnx(model, spark, df, input_columns=["noise", "smoker", "bp"])
    signature = export.signature
    assert signature.names == ("noise", "smoker", "bp")  # input_columns order
    smoker, bp = signature.field("smoker"), signature.field("bp")
    assert smoker is not None and bp is not None
    assert (smoker.type, smoker.nullable, set(smoker.categories or ())) == ("string", False,
                                                                            {"never", "former", "current"})
    assert (bp.type, bp.nullable) == ("integer", False)  # the assembler refuses nulls: so does the endpoint
    verify_export(export, model, df)
    loaded = OnnxExport.load(export.save(tmp_path / "m"))
    assert loaded.model_bytes == export.model_bytes and loaded.signature == signature
    assert OnnxExport.signature_of(export.model_bytes) == signature
    assert [o.name for o in export.outputs] == ["prediction", "probability"]
    assert export.opset >= 13


def test_sample_without_a_needed_column_is_refused(spark, ml_frame) -> None:  # type: ignore[no-untyped-def]
    model = Pipeline(stages=[VectorAssembler(inputCols=["bp", "noise"], outputCol="features"),
                             R.LinearRegression(labelCol="cost")]).fit(ml_frame)
    with pytest.raises(ExportError) as caught:
        export_onnx(model, spark, ml_frame.drop("noise"))
    assert caught.value.stage == "VectorAssembler" and "'noise'" in caught.value.reason
