"""Hyperparameter tuning: grid or random search, cross-validated, parallel trials, every trial recorded.

Our own loop rather than Spark's ``CrossValidator``, so that each trial (its parameters,
metric, spread across folds, seconds, status) is kept, a failing trial does not end the
search, and the caller sees progress. Trials run on a ``ThreadPoolExecutor`` of
``parallelism`` threads, each submitting its own Spark jobs; Spark schedules them
concurrently (that is also how ``CrossValidator(parallelism=…)`` works).

The space maps a parameter name to one of::

    [v1, v2, …]                       a list of values (any JSON values, e.g. layer lists)
    {low = 1, high = 10}              a range: uniform; integers when both ends are integers
    {low = 1e-4, high = 1, log = true}  log-uniform (``low`` > 0)
    {low = 0.1, high = 0.5, step = 0.1}  the values low, low+step, … ≤ high

A grid is the cartesian product of the lists and stepped ranges (a continuous range is an
error); it may not exceed ``max_trials`` unless ``max_trials = 0`` (no limit). Random search
draws ``max_trials`` distinct points with a seeded generator (every point once when the space
is finite and smaller). Methods: ``cv`` (k folds assigned by a seeded hash of each row's
content, so they do not depend on partitioning; metric = mean over folds, ``metric_std`` =
their sample standard deviation), ``holdout`` (fit on train, score on validation) and ``loo``
(leave-one-out; at most :data:`LOO_MAX_ROWS` rows; its metric is computed once on the pooled
held-out predictions, since e.g. ROC AUC is undefined on one row).

Refitting the best parameters on train + validation and the single test evaluation are the
caller's; :func:`refit_best` is the one-line helper for the first.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from lake.errors import LakeforgeError
from lake.ml.errors import AllTrialsFailedError, TooManyRowsError, TuneSetupError, TuneSpaceError
from lake.ml.evaluate import Evaluation, collect_predictions, evaluate_arrays, evaluate_clustering, evaluate_topics
from lake.ml.metrics import greater_is_better as metric_greater_is_better
from lake.ml.metrics import resolve_metric

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Model
    from pyspark.sql import Column, DataFrame

__all__ = [
    "LOO_MAX_ROWS",
    "METHODS",
    "STRATEGIES",
    "Dimension",
    "Trial",
    "TuneProgress",
    "TuneResult",
    "TuneSpecLike",
    "assign_folds",
    "candidate_points",
    "grid_points",
    "parse_space",
    "random_points",
    "refit_best",
    "tune",
]

LOO_MAX_ROWS = 1000
STRATEGIES = ("none", "grid", "random")
METHODS = ("cv", "holdout", "loo")
OK = "OK"
FAILED = "FAILED"
_FOLD = "_lf_fold"  # the spec reserves the _lf_ prefix (lake.ml.spec.RESERVED_PREFIX)
_RANGE_KEYS = frozenset({"low", "high", "log", "step"})


class TuneSpecLike(Protocol):
    """What :func:`tune` reads of the spec's ``[tune]`` section (``lake.ml.spec.TuneSpec``)."""

    @property
    def strategy(self) -> str: ...
    @property
    def space(self) -> Mapping[str, Any]: ...
    @property
    def method(self) -> str: ...
    @property
    def folds(self) -> int: ...
    @property
    def max_trials(self) -> int: ...
    @property
    def parallelism(self) -> int: ...
    @property
    def seed(self) -> int | None: ...


@dataclass(frozen=True)
class Dimension:
    """One axis of the search space: a list of ``values``, or a range ``low``..``high``."""

    name: str
    values: tuple[Any, ...] | None = None
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    integer: bool = False

    @property
    def discrete(self) -> bool:
        return self.values is not None or self.step is not None

    def grid(self) -> list[Any]:
        """Every value of a list or stepped range (a continuous range has none)."""
        if self.values is not None:
            return list(self.values)
        if self.step is None:
            raise TuneSpaceError(
                name=self.name, problem="a grid needs a list or a range with a step; this range is continuous "
                "(add step = …, or use strategy = \"random\")",
            )
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        if self.integer:
            return [int(self.low) + i * int(self.step) for i in range(count)]
        return [round(self.low + i * self.step, 12) for i in range(count)]

    def size(self) -> float:
        """How many distinct values (``inf`` for a continuous float range)."""
        if self.discrete:
            return len(self.grid())
        return self.high - self.low + 1 if self.integer else math.inf

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn uniformly (log-uniformly when ``log``)."""
        if self.discrete:
            values = self.grid()
            return values[int(rng.integers(len(values)))]
        if self.log:
            if self.integer:
                drawn = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
                return int(min(max(math.floor(drawn), self.low), self.high))
            return float(min(max(math.exp(rng.uniform(math.log(self.low), math.log(self.high))), self.low), self.high))
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return float(rng.uniform(self.low, self.high))


def parse_space(space: Mapping[str, Any]) -> list[Dimension]:
    """The dimensions of ``[tune] space``, validated; errors name ``tune.space.<name>``."""
    dimensions = []
    for name, raw in space.items():
        if isinstance(raw, list | tuple):
            dimensions.append(_list_dimension(name, raw))
        elif isinstance(raw, Mapping):
            dimensions.append(_range_dimension(name, raw))
        else:
            raise TuneSpaceError(
                name=name, problem=f"expected a list of values or a table {{low, high[, log][, step]}}, got {raw!r}"
            )
    return dimensions


def grid_points(space: Mapping[str, Any], max_trials: int = 0) -> list[dict[str, Any]]:
    """The cartesian product of every dimension's values, in declaration order."""
    dimensions = parse_space(space)
    axes = [d.grid() for d in dimensions]
    size = math.prod(len(a) for a in axes)
    if max_trials and size > max_trials:
        raise TuneSetupError(
            problem=f"the grid has {size} points, more than tune.max_trials = {max_trials}; "
            "shrink tune.space, raise max_trials (0 = no limit) or use strategy = \"random\"",
        )
    return [dict(zip((d.name for d in dimensions), combo, strict=True)) for combo in itertools.product(*axes)]


def random_points(space: Mapping[str, Any], max_trials: int, seed: int) -> list[dict[str, Any]]:
    """``max_trials`` distinct points drawn with ``seed`` (all points, shuffled, if the space is smaller)."""
    if max_trials <= 0:
        raise TuneSetupError(problem=f"random search needs tune.max_trials > 0, got {max_trials}")
    dimensions = parse_space(space)
    rng = np.random.default_rng(seed)
    if math.prod(d.size() for d in dimensions) <= max_trials:
        every = grid_points(space) if all(d.discrete for d in dimensions) else _all_integer_points(dimensions)
        return [every[i] for i in rng.permutation(len(every))]
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(max_trials * 1000):
        point = {d.name: d.sample(rng) for d in dimensions}
        key = json.dumps(point, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            points.append(point)
            if len(points) == max_trials:
                break
    return points


def candidate_points(spec: TuneSpecLike, seed: int | None = None) -> list[dict[str, Any]]:
    """The parameter points ``spec`` asks to try (one empty point for strategy ``none``)."""
    strategy = spec.strategy
    if strategy == "none":
        return [{}]
    if strategy == "grid":
        return grid_points(spec.space, spec.max_trials)
    if strategy == "random":
        return random_points(spec.space, spec.max_trials, _seed(spec, seed))
    raise TuneSetupError(problem=f"unknown tune.strategy {strategy!r}; valid strategies: {', '.join(STRATEGIES)}")


def assign_folds(df: DataFrame, folds: int, seed: int, column: str = _FOLD) -> DataFrame:
    """``df`` with an int ``column`` in ``0..folds-1`` from a seeded hash of each row's content."""
    from pyspark.sql import functions as F

    return df.withColumn(column, F.pmod(_row_hash(df, seed), F.lit(folds)).cast("int"))


@dataclass(frozen=True)
class Trial:
    """One point of the search: its parameters, metric (mean over folds), spread, seconds and status."""

    index: int
    params: dict[str, Any]
    metric: float | None
    metric_std: float | None
    seconds: float
    status: str
    error: str | None = None
    fold_metrics: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class TuneProgress:
    """Progress callback payload: ``stage`` is ``started``, ``trial`` (one finished) or ``finished``."""

    stage: str
    done: int
    total: int
    best_metric: float | None
    best_params: dict[str, Any] | None
    elapsed_seconds: float
    trial: Trial | None = None


@dataclass(frozen=True)
class TuneResult:
    """Every trial, in index order, and the best one."""

    trials: list[Trial]
    best_index: int
    best_params: dict[str, Any]
    best_metric: float
    metric: str
    greater_is_better: bool
    strategy: str
    method: str
    fold_rows: list[int]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[dict[str, Any]]:
        """One flat record per trial (params as JSON) for a trials table."""
        return [
            {
                "trial": t.index, "params": json.dumps(t.params, sort_keys=True, default=str),
                "metric_name": self.metric, "metric": t.metric, "metric_std": t.metric_std,
                "seconds": t.seconds, "status": t.status, "error": t.error, "best": t.index == self.best_index,
            }
            for t in self.trials
        ]


def tune(
    build: Callable[[dict[str, Any]], Estimator],
    spec: TuneSpecLike,
    train: DataFrame,
    validation: DataFrame | None,
    *,
    task: str,
    label_col: str,
    metric: str,
    greater_is_better: bool,
    progress: Callable[[TuneProgress], None] | None = None,
    seed: int | None = None,
    features_col: str = "features",
    prediction_col: str = "prediction",
    probability_col: str = "probability",
) -> TuneResult:
    """Try every candidate point of ``spec`` and return all trials and the best.

    ``build(params)`` returns an unfitted estimator (normally the whole prep + model
    ``Pipeline``) for one point. Everything that can be checked is checked before any
    training: the metric exists for ``task`` and its direction matches ``greater_is_better``,
    the space is valid, holdout has a validation split, leave-one-out is within its row limit.
    """
    started = time.perf_counter()
    metric_name = resolve_metric(task, metric)
    if metric_greater_is_better(task, metric_name) != greater_is_better:
        better = "higher" if metric_greater_is_better(task, metric_name) else "lower"
        raise TuneSetupError(
            problem=f"{metric_name} is better when {better}, but greater_is_better={greater_is_better}"
        )
    if spec.method not in METHODS:
        raise TuneSetupError(problem=f"unknown tune.method {spec.method!r}; valid methods: {', '.join(METHODS)}")
    run_seed = _seed(spec, seed)
    points = candidate_points(spec, run_seed)
    if not points:
        raise TuneSetupError(problem="tune.space has no points to try")
    columns = _Columns(label_col, features_col, prediction_col, probability_col)
    plan = _Plan.make(spec, train, validation, task=task, seed=run_seed)
    try:
        if progress:
            progress(TuneProgress("started", 0, len(points), None, None, time.perf_counter() - started))
        trials = _run_trials(build, points, plan, spec.parallelism, task, metric_name, greater_is_better, columns,
                             progress, started)
    finally:
        plan.release()
    best = _best(trials, greater_is_better)
    if best is None:
        first = next(t for t in trials if not t.ok)
        raise AllTrialsFailedError(trials=len(trials), index=first.index, params=_params_text(first.params),
                                   error=first.error or "unknown error")
    result = TuneResult(
        trials=trials, best_index=best.index, best_params=best.params, best_metric=float(best.metric or 0.0),
        metric=metric_name, greater_is_better=greater_is_better, strategy=spec.strategy, method=spec.method,
        fold_rows=plan.fold_rows, seconds=time.perf_counter() - started,
    )
    if progress:
        progress(TuneProgress("finished", len(trials), len(points), result.best_metric, result.best_params,
                              result.seconds))
    return result


def refit_best(
    build: Callable[[dict[str, Any]], Estimator], result: TuneResult, train: DataFrame, validation: DataFrame | None
) -> Model:
    """Fit the best parameters on train + validation (the caller then evaluates once on test)."""
    data = train if validation is None else train.unionByName(validation)
    return build(result.best_params).fit(data)


@dataclass(frozen=True)
class _Columns:
    label: str
    features: str
    prediction: str
    probability: str


@dataclass
class _Plan:
    """The (fit, score) DataFrame pairs of one trial, and what was cached to make them."""

    splits: list[tuple[DataFrame, DataFrame]]
    pooled: bool
    fold_rows: list[int]
    cached: list[DataFrame]

    @classmethod
    def make(cls, spec: TuneSpecLike, train: DataFrame, validation: DataFrame | None, *, task: str,
             seed: int) -> _Plan:
        from pyspark.sql import functions as F

        cached: list[DataFrame] = []
        if spec.method == "holdout":
            if validation is None:
                raise TuneSetupError(problem="tune.method = \"holdout\" needs a validation split; "
                                     "give [split] a validation fraction or use method = \"cv\"")
            fit, score = _cache(train, cached), _cache(validation, cached)
            return cls([(fit, score)], False, [score.count()], cached)
        if spec.method == "loo":
            if task not in ("binary", "multiclass", "regression"):
                raise TuneSetupError(
                    problem=f"leave-one-out applies to supervised tasks, not {task}; use method = \"cv\""
                )
            rows = train.count()
            if rows > LOO_MAX_ROWS:
                raise TooManyRowsError(operation="leave-one-out cross-validation", rows=rows, limit=LOO_MAX_ROWS,
                                       hint="use tune.method = \"cv\" with folds = 10")
            indexed = _cache(_index_rows(train, seed), cached)
            splits = [(indexed.filter(F.col(_FOLD) != i).drop(_FOLD), indexed.filter(F.col(_FOLD) == i).drop(_FOLD))
                      for i in range(rows)]
            return cls(splits, True, [1] * rows, cached)
        folds = int(spec.folds)
        if folds < 2:
            raise TuneSetupError(problem=f"cross-validation needs tune.folds >= 2, got {folds}")
        folded = _cache(assign_folds(train, folds, seed), cached)
        counts = {int(r[_FOLD]): int(r["count"]) for r in folded.groupBy(_FOLD).count().collect()}
        sizes = [counts.get(i, 0) for i in range(folds)]
        if 0 in sizes:
            raise TuneSetupError(problem=f"fold {sizes.index(0)} of {folds} is empty: {sum(sizes)} training rows "
                                 f"are too few for {folds} folds; lower tune.folds")
        splits = [(folded.filter(F.col(_FOLD) != i).drop(_FOLD), folded.filter(F.col(_FOLD) == i).drop(_FOLD))
                  for i in range(folds)]
        return cls(splits, False, sizes, cached)

    def release(self) -> None:
        for df in self.cached:
            df.unpersist()


def _run_trials(
    build: Callable[[dict[str, Any]], Estimator],
    points: list[dict[str, Any]],
    plan: _Plan,
    parallelism: int,
    task: str,
    metric: str,
    greater: bool,
    columns: _Columns,
    progress: Callable[[TuneProgress], None] | None,
    started: float,
) -> list[Trial]:
    trials: list[Trial] = []

    def report(trial: Trial) -> None:
        trials.append(trial)
        if progress:
            best = _best(trials, greater)
            progress(TuneProgress(
                "trial", len(trials), len(points), None if best is None else best.metric,
                None if best is None else best.params, time.perf_counter() - started, trial,
            ))

    def run(index: int) -> Trial:
        return _run_trial(index, points[index], len(points), build, plan, task, metric, columns)

    workers = max(1, int(parallelism or 1))
    if workers == 1:
        for i in range(len(points)):
            report(run(i))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakeforge-tune") as pool:
            pending: set[Future[Trial]] = {pool.submit(run, i) for i in range(len(points))}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        report(future.result())
            finally:
                for future in pending:
                    future.cancel()
    return sorted(trials, key=lambda t: t.index)


def _run_trial(
    index: int,
    params: dict[str, Any],
    total: int,
    build: Callable[[dict[str, Any]], Estimator],
    plan: _Plan,
    task: str,
    metric: str,
    columns: _Columns,
) -> Trial:
    started = time.perf_counter()
    context = plan.splits[0][0].sparkSession.sparkContext
    try:
        fold_metrics: list[float] = []
        pooled: list[dict[str, Any]] = []
        for fold, (fit, score) in enumerate(plan.splits):
            context.setJobDescription(f"lakeforge tune: trial {index + 1}/{total}, split {fold + 1}/{len(plan.splits)}")
            model = build(params).fit(fit)
            predictions = model.transform(score)
            if plan.pooled:
                pooled.append(_collect(predictions, task, columns))
            else:
                fold_metrics.append(_score(model, predictions, score, task, metric, columns).metric(metric))
        if plan.pooled:
            value = _pooled_evaluation(pooled, task).metric(metric)
            fold_metrics = [value]
        if not all(math.isfinite(v) for v in fold_metrics):
            raise ValueError(f"{metric} is not finite on some split: {fold_metrics}")
        std = float(np.std(fold_metrics, ddof=1)) if len(fold_metrics) > 1 else None
        return Trial(index, params, float(np.mean(fold_metrics)), std, time.perf_counter() - started, OK,
                     fold_metrics=fold_metrics)
    except Exception as exc:  # one failing trial is recorded, not fatal
        return Trial(index, params, None, None, time.perf_counter() - started, FAILED, error=_one_line(exc))
    finally:
        context.setJobDescription(None)  # type: ignore[arg-type]


def _score(model: Model, predictions: DataFrame, score: DataFrame, task: str, metric: str,
           columns: _Columns) -> Evaluation:
    if task == "clustering":
        return evaluate_clustering(predictions, columns.features, columns.prediction)
    if task == "topics":
        return evaluate_topics(model, score)
    return evaluate_arrays(task, **_collect(predictions, task, columns))


def _collect(predictions: DataFrame, task: str, columns: _Columns) -> dict[str, Any]:
    return collect_predictions(predictions, task, label_col=columns.label, prediction_col=columns.prediction,
                               probability_col=columns.probability)


def _pooled_evaluation(parts: list[dict[str, Any]], task: str) -> Evaluation:
    """One evaluation of every held-out prediction of leave-one-out, stacked."""
    merged: dict[str, Any] = {}
    for key in parts[0]:
        if key == "score_kind":
            merged[key] = parts[0][key]
        else:
            merged[key] = np.concatenate([p[key] for p in parts])
    return evaluate_arrays(task, **merged)


def _best(trials: Sequence[Trial], greater: bool) -> Trial | None:
    ok = [t for t in trials if t.ok and t.metric is not None]
    if not ok:
        return None
    sign = -1.0 if greater else 1.0
    return min(ok, key=lambda t: (sign * float(t.metric or 0.0), t.index))


def _row_hash(df: DataFrame, seed: int) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType

    hashable = [F.col(f"`{f.name}`") for f in df.schema.fields if not isinstance(f.dataType, MapType)]
    if not hashable:
        raise TuneSetupError(problem="cannot assign folds: the training data has no hashable column")
    return F.xxhash64(F.lit(seed), *hashable)


def _index_rows(df: DataFrame, seed: int) -> DataFrame:
    """``df`` (small) with a ``0..n-1`` position column in seeded-hash order, for leave-one-out."""
    from pyspark.sql.types import IntegerType, StructField, StructType

    key = "_lf_key"
    rows = df.withColumn(key, _row_hash(df, seed)).orderBy(key).drop(key).collect()
    schema = StructType([*df.schema.fields, StructField(_FOLD, IntegerType(), False)])
    return df.sparkSession.createDataFrame([(*row, i) for i, row in enumerate(rows)], schema)


def _cache(df: DataFrame, cached: list[DataFrame]) -> DataFrame:
    """``df`` persisted for the trials (remembered for release unless the caller had cached it)."""
    if not df.is_cached:
        df = df.persist()
        cached.append(df)
    return df


def _all_integer_points(dimensions: list[Dimension]) -> list[dict[str, Any]]:
    axes = [d.grid() if d.discrete else list(range(int(d.low), int(d.high) + 1)) for d in dimensions]
    return [dict(zip((d.name for d in dimensions), combo, strict=True)) for combo in itertools.product(*axes)]


def _list_dimension(name: str, raw: Sequence[Any]) -> Dimension:
    if not raw:
        raise TuneSpaceError(name=name, problem="the list of values is empty")
    keys = [json.dumps(v, sort_keys=True, default=str) for v in raw]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TuneSpaceError(name=name, problem=f"duplicate values {', '.join(duplicates)}")
    return Dimension(name, values=tuple(raw))


def _range_dimension(name: str, raw: Mapping[str, Any]) -> Dimension:
    unknown = sorted(set(raw) - _RANGE_KEYS)
    if unknown:
        raise TuneSpaceError(name=name, problem=f"unknown keys {unknown}; a range has low, high, log, step")
    for key in ("low", "high"):
        if key not in raw:
            raise TuneSpaceError(name=name, problem=f"a range needs {key!r}")
        if not _is_number(raw[key]):
            raise TuneSpaceError(name=name, problem=f"{key} must be a number, got {raw[key]!r}")
    low, high = raw["low"], raw["high"]
    log, step = raw.get("log", False), raw.get("step")
    if not isinstance(log, bool):
        raise TuneSpaceError(name=name, problem=f"log must be true or false, got {log!r}")
    if not low < high:
        raise TuneSpaceError(name=name, problem=f"low must be below high, got low={low}, high={high}")
    if log and low <= 0:
        raise TuneSpaceError(name=name, problem=f"a log range needs low > 0, got {low}")
    if step is not None:
        if log:
            raise TuneSpaceError(name=name, problem="a range takes log or step, not both")
        if not _is_number(step) or step <= 0:
            raise TuneSpaceError(name=name, problem=f"step must be a positive number, got {step!r}")
    integer = all(isinstance(v, int) for v in (low, high) + ((step,) if step is not None else ()))
    return Dimension(name, low=low, high=high, log=log, step=step, integer=integer)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _seed(spec: TuneSpecLike, seed: int | None) -> int:
    if seed is not None:
        return int(seed)
    return int(spec.seed) if spec.seed is not None else 0


def _params_text(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str) if params else "default parameters"


def _one_line(exc: BaseException) -> str:
    """``Type: first meaningful line`` of an exception, at most 300 characters."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not isinstance(exc, LakeforgeError) and lines and lines[0].startswith("An error occurred while calling"):
        lines = [line.lstrip(": ") for line in lines[1:]] or lines
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
