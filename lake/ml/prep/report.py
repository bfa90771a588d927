"""The prep report: what was imputed with what, what was dropped and why, encoders, PCA, the label.

:func:`~lake.ml.prep.pipeline.build_pipeline` returns it with the decisions taken on the
training split; :meth:`PrepReport.complete` adds what only the fitted pipeline knows (imputed
values, category lists, slots dropped for low variance, PCA variance, the feature names, and
model facts such as the kNN method that ran or the LDA topics' top words). ``to_dict()`` is JSON.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.prep.columns import FEATURES

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel

__all__ = ["PrepReport"]

_MAX_LISTED = 50


@dataclass
class PrepReport:
    """JSON-able record of the prep of one pipeline (see the module doc)."""

    task: str
    algorithm: str
    training_rows: int
    features_in: list[str]
    numeric: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)
    imputed: list[dict[str, Any]] = field(default_factory=list)
    encoders: list[dict[str, Any]] = field(default_factory=list)
    scale: str = "none"
    low_variance: dict[str, Any] | None = None
    correlation: dict[str, Any] | None = None
    pca: dict[str, Any] | None = None
    balance: dict[str, Any] | None = None
    label: dict[str, Any] | None = None
    columns: dict[str, str | None] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    feature_names: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def complete(self, model: PipelineModel) -> PrepReport:
        """A copy with the facts of the fitted ``model`` (the pipeline this report was built with)."""
        out = copy.deepcopy(self)
        _describe(out, _flatten(model))
        return out


def _flatten(model: Any) -> list[Any]:
    from pyspark.ml import PipelineModel

    stages: list[Any] = []
    for stage in model.stages:
        stages.extend(_flatten(stage) if isinstance(stage, PipelineModel) else [stage])
    return stages


def _describe(report: PrepReport, stages: list[Any]) -> None:
    from pyspark.ml.feature import (
        PCAModel,
        StringIndexerModel,
        VarianceThresholdSelectorModel,
        VectorAssembler,
    )

    fills: dict[str, float] = {}
    categories: dict[str, list[str]] = {}
    names: list[str] | None = None
    vocabulary: list[str] | None = None
    label_col = (report.label or {}).get("column")
    for stage in stages:
        kind = type(stage).__name__
        if kind == "ImputerModel":
            row = stage.surrogateDF.first()
            for source, target in zip(stage.getInputCols(), stage.getOutputCols(), strict=True):
                fills[target] = float(row[source])
        elif isinstance(stage, StringIndexerModel) and stage.isSet("inputCols"):
            for column, labels in zip(stage.getInputCols(), stage.labelsArray, strict=True):
                categories[column] = list(labels)
        elif isinstance(stage, StringIndexerModel) and stage.getInputCol() != label_col:
            categories[stage.getInputCol()] = list(stage.labels)
        elif isinstance(stage, VectorAssembler) and names is None:
            names = _assembled_names(report, categories)
        elif isinstance(stage, VarianceThresholdSelectorModel) and names is not None:
            kept = list(stage.selectedFeatures)
            slots: list[str] = names
            report.low_variance = {**(report.low_variance or {}),
                                   "dropped": [n for i, n in enumerate(slots) if i not in set(kept)]}
            names = [slots[i] for i in kept]
        elif isinstance(stage, PCAModel) and stage.getOutputCol() == FEATURES:
            variance = [float(v) for v in stage.explainedVariance.toArray()]
            report.pca = {**(report.pca or {}), "k": stage.getK(), "explained_variance": variance,
                          "explained_total": sum(variance)}
            names = [f"pc{i + 1}" for i in range(stage.getK())]
        elif kind == "CountVectorizerModel":
            vocabulary = list(stage.vocabulary)
            report.model["vocabulary_size"] = len(vocabulary)
    for entry in report.imputed:
        target = f"_lf_imp_{entry['column']}"
        if target in fills:
            entry["value"] = fills[target]
    for entry in report.encoders:
        found = categories.get(entry["column"]) or categories.get(f"_lf_str_{entry['column']}")
        if found is not None:
            entry["categories"] = len(found)
            entry["values"] = found[:_MAX_LISTED]
    if names is not None and not report.vectors:
        report.feature_names = names
    _describe_model(report, stages[-1] if stages else None, stages, vocabulary)


def _assembled_names(report: PrepReport, categories: dict[str, list[str]]) -> list[str] | None:
    """Slot names of the assembled vector: numeric columns, then ``column=value`` per one-hot slot."""
    names = [*report.numeric, *report.boolean]
    for entry in report.encoders:
        column = entry["column"]
        labels = categories.get(column) or categories.get(f"_lf_str_{column}")
        if labels is None:
            return None
        names += [f"{column}={v}" for v in labels] if entry["encoding"] == "onehot" else [column]
    return names


def _describe_model(report: PrepReport, last: Any, stages: list[Any], vocabulary: list[str] | None) -> None:
    model = next((s for s in reversed(stages) if _is_model_stage(s)), last)
    if model is None:
        return
    report.model["class"] = type(model).__name__
    kind = type(model).__name__
    if kind == "KNNModel":
        report.model.update(method=model.method_used, training_rows=model.getOrDefault("trainingRows"),
                            k=model.getOrDefault("k"))
        if model.method_used == "lsh":
            report.model.update(bucket_length=model.getOrDefault("bucketLength"),
                                num_hash_tables=model.getOrDefault("numHashTables"))
    elif kind in ("LocalLDAModel", "DistributedLDAModel") and vocabulary is not None:
        top = int(report.params.get("top_words", 10))
        topics = model.describeTopics(top).collect()
        report.model["topics"] = [
            {"topic": int(t["topic"]), "words": [vocabulary[i] for i in t["termIndices"]],
             "weights": [float(w) for w in t["termWeights"]]} for t in topics
        ]
    elif kind == "MultilayerPerceptronClassificationModel":
        report.model["layers"] = list(model.getLayers())
    elif kind in ("KMeansModel", "BisectingKMeansModel", "GaussianMixtureModel"):
        report.model["k"] = model.getK() if hasattr(model, "getK") else None
    elif kind == "PCAModel":
        variance = [float(v) for v in model.explainedVariance.toArray()]
        report.model.update(k=model.getK(), explained_variance=variance, explained_total=sum(variance))
    elif kind.startswith("SparkXGB"):
        report.model["num_workers"] = model.getOrDefault("num_workers")


def _is_model_stage(stage: Any) -> bool:
    name = type(stage).__name__
    return name.endswith("Model") and name not in (
        "ImputerModel", "StringIndexerModel", "OneHotEncoderModel", "VarianceThresholdSelectorModel",
        "StandardScalerModel", "MinMaxScalerModel", "RobustScalerModel", "CountVectorizerModel",
    ) and not (name == "PCAModel" and stage.getOutputCol() == FEATURES)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
