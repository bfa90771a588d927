"""Train/validation/test split: seeded, stratified for classification, or by time; counts recorded.

Each row's place is decided by a seeded 64-bit hash of its id column (of all its columns when
the spec names no id), never by ``randomSplit`` over unordered data, so the same data and seed
give the same split however the data is partitioned.

* ``random`` (regression, clustering, topics, or ``stratify = false``): a row goes to train when
  its hash maps below ``train`` in [0, 1), to validation below ``train + validation``, else
  test. Fractions hold in expectation.
* ``stratified`` (classification by default): within each class the rows are ordered by hash
  and the first ``train`` share goes to train, the next ``validation`` share to validation,
  the rest to test, so every class keeps its ratio in every split (up to rounding).
* ``time`` (``by = "<column>"``): the oldest ``train`` share of rows (by approximate quantiles
  of the column) go to train, then validation, the newest to test; rows sharing a time value
  stay together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.algorithms import CLASSIFICATION
from lake.ml.errors import DataError
from lake.ml.spec import SplitSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["SPLIT_COLUMN", "SPLIT_NAMES", "Splits", "split"]

SPLIT_COLUMN = "_lf_split"
SPLIT_NAMES = ("train", "validation", "test")
_NULL_TIME = "_null_time"
_QUANTILE_ACCURACY = 10_000


@dataclass(frozen=True)
class Splits:
    """The three splits (``validation`` is None when its fraction is 0) and their counts."""

    train: DataFrame
    validation: DataFrame | None
    test: DataFrame
    method: str
    rows: dict[str, int]
    classes: dict[str, dict[str, int]] | None = None
    cutoffs: list[Any] = field(default_factory=list)
    assigned: DataFrame | None = None

    @property
    def counts(self) -> dict[str, Any]:
        """Rows per split, and rows per class per split for classification (JSON-able)."""
        out: dict[str, Any] = {"method": self.method, "rows": dict(self.rows)}
        if self.classes is not None:
            out["classes"] = {s: dict(c) for s, c in self.classes.items()}
        if self.cutoffs:
            out["cutoffs"] = [str(c) for c in self.cutoffs]
        return out

    def unpersist(self) -> None:
        """Release the cached assignment (when ``split(..., cache=True)``)."""
        if self.assigned is not None and self.assigned.is_cached:
            self.assigned.unpersist()


def split(
    df: DataFrame,
    spec: SplitSpec,
    task: str,
    label: str | None = None,
    *,
    id_col: str | None = None,
    cache: bool = False,
) -> Splits:
    """Split ``df`` as ``spec`` says; one counting job (plus one quantile job for a time split)."""
    from pyspark.sql import functions as F

    classify = task in CLASSIFICATION and label is not None
    cutoffs: list[Any] = []
    if spec.by is not None:
        method = "time"
        assignment, cutoffs = _by_time(df, spec)
    elif classify and spec.stratify is not False:
        method = "stratified"
        assignment = _stratified(df, spec, label, id_col)  # type: ignore[arg-type]
    else:
        method = "random"
        assignment = _bucket(_uniform(df, spec.seed, id_col), spec)
    assigned = df.withColumn(SPLIT_COLUMN, assignment)
    if cache:
        assigned = assigned.persist()
    keys = [F.col(SPLIT_COLUMN)] + ([F.col(f"`{label}`").cast("string").alias("_lf_class")] if classify else [])
    grouped = assigned.groupBy(*keys).count().collect()
    rows = {name: 0 for name in SPLIT_NAMES}
    classes: dict[str, dict[str, int]] | None = {name: {} for name in SPLIT_NAMES} if classify else None
    for row in grouped:
        name = row[SPLIT_COLUMN]
        if name == _NULL_TIME:
            raise DataError(column=spec.by, reason=f"(split.by) is null in {row['count']} rows; a time split needs "
                            "a time on every row")
        rows[name] += int(row["count"])
        if classes is not None:
            classes[name][str(row["_lf_class"])] = classes[name].get(str(row["_lf_class"]), 0) + int(row["count"])
    for name in SPLIT_NAMES:
        if getattr(spec, name) > 0 and rows[name] == 0:
            raise DataError(column=None, reason=f"the {name} split is empty: {sum(rows.values())} rows are too few "
                            f"for fractions train {spec.train:g} / validation {spec.validation:g} / test "
                            f"{spec.test:g}" + (" or the time column has too few distinct values" if spec.by else ""))

    def part(name: str) -> DataFrame:
        return assigned.where(F.col(SPLIT_COLUMN) == name).drop(SPLIT_COLUMN)

    return Splits(
        train=part("train"),
        validation=part("validation") if spec.validation > 0 else None,
        test=part("test"),
        method=method,
        rows=rows,
        classes=classes,
        cutoffs=cutoffs,
        assigned=assigned if cache else None,
    )


def _hashable(df: DataFrame, id_col: str | None) -> list[Column]:
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType, UserDefinedType

    if id_col is not None:
        return [F.col(f"`{id_col}`")]
    return [F.col(f"`{f.name}`") for f in df.schema.fields if not isinstance(f.dataType, MapType | UserDefinedType)]


def _hash(df: DataFrame, seed: int, id_col: str | None) -> Column:
    from pyspark.sql import functions as F

    return F.xxhash64(F.lit(seed), *_hashable(df, id_col))


def _uniform(df: DataFrame, seed: int, id_col: str | None) -> Column:
    from pyspark.sql import functions as F

    return F.pmod(_hash(df, seed, id_col), F.lit(1 << 53)).cast("double") / float(1 << 53)


def _bucket(position: Column, spec: SplitSpec) -> Column:
    from pyspark.sql import functions as F

    return (F.when(position < F.lit(spec.train), F.lit("train"))
            .when(position < F.lit(spec.train + spec.validation), F.lit("validation"))
            .otherwise(F.lit("test")))


def _stratified(df: DataFrame, spec: SplitSpec, label: str, id_col: str | None) -> Column:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_class = Window.partitionBy(F.col(f"`{label}`"))
    ordered = by_class.orderBy(_hash(df, spec.seed, id_col), _hash(df, spec.seed + 1, id_col))
    position = (F.row_number().over(ordered) - 1).cast("double") / F.count(F.lit(1)).over(by_class)
    return _bucket(position, spec)


def _by_time(df: DataFrame, spec: SplitSpec) -> tuple[Column, list[Any]]:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    assert spec.by is not None
    column = F.col(f"`{spec.by}`")
    data_type = df.schema[spec.by].dataType
    value = F.unix_date(column).cast("double") if isinstance(data_type, DateType) else column.cast("double")
    edges = [spec.train, spec.train + spec.validation]
    row = df.select(F.percentile_approx(value, edges, _QUANTILE_ACCURACY).alias("q")).first()
    if row is None or row["q"] is None:
        raise DataError(column=spec.by, reason="(split.by) has no non-null values")
    first, second = float(row["q"][0]), float(row["q"][1])
    if spec.validation <= 0:
        second = first
    assignment = (F.when(value.isNull(), F.lit(_NULL_TIME))
                  .when(value <= F.lit(first), F.lit("train"))
                  .when(value <= F.lit(second), F.lit("validation"))
                  .otherwise(F.lit("test")))
    return assignment, [first, second]
