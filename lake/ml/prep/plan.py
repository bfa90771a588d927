"""Prep decisions that need data, made on the training split only (a few aggregate passes).

Column roles come from the schema; the first pass counts nulls (for ``max_missing``),
distinct categories, string modes and numeric minima; a second pass counts the classes of a
classification label; a third (only with ``drop_low_correlation``) correlates each numeric
feature with the label (classification: the largest |Pearson r| against each one-vs-rest
class indicator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.errors import DataError
from lake.ml.prep.columns import quote
from lake.ml.spec import TrainSpec, feature_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["Dropped", "LabelPlan", "PrepPlan", "plan_prep"]


@dataclass(frozen=True)
class Dropped:
    """A feature column left out, and why."""

    column: str
    reason: str


@dataclass(frozen=True)
class LabelPlan:
    """A classification label: its kind, classes in index order, counts, and whether it is indexed.

    ``kind`` is ``numeric`` (class indices 0..C-1, used as they are), ``indexed`` (strings or other
    numbers, mapped to indices by a fixed ``StringIndexerModel``) or ``boolean`` (cast to 0/1).
    ``keys`` are the labels as Spark casts them to strings (what the indexer matches).
    """

    column: str
    kind: str
    classes: tuple[Any, ...]
    keys: tuple[str, ...]
    counts: tuple[int, ...]
    numeric_values: bool = False

    @property
    def indexed(self) -> bool:
        return self.kind == "indexed"


@dataclass(frozen=True)
class PrepPlan:
    """Everything :func:`~lake.ml.prep.stages.build_prep` needs to know about the training data."""

    rows: int
    candidates: tuple[str, ...]
    numeric: tuple[str, ...]
    boolean: tuple[str, ...]
    categorical: tuple[str, ...]
    vectors: tuple[str, ...]
    dropped: tuple[Dropped, ...] = ()
    missing: dict[str, float] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    string_modes: dict[str, str] = field(default_factory=dict)
    minimums: dict[str, float] = field(default_factory=dict)
    correlations: dict[str, float] = field(default_factory=dict)
    label: LabelPlan | None = None

    @property
    def kept(self) -> tuple[str, ...]:
        return (*self.numeric, *self.boolean, *self.categorical, *self.vectors)


def plan_prep(spec: TrainSpec, train: DataFrame) -> PrepPlan:
    """The data-driven prep decisions of ``spec`` on the training split ``train``."""
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, NumericType, StringType

    types = {f.name: f.dataType for f in train.schema.fields}
    candidates = feature_columns(spec, train.schema)
    numeric = [c for c in candidates if isinstance(types[c], NumericType)]
    boolean = [c for c in candidates if isinstance(types[c], BooleanType)]
    strings = [c for c in candidates if isinstance(types[c], StringType)]
    vectors = [c for c in candidates if isinstance(types[c], VectorUDT)]
    for column in strings:
        if spec.prep.impute_columns.get(column) in ("mean", "median"):
            raise DataError(column=column, reason=f"is a string column; {spec.prep.impute_columns[column]} does not "
                            "apply (use mode, drop_rows or none)")
    mode_strings = [c for c in strings if spec.prep.strategy_for(c) == "mode"]

    aggregates = [F.count(F.lit(1)).alias("_rows")]
    aggregates += [F.count(F.col(quote(c))).alias(f"_n{i}") for i, c in enumerate(candidates)]
    aggregates += [F.approx_count_distinct(F.col(quote(c)), 0.01).alias(f"_d{i}") for i, c in enumerate(strings)]
    aggregates += [F.mode(F.col(quote(c)), deterministic=True).alias(f"_m{i}") for i, c in enumerate(mode_strings)]
    aggregates += [F.min(F.col(quote(c))).cast("double").alias(f"_min{i}") for i, c in enumerate(numeric)]
    row = train.agg(*aggregates).first()
    assert row is not None
    rows = int(row["_rows"])
    if rows == 0:
        raise DataError(column=None, reason="the training split has no rows")
    missing = {c: 1.0 - row[f"_n{i}"] / rows for i, c in enumerate(candidates)}
    categories = {c: int(row[f"_d{i}"]) for i, c in enumerate(strings)}
    modes = {c: row[f"_m{i}"] for i, c in enumerate(mode_strings) if row[f"_m{i}"] is not None}
    minimums = {c: row[f"_min{i}"] for i, c in enumerate(numeric) if row[f"_min{i}"] is not None}

    dropped: list[Dropped] = []
    for column in candidates:
        if missing[column] >= 1.0:
            dropped.append(Dropped(column, "entirely null in the training split"))
        elif spec.prep.max_missing is not None and missing[column] > spec.prep.max_missing:
            dropped.append(Dropped(column, f"{missing[column]:.1%} missing in the training split, above "
                                   f"max_missing {spec.prep.max_missing:g}"))
    label = _label_plan(spec, train, types) if spec.is_classification else None
    correlations: dict[str, float] = {}
    threshold = spec.prep.drop_low_correlation
    if threshold is not None:
        gone = {d.column for d in dropped}
        scored = [c for c in (*numeric, *boolean) if c not in gone]
        correlations = _correlations(spec, train, scored, label)
        for column in scored:
            value = correlations[column]
            if math.isnan(value):
                dropped.append(Dropped(column, "constant in the training split (no correlation with the label)"))
            elif abs(value) < threshold:
                dropped.append(Dropped(column, f"|correlation| with the label {abs(value):.4f} below "
                                       f"drop_low_correlation {threshold:g}"))
    gone = {d.column for d in dropped}
    if len(gone) == len(candidates) and candidates:
        reasons = "; ".join(f"{d.column}: {d.reason}" for d in dropped)
        raise DataError(column=None, reason=f"every feature was dropped by prep ({reasons}); relax "
                        "prep.max_missing or prep.drop_low_correlation")
    return PrepPlan(
        rows=rows,
        candidates=tuple(candidates),
        numeric=tuple(c for c in numeric if c not in gone),
        boolean=tuple(c for c in boolean if c not in gone),
        categorical=tuple(c for c in strings if c not in gone),
        vectors=tuple(c for c in vectors if c not in gone),
        dropped=tuple(dropped),
        missing=missing,
        categories=categories,
        string_modes=modes,
        minimums=minimums,
        correlations=correlations,
        label=label,
    )


def _label_plan(spec: TrainSpec, train: DataFrame, types: dict[str, Any]) -> LabelPlan:
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, NumericType, StringType

    assert spec.label is not None
    column = F.col(quote(spec.label))
    counted = (train.where(column.isNotNull()).groupBy(column.alias("v"), column.cast("string").alias("s"))
               .count().collect())
    data_type = types[spec.label]
    if isinstance(data_type, StringType):
        ordered = sorted(counted, key=lambda r: r["s"])
    else:
        ordered = sorted(counted, key=lambda r: float(r["v"]))
    classes = tuple(r["v"] for r in ordered)
    counts = tuple(int(r["count"]) for r in ordered)
    keys = tuple(r["s"] for r in ordered)
    if len(classes) < 2:
        raise DataError(column=spec.label, reason=f"has a single class ({classes[0] if classes else None!r}) in the "
                        "training split; a classification label needs at least two")
    if isinstance(data_type, BooleanType):
        kind = "boolean"
    elif isinstance(data_type, NumericType) and [float(c) for c in classes] == [float(i) for i in range(len(classes))]:
        kind = "numeric"
    else:
        kind = "indexed"
    return LabelPlan(spec.label, kind, classes, keys, counts, numeric_values=isinstance(data_type, NumericType))


def _correlations(spec: TrainSpec, train: DataFrame, columns: list[str], label: LabelPlan | None) -> dict[str, float]:
    from pyspark.sql import functions as F

    if not columns:
        return {}
    assert spec.label is not None
    y = F.col(quote(spec.label))
    targets = ([(y == F.lit(c)).cast("double") for c in label.classes] if label is not None
               else [y.cast("double")])
    aggregates = [F.corr(F.col(quote(c)).cast("double"), t).alias(f"_c{i}_{j}")
                  for i, c in enumerate(columns) for j, t in enumerate(targets)]
    row = train.agg(*aggregates).first()
    assert row is not None
    out: dict[str, float] = {}
    for i, column in enumerate(columns):
        values = [row[f"_c{i}_{j}"] for j in range(len(targets))]
        finite = [abs(v) for v in values if v is not None and not math.isnan(v)]
        signed = [v for v in values if v is not None and not math.isnan(v)]
        if not finite:
            out[column] = math.nan
        elif label is None or len(targets) == 2:
            out[column] = signed[-1]  # binary: correlation with the positive class; regression: with y
        else:
            out[column] = max(finite)
    return out
