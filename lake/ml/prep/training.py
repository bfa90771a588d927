"""Steps that change the *training* rows only, wrapped around the model estimator.

:class:`TrainingFit` is an Estimator whose ``fit`` drops rows with missing values
(``drop_rows``), balances the classes (oversample / undersample / class weights), casts a
boolean label, sizes an MLP's input layer, then fits the wrapped estimator and returns *its*
model. The fitted ``PipelineModel`` therefore holds the plain MLlib model: prediction sees
none of these steps, so no prediction row is ever dropped or duplicated.

Sampling is seeded and decided by a hash of each row's id (or content), so it does not depend
on partitioning. Rows flagged by the early-stopping validation indicator are never resampled;
data without that column (a cross-validation fold, the final refit) trains without early stopping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyspark.ml import Estimator, Model

from lake.ml.errors import DataError
from lake.ml.prep.columns import quote

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["Balance", "TrainingFit", "plan_balance"]


@dataclass(frozen=True)
class Balance:
    """A class-balancing plan on the model's label (class indices): per-class factor or weight."""

    strategy: str
    class_counts: dict[int, int]
    factors: dict[int, float] = field(default_factory=dict)
    weights: dict[int, float] = field(default_factory=dict)

    def expected_counts(self) -> dict[int, int]:
        if self.strategy in ("oversample", "undersample"):
            return {c: round(n * self.factors[c]) for c, n in self.class_counts.items()}
        return dict(self.class_counts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"strategy": self.strategy, "class_counts": {str(c): n for c, n in
                                                                           self.class_counts.items()}}
        if self.factors:
            out["factors"] = {str(c): round(f, 6) for c, f in self.factors.items()}
            out["expected_counts"] = {str(c): n for c, n in self.expected_counts().items()}
        if self.weights:
            out["weights"] = {str(c): round(w, 6) for c, w in self.weights.items()}
        return out


def plan_balance(strategy: str, counts: Sequence[int]) -> Balance | None:
    """The factors (resampling) or weights (``n / (C * n_c)``) that even out ``counts`` by class index."""
    if strategy == "none":
        return None
    by_class = {i: int(n) for i, n in enumerate(counts)}
    total, classes = sum(by_class.values()), len(by_class)
    if strategy == "class_weight":
        return Balance(strategy, by_class, weights={c: total / (classes * n) for c, n in by_class.items()})
    target = max(by_class.values()) if strategy == "oversample" else min(by_class.values())
    return Balance(strategy, by_class, factors={c: target / n for c, n in by_class.items()})


class TrainingFit(Estimator[Model]):
    """Fit ``estimator`` on the training rows after the training-only steps (see the module doc)."""

    def __init__(
        self,
        estimator: Estimator[Any],
        *,
        label_col: str | None = None,
        drop_null_columns: Sequence[str] = (),
        cast_label: bool = False,
        balance: Balance | None = None,
        weight_col: str | None = None,
        hash_columns: Sequence[str] = (),
        seed: int = 42,
        validation_col: str | None = None,
        features_col: str = "features",
        size_input_layer: bool = False,
    ) -> None:
        super().__init__()
        self.estimator = estimator
        self.label_col = label_col
        self.drop_null_columns = list(drop_null_columns)
        self.cast_label = cast_label
        self.balance = balance
        self.weight_col = weight_col
        self.hash_columns = list(hash_columns)
        self.seed = seed
        self.validation_col = validation_col
        self.features_col = features_col
        self.size_input_layer = size_input_layer

    def copy(self, extra: dict[Any, Any] | None = None) -> TrainingFit:
        that: TrainingFit = super().copy(extra)
        that.estimator = self.estimator.copy(extra)
        return that

    def _fit(self, dataset: DataFrame) -> Model:
        from pyspark.sql import functions as F

        df = dataset
        for column in self.drop_null_columns:
            df = df.where(F.col(quote(column)).isNotNull() & ~_is_nan(df, column))
        if self.cast_label and self.label_col:
            df = df.withColumn(self.label_col, F.col(quote(self.label_col)).cast("double"))
        if self.balance is not None:
            df = self._balanced(df)
        estimator = self.estimator
        if self.validation_col and self.validation_col not in df.columns:
            estimator = _without_early_stopping(estimator)
        if self.size_input_layer:
            estimator = self._sized(estimator, df)
        return estimator.fit(df)

    def _balanced(self, df: DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        assert self.balance is not None and self.label_col is not None
        label = F.col(quote(self.label_col)).cast("double")
        if self.balance.strategy == "class_weight":
            weight: Column = F.lit(1.0)
            for c, w in sorted(self.balance.weights.items(), reverse=True):
                weight = F.when(label == float(c), F.lit(w)).otherwise(weight)
            return df.withColumn(self.weight_col or "_lf_weight", weight)
        held = None
        if self.validation_col:
            held = df.where(F.col(quote(self.validation_col)))
            df = df.where(~F.col(quote(self.validation_col)))
        u = _uniform(df, self.hash_columns, self.seed)
        if self.balance.strategy == "undersample":
            keep = F.lit(True)
            for c, p in self.balance.factors.items():
                if p < 1.0:
                    keep = F.when(label == float(c), u < F.lit(p)).otherwise(keep)
            out = df.where(keep)
        else:
            copies: Column = F.lit(1)
            for c, r in self.balance.factors.items():
                whole, frac = math.floor(r), r - math.floor(r)
                copies = F.when(label == float(c), F.lit(whole) + (u < F.lit(frac)).cast("int")).otherwise(copies)
            marker = "_lf_copy"
            out = df.withColumn(marker, F.explode(F.array_repeat(F.lit(0), copies))).drop(marker)
        return out if held is None else out.unionByName(held)

    def _sized(self, estimator: Estimator[Any], df: DataFrame) -> Estimator[Any]:
        first = df.select(self.features_col).head()
        if first is None:
            raise DataError(column=None, reason="no training rows left after the training-only prep steps")
        layers = list(estimator.getOrDefault("layers"))
        layers[0] = int(first[0].size)
        return estimator.copy({estimator.getParam("layers"): layers})


def _without_early_stopping(estimator: Estimator[Any]) -> Estimator[Any]:
    """A copy of ``estimator`` that trains on every row: no validation indicator, no early-stopping rounds."""
    plain = estimator.copy()
    if plain.hasParam("validationIndicatorCol") and plain.isSet("validationIndicatorCol"):
        plain.clear(plain.getParam("validationIndicatorCol"))
    if plain.hasParam("early_stopping_rounds"):
        plain._set(early_stopping_rounds=None)
    return plain


def _uniform(df: DataFrame, columns: Sequence[str], seed: int) -> Column:
    """A number in [0, 1) from a seeded hash of ``columns`` (every column when none are given)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType, UserDefinedType

    names = list(columns) or [f.name for f in df.schema.fields if not isinstance(f.dataType, MapType | UserDefinedType)
                              and not f.name.startswith("_lf_")]
    hashed = F.xxhash64(F.lit(seed), *[F.col(quote(c)) for c in names])
    return F.pmod(hashed, F.lit(1 << 31)).cast("double") / float(1 << 31)


def _is_nan(df: DataFrame, column: str) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    if isinstance(df.schema[column].dataType, DoubleType | FloatType):
        return F.isnan(F.col(quote(column)))
    return F.lit(False)
