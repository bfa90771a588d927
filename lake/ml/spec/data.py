"""Check a spec against the data it will train on: columns, types, and one aggregate pass."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.errors import DataError
from lake.ml.spec.model import TrainSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructType

__all__ = ["OUTPUT_COLUMNS", "RESERVED_PREFIX", "DataCheck", "feature_columns", "validate_against"]

RESERVED_PREFIX = "_lf_"
OUTPUT_COLUMNS = ("features", "prediction", "probability", "rawPrediction", "label_index", "prediction_index",
                  "topicDistribution", "projection", "neighbors_found")
MAX_CLASSES = 1000


@dataclass(frozen=True)
class DataCheck:
    """What the check measured: rows, non-null counts of the checked columns, distinct labels."""

    rows: int
    features: tuple[str, ...]
    non_null: dict[str, int] = field(default_factory=dict)
    label_classes: int | None = None


def feature_columns(spec: TrainSpec, schema: StructType) -> list[str]:
    """The feature columns: ``features`` if given, else every column but label, id, text and ``exclude``."""
    if spec.task == "topics":
        return []
    if spec.features:
        return list(spec.features)
    skip = spec.excluded_columns() | ({spec.split.by} if spec.split.by else set())
    return [f.name for f in schema.fields if f.name not in skip]


def validate_against(spec: TrainSpec, df: DataFrame) -> DataCheck:
    """Check ``spec`` against ``df``; raises :class:`DataError` naming the column. One Spark job."""
    from pyspark.sql import functions as F

    schema = df.schema
    types = {f.name: f.dataType for f in schema.fields}
    _check_reserved(types)
    features = feature_columns(spec, schema)
    roles: list[tuple[str, str | None]] = [
        ("label", spec.label), ("id", spec.id), ("text", spec.text), ("split.by", spec.split.by),
        *(("feature", c) for c in spec.features), *(("exclude", c) for c in spec.exclude),
        *(("prep.impute_columns", c) for c in spec.prep.impute_columns),
    ]
    for role, column in roles:
        if column is not None and column not in types:
            raise DataError(column=column, reason=f"({role}) is not in the source{_close(column, types)}; "
                            f"columns: {', '.join(types)}")
    for column in spec.prep.impute_columns:
        if column not in features:
            raise DataError(column=column, reason="has an imputation strategy (prep.impute_columns) but is not a "
                            "feature")
    if spec.task != "topics" and not features:
        raise DataError(column=None, reason="no feature columns remain after label, id and exclude")
    for column in features:
        _check_feature_type(column, types[column])
    _check_role_types(spec, types)

    counted = [c for c in dict.fromkeys([*features, spec.label, spec.text, spec.split.by]) if c]
    aggregates = [F.count(F.lit(1)).alias("_rows")]
    aggregates += [F.count(F.col(f"`{c}`")).alias(f"_n{i}") for i, c in enumerate(counted)]
    classify = spec.is_classification
    if classify:
        label = F.col(f"`{spec.label}`")
        aggregates += [F.countDistinct(label).alias("_classes"), F.min(label).alias("_first")]
    row = df.agg(*aggregates).first()
    assert row is not None
    rows = int(row["_rows"])
    if rows == 0:
        raise DataError(column=None, reason="the source has no rows")
    non_null = {c: int(row[f"_n{i}"]) for i, c in enumerate(counted)}
    if spec.label and spec.is_supervised and non_null[spec.label] < rows:
        missing = rows - non_null[spec.label]
        raise DataError(column=spec.label, reason=f"{missing} of {rows} rows have no label; filter them in the "
                        f"source (WHERE {spec.label} IS NOT NULL)")
    for column in features:
        if non_null[column] == 0:
            raise DataError(column=column, reason=f"is entirely null in all {rows} rows; exclude it")
    for role, column in (("text", spec.text), ("split.by", spec.split.by)):
        if column and non_null[column] < rows:
            what = "entirely null" if non_null[column] == 0 else f"null in {rows - non_null[column]} rows"
            if role == "text" and non_null[column] > 0:
                continue  # null documents are read as empty text
            raise DataError(column=column, reason=f"({role}) is {what}")
    classes = None
    if classify:
        classes = int(row["_classes"])
        if classes < 2:
            raise DataError(column=spec.label, reason=f"has a single class ({row['_first']!r}); a classification "
                            "label needs at least two")
        if spec.task == "binary" and classes > 2:
            raise DataError(column=spec.label, reason=f"has {classes} classes; task binary needs exactly 2 "
                            "(use task = \"multiclass\")")
        if classes > MAX_CLASSES:
            raise DataError(column=spec.label, reason=f"has {classes} distinct values, more than {MAX_CLASSES} "
                            "classes; is this a regression label?")
    return DataCheck(rows=rows, features=tuple(features), non_null=non_null, label_classes=classes)


def _check_reserved(types: dict[str, Any]) -> None:
    for column in types:
        if column in OUTPUT_COLUMNS or column.startswith(RESERVED_PREFIX):
            raise DataError(column=column, reason=f"clashes with a column the model adds ({', '.join(OUTPUT_COLUMNS)}"
                            f", {RESERVED_PREFIX}*); rename it in the source")


def _check_feature_type(column: str, data_type: DataType) -> None:
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import BooleanType, NumericType, StringType

    if not isinstance(data_type, NumericType | BooleanType | StringType | VectorUDT):
        raise DataError(column=column, reason=f"is {data_type.simpleString()}, which is not a usable feature "
                        "(numeric, boolean, string or vector); exclude it or derive a numeric column in SQL")


def _check_role_types(spec: TrainSpec, types: dict[str, Any]) -> None:
    from pyspark.sql.types import BooleanType, DateType, NumericType, StringType, TimestampNTZType, TimestampType

    if spec.label and spec.task == "regression" and not isinstance(types[spec.label], NumericType):
        raise DataError(column=spec.label, reason=f"is {types[spec.label].simpleString()}; a regression label "
                        "must be numeric")
    if spec.label and spec.is_classification and not isinstance(types[spec.label],
                                                                NumericType | StringType | BooleanType):
        raise DataError(column=spec.label, reason=f"is {types[spec.label].simpleString()}; a class label must be "
                        "a string, number or boolean")
    if spec.text and not isinstance(types[spec.text], StringType):
        raise DataError(column=spec.text, reason=f"is {types[spec.text].simpleString()}; the text column must be "
                        "a string")
    by = spec.split.by
    if by and not isinstance(types[by], DateType | TimestampType | TimestampNTZType | NumericType):
        raise DataError(column=by, reason=f"is {types[by].simpleString()}; a time split needs a date, timestamp "
                        "or number")


def _close(column: str, names: Any) -> str:
    match = difflib.get_close_matches(column, list(names), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
