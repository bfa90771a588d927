"""Column profiles of a DataFrame in two Spark passes, for baselines and monitoring runs alike.

Every column is first read *as the baseline reads it* (one projection): a numeric feature
becomes a double (strings that read as numbers count, anything else is null), a categorical
feature becomes a canonical string, and two flags say whether the raw value is present and
whether it has the baseline's type. Then:

- pass 1, one ``agg``: rows, present and type-matched counts, count/sum/mean/population
  standard deviation/min/max/negatives of numeric values, approximate distinct counts
  (HyperLogLog) and, for a baseline, ``percentile_approx`` at the 2,049 sketch probabilities;
- pass 2, one ``mapInArrow`` + ``groupBy``: exact counts of numeric values at the support
  points (``< b`` and ``<= b``), ten equal-width buckets between min and max, exact value
  counts of numeric columns with at most :data:`SKETCH_K` distinct values (a baseline) and of
  categorical columns.

Non-finite numbers (NaN, ±inf) are read as missing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType

__all__ = [
    "EQUAL_WIDTH_BUCKETS",
    "MAX_CATEGORIES",
    "NUMERIC_FAMILIES",
    "QUANTILE_ACCURACY",
    "SKETCH_K",
    "CategoricalProfile",
    "ColumnProfile",
    "ColumnSpec",
    "NumericProfile",
    "family_of",
    "profile_columns",
    "quote",
]

SKETCH_K = 2048  # support points of a numeric baseline (SageMaker's KLL uses k = 2048)
SKETCH_PROBABILITIES = tuple(j / SKETCH_K for j in range(SKETCH_K + 1))
QUANTILE_ACCURACY = 10_000  # percentile_approx accuracy: rank error <= rows / accuracy
EQUAL_WIDTH_BUCKETS = 10  # SageMaker materializes the distribution in 10 buckets
MAX_CATEGORIES = 100  # a categorical feature with more distinct values gets no domain
NUMERIC_FAMILIES = ("integral", "fractional")
_HLL_MARGIN = 1.25  # HyperLogLog (rsd 5%) may under-count: collect a little beyond the limit

# kinds of rows pass 2 emits
_LT, _LE, _BUCKET, _VALUE, _CATEGORY, _OTHER = range(6)
_COUNTS_SCHEMA = "i int, kind int, pos long, key string, x double, n long"

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class ColumnSpec:
    """How to read one column: as ``kind`` numeric or categorical, its values of ``family``.

    For a monitoring run ``points`` are the baseline's support points and ``domain`` its
    categories (None: the baseline kept no domain).
    """

    name: str
    kind: str
    family: str
    points: tuple[float, ...] = ()
    domain: frozenset[str] | None = None

    @property
    def numeric(self) -> bool:
        return self.kind == "numeric"


@dataclass
class NumericProfile:
    """Numeric summary; ``points``/``count_le``/``count_lt`` give the CDF at support points."""

    count: int
    sum: float | None
    mean: float | None
    std_dev: float | None
    min: float | None
    max: float | None
    negatives: int
    points: Floats
    count_le: Ints
    count_lt: Ints
    exact: bool
    buckets: list[tuple[float, float, int]]


@dataclass
class CategoricalProfile:
    """Category counts; ``complete`` when every value is listed (``other`` counts the rest)."""

    distinct: int
    counts: dict[str, int]
    other: int
    complete: bool


@dataclass
class ColumnProfile:
    """One column as read for ``spec``; ``dtype``/``family`` describe the column as it is."""

    spec: ColumnSpec
    dtype: str
    family: str | None
    rows: int
    present: int
    matched: int
    numeric: NumericProfile | None = None
    categorical: CategoricalProfile | None = None
    notes: list[str] = field(default_factory=list)


def quote(name: str) -> str:
    """A column name as a Spark identifier (dots and spaces kept literal)."""
    return "`" + name.replace("`", "``") + "`"


def family_of(dtype: DataType) -> str | None:
    """integral, fractional, string or boolean; None for types the monitor cannot read."""
    from pyspark.sql import types as T

    if isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType):
        return "integral"
    if isinstance(dtype, T.DecimalType):
        return "integral" if dtype.scale == 0 else "fractional"
    if isinstance(dtype, T.FloatType | T.DoubleType):
        return "fractional"
    if isinstance(dtype, T.StringType | T.VarcharType | T.CharType):
        return "string"
    if isinstance(dtype, T.BooleanType):
        return "boolean"
    return None


def profile_columns(
    df: DataFrame,
    specs: Sequence[ColumnSpec],
    *,
    sketch: bool,
    max_categories: int = MAX_CATEGORIES,
) -> tuple[int, dict[str, ColumnProfile]]:
    """(rows, profile per column name) of ``df`` read as ``specs`` say, in two Spark passes.

    ``sketch=True`` (a baseline) also chooses the support points: every distinct value when
    there are at most :data:`SKETCH_K`, else the values at the sketch probabilities.
    """
    from pyspark.sql import functions as F

    schema = {f.name: f.dataType for f in df.schema.fields}
    projected: list[Column] = []
    families: list[str | None] = []
    for i, spec in enumerate(specs):
        family = family_of(schema[spec.name])
        families.append(family)
        value, present, match = _read(F.col(quote(spec.name)), spec, family, schema[spec.name])
        projected += [value.alias(f"v{i}"), present.alias(f"p{i}"), match.alias(f"m{i}")]
    frame = df.select(*projected)

    aggs = [F.count(F.lit(1)).alias("rows")]
    for i, spec in enumerate(specs):
        v = F.col(f"v{i}")
        aggs += [
            F.sum(F.col(f"p{i}").cast("long")).alias(f"present{i}"),
            F.sum((F.col(f"p{i}") & F.col(f"m{i}")).cast("long")).alias(f"matched{i}"),
            F.approx_count_distinct(v, 0.05).alias(f"distinct{i}"),
        ]
        if spec.numeric:
            aggs += [
                F.count(v).alias(f"count{i}"),
                F.sum(v).alias(f"sum{i}"),
                F.avg(v).alias(f"mean{i}"),
                F.stddev_pop(v).alias(f"std{i}"),
                F.min(v).alias(f"min{i}"),
                F.max(v).alias(f"max{i}"),
                F.sum((v < 0).cast("long")).alias(f"neg{i}"),
            ]
            if sketch:
                aggs.append(
                    F.percentile_approx(v, list(SKETCH_PROBABILITIES), QUANTILE_ACCURACY).alias(f"q{i}")
                )
    first = frame.agg(*aggs).collect()[0].asDict()
    rows = int(first["rows"])

    plans = []
    limit = int(max_categories * _HLL_MARGIN) + 10
    for i, spec in enumerate(specs):
        distinct = int(first[f"distinct{i}"] or 0)
        if spec.numeric:
            if sketch:
                quantiles = first.get(f"q{i}") or []
                points = np.unique(np.asarray([q for q in quantiles if q is not None], dtype=np.float64))
            else:
                points = np.asarray(spec.points, dtype=np.float64)
            lo, hi = first[f"min{i}"], first[f"max{i}"]
            values = sketch and distinct <= int(SKETCH_K * _HLL_MARGIN) + 10
            plans.append(_Plan(True, points, None if lo is None else (float(lo), float(hi)), values, "skip", None))
        else:
            if distinct <= limit:
                mode = "all"
            elif spec.domain is not None:
                mode = "domain"
            else:
                mode = "skip"
            plans.append(_Plan(False, np.zeros(0), None, False, mode, spec.domain))

    counted = (
        frame.select(*[F.col(f"v{i}") for i in range(len(specs))])
        .mapInArrow(partial(_count_batches, plans), _COUNTS_SCHEMA)
        .groupBy("i", "kind", "pos", "key", "x")
        .agg(F.sum("n").alias("n"))
        .collect()
    )
    by_column: dict[int, list[Any]] = {}
    for row in counted:
        by_column.setdefault(int(row["i"]), []).append(row)

    profiles: dict[str, ColumnProfile] = {}
    for i, spec in enumerate(specs):
        profile = ColumnProfile(
            spec=spec,
            dtype=schema[spec.name].simpleString(),
            family=families[i],
            rows=rows,
            present=int(first[f"present{i}"] or 0),
            matched=int(first[f"matched{i}"] or 0),
        )
        cells = by_column.get(i, [])
        if spec.numeric:
            profile.numeric = _numeric(first, i, plans[i], cells, sketch)
        else:
            profile.categorical = _categorical(int(first[f"distinct{i}"] or 0), plans[i], cells, max_categories)
        profiles[spec.name] = profile
    return rows, profiles


def _read(col: Column, spec: ColumnSpec, family: str | None, dtype: DataType) -> tuple[Column, Column, Column]:
    """(value, present, type matches) of a column read as ``spec``."""
    from pyspark.sql import functions as F

    present = col.isNotNull()
    if family == "fractional" and dtype.typeName() in ("double", "float"):
        present = present & ~F.isnan(col)
    as_double = col.try_cast("double") if family == "string" else col.cast("double")
    whole = as_double == F.floor(as_double)
    is_text = family == "string"
    is_long = col.try_cast("bigint").isNotNull() if is_text else F.lit(False)
    is_number = as_double.isNotNull() if is_text else F.lit(False)
    is_bool = F.lower(F.trim(col)).isin("true", "false") if is_text else F.lit(False)
    expected = spec.family
    match: Column
    if expected == "integral":
        match = {"integral": F.lit(True), "fractional": F.coalesce(whole, F.lit(False)), "string": is_long}.get(
            family or "", F.lit(False)
        )
    elif expected == "fractional":
        match = F.lit(True) if family in NUMERIC_FAMILIES else is_number
    elif expected == "boolean":
        match = F.lit(True) if family == "boolean" else is_bool
    else:
        match = F.lit(is_text)

    if spec.numeric:
        value = as_double if family in (*NUMERIC_FAMILIES, "string") else F.lit(None).cast("double")
        finite = value.isNotNull() & ~F.isnan(value) & (F.abs(value) != F.lit(math.inf))
        return F.when(finite, value), present, match
    if expected == "integral" and family in (*NUMERIC_FAMILIES, "string"):
        text_value = F.coalesce(F.when(whole, as_double.cast("bigint")).cast("string"), col.cast("string"))
    elif expected == "fractional" and family in (*NUMERIC_FAMILIES, "string"):
        text_value = F.coalesce(as_double.cast("string"), col.cast("string"))
    elif expected == "boolean":
        text_value = F.lower(F.trim(col.cast("string")))
    else:
        text_value = col.cast("string")
    return F.when(present, text_value), present, match


@dataclass(frozen=True)
class _Plan:
    numeric: bool
    points: Floats
    bucket_range: tuple[float, float] | None
    values: bool  # count each numeric value (a baseline with few distinct values)
    mode: str  # categorical: all | domain | skip
    domain: frozenset[str] | None


def _bucket_index(x: Floats, lo: float, hi: float) -> Ints:
    if hi <= lo:
        return np.zeros(x.size, dtype=np.int64)
    width = (hi - lo) / EQUAL_WIDTH_BUCKETS
    return np.clip(np.floor((x - lo) / width), 0, EQUAL_WIDTH_BUCKETS - 1).astype(np.int64)


def _count_batches(plans: Sequence[_Plan], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pass 2 inside one task: count everything, emit one batch of non-zero counts at the end."""
    arrays: dict[tuple[int, int], Ints] = {}
    values: dict[int, Counter[float]] = {}
    categories: dict[int, Counter[str]] = {}
    others: Counter[int] = Counter()

    def add(key: tuple[int, int], counts: Ints) -> None:
        arrays[key] = arrays[key] + counts if key in arrays else counts

    for batch in batches:
        for i, plan in enumerate(plans):
            column = pc.drop_null(batch.column(i))
            if len(column) == 0:
                continue
            if plan.numeric:
                x = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
                k = plan.points.size
                if k:
                    add((i, _LE), np.bincount(np.searchsorted(plan.points, x, "left"), minlength=k + 1))
                    add((i, _LT), np.bincount(np.searchsorted(plan.points, x, "right"), minlength=k + 1))
                if plan.bucket_range is not None:
                    idx = _bucket_index(x, *plan.bucket_range)
                    add((i, _BUCKET), np.bincount(idx, minlength=EQUAL_WIDTH_BUCKETS))
                if plan.values:
                    uniq, counts = np.unique(x, return_counts=True)
                    values.setdefault(i, Counter()).update(dict(zip(uniq.tolist(), counts.tolist(), strict=True)))
            elif plan.mode != "skip":
                if plan.mode == "domain":  # count known values one by one, pool the rest
                    known = pc.is_in(column, value_set=pa.array(sorted(plan.domain or ()), type=pa.string()))
                    others[i] += len(column) - int(pc.sum(known).as_py() or 0)
                    column = column.filter(known)
                table = pc.value_counts(column)
                seen = categories.setdefault(i, Counter())
                keys, counts = table.field("values").to_pylist(), table.field("counts").to_pylist()
                for key, count in zip(keys, counts, strict=True):
                    seen[key] += count

    out: dict[str, list[Any]] = {"i": [], "kind": [], "pos": [], "key": [], "x": [], "n": []}

    def emit(i: int, kind: int, pos: int, key: str | None, x: float | None, n: int) -> None:
        for name, item in zip(out, (i, kind, pos, key, x, n), strict=True):
            out[name].append(item)

    for (i, kind), counts in arrays.items():
        for pos in np.flatnonzero(counts):
            emit(i, kind, int(pos), None, None, int(counts[pos]))
    for i, counter in values.items():
        for x_value, n in counter.items():
            emit(i, _VALUE, 0, None, float(x_value), int(n))
    for i, counter_s in categories.items():
        for key, n in counter_s.items():
            emit(i, _CATEGORY, 0, key, None, int(n))
    for i, n in others.items():
        emit(i, _OTHER, 0, None, None, int(n))
    if out["i"]:
        yield pa.RecordBatch.from_pydict(
            out,
            schema=pa.schema([
                ("i", pa.int32()), ("kind", pa.int32()), ("pos", pa.int64()),
                ("key", pa.string()), ("x", pa.float64()), ("n", pa.int64()),
            ]),
        )


def _numeric(first: dict[str, Any], i: int, plan: _Plan, cells: list[Any], sketch: bool) -> NumericProfile:
    count = int(first[f"count{i}"] or 0)

    def opt(name: str) -> float | None:
        value = first[f"{name}{i}"]
        return None if value is None else float(value)

    points, k = plan.points, plan.points.size
    le_int = np.zeros(k + 1, dtype=np.int64)
    lt_int = np.zeros(k + 1, dtype=np.int64)
    bucket_counts = np.zeros(EQUAL_WIDTH_BUCKETS, dtype=np.int64)
    exact_values: dict[float, int] = {}
    for cell in cells:
        kind, pos, n = int(cell["kind"]), int(cell["pos"]), int(cell["n"])
        if kind == _LE:
            le_int[pos] += n
        elif kind == _LT:
            lt_int[pos] += n
        elif kind == _BUCKET:
            bucket_counts[pos] += n
        elif kind == _VALUE:
            exact_values[float(cell["x"])] = exact_values.get(float(cell["x"]), 0) + n
    count_le, count_lt = np.cumsum(le_int)[:k], np.cumsum(lt_int)[:k]
    exact = False
    if sketch and plan.values and 0 < len(exact_values) <= SKETCH_K:
        points = np.asarray(sorted(exact_values), dtype=np.float64)
        per_value = np.asarray([exact_values[p] for p in points.tolist()], dtype=np.int64)
        count_le = np.cumsum(per_value)
        count_lt = count_le - per_value
        exact = True
    elif k:
        # exact when no value falls strictly between adjacent points (and none outside them)
        gaps = count_lt[1:] - count_le[:-1]
        exact = bool(count_lt[0] == 0 and count_le[-1] == count and not np.any(gaps))
    buckets: list[tuple[float, float, int]] = []
    if plan.bucket_range is not None and count:
        lo, hi = plan.bucket_range
        if hi <= lo:
            buckets = [(lo, hi, int(bucket_counts.sum()))]
        else:
            edges = np.linspace(lo, hi, EQUAL_WIDTH_BUCKETS + 1)
            buckets = [
                (float(edges[j]), float(edges[j + 1]), int(bucket_counts[j])) for j in range(EQUAL_WIDTH_BUCKETS)
            ]
    return NumericProfile(
        count=count,
        sum=opt("sum"),
        mean=opt("mean"),
        std_dev=opt("std"),
        min=opt("min"),
        max=opt("max"),
        negatives=int(first[f"neg{i}"] or 0),
        points=points,
        count_le=np.asarray(count_le, dtype=np.int64),
        count_lt=np.asarray(count_lt, dtype=np.int64),
        exact=exact,
        buckets=buckets,
    )


def _categorical(approx: int, plan: _Plan, cells: list[Any], max_categories: int) -> CategoricalProfile:
    counts: dict[str, int] = {}
    other = 0
    for cell in cells:
        if int(cell["kind"]) == _CATEGORY:
            counts[str(cell["key"])] = counts.get(str(cell["key"]), 0) + int(cell["n"])
        elif int(cell["kind"]) == _OTHER:
            other += int(cell["n"])
    if plan.mode == "skip":
        return CategoricalProfile(distinct=approx, counts={}, other=0, complete=False)
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    listed_all = plan.mode == "all" and other == 0
    distinct = len(ordered) if listed_all else max(approx, len(ordered))
    # a baseline keeps a domain only for a small cardinality; a monitoring run lists every value
    complete = listed_all and (plan.domain is not None or len(ordered) <= max_categories)
    return CategoricalProfile(distinct=distinct, counts=ordered, other=other, complete=complete)
