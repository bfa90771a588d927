"""The feature stages of the prep ``Pipeline`` (unfitted), built from the spec and the training plan.

Order: booleans cast to double → numeric imputation (``Imputer`` per strategy) → string mode
fill → ``StringIndexer`` (``handleInvalid="keep"``: unseen or null categories get their own
index, all zeros after one-hot) → ``OneHotEncoder`` → ``VectorAssembler`` → low-variance
selector → scaler → PCA, ending in the ``features`` column. Topics: text → tokens → terms
(stop words removed) → counts in ``features``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.algorithms import Algorithm
from lake.ml.algorithms.bayes import NONNEGATIVE_MODEL_TYPES
from lake.ml.errors import DataError
from lake.ml.prep.columns import FEATURES, internal, quote
from lake.ml.prep.plan import PrepPlan
from lake.ml.spec import TrainSpec

if TYPE_CHECKING:
    from pyspark.ml._typing import PipelineStage

__all__ = ["PrepStages", "build_prep", "needs_nonnegative"]


@dataclass
class PrepStages:
    """The stages plus what they decided (for the prep report)."""

    stages: list[PipelineStage]
    scale: str
    imputed: list[dict[str, Any]] = field(default_factory=list)
    encoders: list[dict[str, Any]] = field(default_factory=list)
    drop_rows: list[str] = field(default_factory=list)
    assembled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def needs_nonnegative(spec: TrainSpec) -> bool:
    """True for naive Bayes with a model type that needs non-negative features."""
    return (spec.model.algorithm == "naive_bayes"
            and spec.model.params.get("model_type", "multinomial") in NONNEGATIVE_MODEL_TYPES)


def build_prep(spec: TrainSpec, plan: PrepPlan, algorithm: Algorithm, *, pca_k: int | None = None,
               include_pca: bool = True) -> PrepStages:
    """The unfitted feature stages ending in ``features``; ``pca_k`` resolves a variance-fraction PCA."""
    if spec.task == "topics":
        return _text_stages(spec)
    from pyspark.ml.feature import (
        PCA,
        Imputer,
        MinMaxScaler,
        OneHotEncoder,
        RobustScaler,
        SQLTransformer,
        StandardScaler,
        StringIndexer,
        VarianceThresholdSelector,
        VectorAssembler,
    )

    stages: list[PipelineStage] = []
    out = PrepStages(stages=stages, scale=spec.prep.scale)
    nonnegative = needs_nonnegative(spec)

    sources = {c: c for c in plan.numeric}
    if plan.boolean:
        casts = ", ".join(f"CAST({quote(c)} AS DOUBLE) AS {quote(internal('bool', c))}" for c in plan.boolean)
        stages.append(SQLTransformer(statement=f"SELECT *, {casts} FROM __THIS__"))
        sources.update({c: internal("bool", c) for c in plan.boolean})

    groups: dict[str, list[str]] = {}
    numeric_out: dict[str, str] = {}
    for column, source in sources.items():
        strategy = spec.prep.strategy_for(column)
        entry: dict[str, Any] = {"column": column, "strategy": strategy,
                                 "missing_fraction": round(plan.missing.get(column, 0.0), 6)}
        if strategy == "none":
            if plan.missing.get(column, 0.0) > 0 and not algorithm.handles_missing:
                raise DataError(column=column, reason=f"has {plan.missing[column]:.1%} missing values in the "
                                f"training split and prep.impute is none; {algorithm.name} cannot take missing "
                                "values: choose mean, median, mode or drop_rows")
            numeric_out[column] = source
        else:
            fill = "median" if strategy == "drop_rows" else strategy
            if strategy == "drop_rows":
                out.drop_rows.append(column)
                entry["prediction_fill"] = "median"
            groups.setdefault(fill, []).append(column)
            numeric_out[column] = internal("imp", column)
        out.imputed.append(entry)
    for strategy, columns in groups.items():
        stages.append(Imputer(strategy=strategy, inputCols=[sources[c] for c in columns],
                              outputCols=[internal("imp", c) for c in columns]))

    if nonnegative and numeric_out:
        clips = ", ".join(f"GREATEST({quote(src)}, CAST({plan.minimums.get(col, 0.0)!r} AS DOUBLE)) AS "
                          f"{quote(internal('clip', col))}" for col, src in numeric_out.items())
        stages.append(SQLTransformer(statement=f"SELECT *, {clips} FROM __THIS__"))
        numeric_out = {c: internal("clip", c) for c in numeric_out}

    categorical_in: dict[str, str] = {}
    fills: list[str] = []
    for column in plan.categorical:
        strategy = spec.prep.strategy_for(column)
        entry = {"column": column, "strategy": strategy, "missing_fraction": round(plan.missing.get(column, 0.0), 6)}
        if strategy == "mode" and column in plan.string_modes:
            mode = plan.string_modes[column]
            literal = "'" + mode.replace("\\", "\\\\").replace("'", "\\'") + "'"
            fills.append(f"COALESCE({quote(column)}, {literal}) AS {quote(internal('str', column))}")
            categorical_in[column] = internal("str", column)
            entry["value"] = mode
        else:
            if strategy == "drop_rows":
                out.drop_rows.append(column)
            entry["strategy"] = strategy if strategy in ("drop_rows", "none") else "category"
            entry["note"] = "missing and unseen values share the unknown category"
            categorical_in[column] = column
        out.imputed.append(entry)
    if fills:
        stages.append(SQLTransformer(statement=f"SELECT *, {', '.join(fills)} FROM __THIS__"))

    encoded: list[str] = []
    if categorical_in:
        indexed = [internal("idx", c) for c in categorical_in]
        stages.append(StringIndexer(inputCols=list(categorical_in.values()), outputCols=indexed,
                                    handleInvalid="keep", stringOrderType="frequencyDesc"))
        if spec.prep.encode == "onehot":
            encoded = [internal("ohe", c) for c in categorical_in]
            stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, dropLast=True))
        else:
            encoded = indexed
        out.encoders = [{"column": c, "encoding": spec.prep.encode, "categories": plan.categories.get(c)}
                        for c in categorical_in]

    inputs = [*numeric_out.values(), *encoded, *plan.vectors]
    out.assembled = [*numeric_out, *categorical_in, *plan.vectors]
    vector_steps: list[Callable[[str, str], PipelineStage]] = []
    if spec.prep.drop_low_variance is not None:
        threshold = spec.prep.drop_low_variance
        vector_steps.append(lambda i, o: VarianceThresholdSelector(featuresCol=i, outputCol=o,
                                                                   varianceThreshold=threshold))
    scale = spec.prep.scale
    if nonnegative and scale == "none":
        scale = "minmax"
        out.notes.append("scale: min-max applied automatically (naive Bayes needs non-negative features)")
    out.scale = scale
    if scale == "standard":
        vector_steps.append(lambda i, o: StandardScaler(inputCol=i, outputCol=o, withMean=True, withStd=True))
    elif scale == "minmax":
        vector_steps.append(lambda i, o: MinMaxScaler(inputCol=i, outputCol=o))
    elif scale == "robust":
        vector_steps.append(lambda i, o: RobustScaler(inputCol=i, outputCol=o, withCentering=True, withScaling=True))
    pca = spec.prep.pca
    if include_pca and pca is not None:
        k = pca if isinstance(pca, int) else pca_k
        if k is None:
            raise ValueError("prep.pca is a variance fraction: resolve k before building the stages")
        vector_steps.append(lambda i, o: PCA(k=k, inputCol=i, outputCol=o))

    names = [f"_lf_vec{i}" for i in range(len(vector_steps))] + [FEATURES]
    invalid = "keep" if algorithm.handles_missing else "error"
    stages.append(VectorAssembler(inputCols=inputs, outputCol=names[0], handleInvalid=invalid))
    for i, step in enumerate(vector_steps):
        stages.append(step(names[i], names[i + 1]))
    return out


def _text_stages(spec: TrainSpec) -> PrepStages:
    from pyspark.ml.feature import CountVectorizer, RegexTokenizer, SQLTransformer, StopWordsRemover

    assert spec.text is not None
    text, tokens, terms = internal("text", spec.text), internal("tokens", spec.text), internal("terms", spec.text)
    stages: list[PipelineStage] = [
        SQLTransformer(statement=f"SELECT *, COALESCE({quote(spec.text)}, '') AS {quote(text)} FROM __THIS__"),
        RegexTokenizer(inputCol=text, outputCol=tokens, pattern="\\W+", toLowercase=True,
                       minTokenLength=spec.prep.min_token_length),
    ]
    words = spec.prep.stop_words
    if words != "none":
        stop = list(words) if isinstance(words, tuple) else StopWordsRemover.loadDefaultStopWords(words)
        stages.append(StopWordsRemover(inputCol=tokens, outputCol=terms, stopWords=stop))
    else:
        terms = tokens
    stages.append(CountVectorizer(inputCol=terms, outputCol=FEATURES, vocabSize=spec.prep.vocab_size,
                                  minDF=spec.prep.min_df))
    listed = words if isinstance(words, str) else "custom"
    return PrepStages(stages=stages, scale="none",
                      notes=[f"text: {spec.text} tokenised on non-word characters, stop words: {listed}"])
