"""What an algorithm is: tasks it serves, its hyperparameter table, capabilities, and a builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.ml.algorithms.kinds import Kind
from lake.ml.errors import SpecError

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = [
    "CLASSIFICATION",
    "SUPERVISED",
    "TASKS",
    "Algorithm",
    "BuildContext",
    "HyperParam",
]

TASKS = ("binary", "multiclass", "regression", "clustering", "topics", "reduction")
CLASSIFICATION = frozenset({"binary", "multiclass"})
SUPERVISED = CLASSIFICATION | {"regression"}


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter: the user's ``name``, the estimator's ``target`` param (None: lakeforge's own)."""

    name: str
    target: str | None
    kind: Kind
    doc: str
    tasks: frozenset[str] | None = None


@dataclass
class BuildContext:
    """Everything a builder needs: the task, checked hyperparameters (user names) and the column names."""

    task: str
    params: Mapping[str, Any]
    features_col: str
    label_col: str | None
    prediction_col: str = "prediction"
    probability_col: str = "probability"
    raw_prediction_col: str = "rawPrediction"
    weight_col: str | None = None
    validation_col: str | None = None
    early_stopping_rounds: int | None = None
    num_classes: int | None = None
    seed: int = 42
    task_slots: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Algorithm:
    """A named algorithm: which tasks, which hyperparameters, what it supports, how to build it."""

    name: str
    summary: str
    tasks: frozenset[str]
    params: tuple[HyperParam, ...]
    build: Callable[[BuildContext], Estimator]
    weights: bool = False
    probability: bool = False
    raw_prediction: bool = False
    handles_missing: bool = False
    early_stopping: bool = False
    notes: str = ""

    def valid_params(self, task: str) -> tuple[str, ...]:
        """The hyperparameter names that apply to ``task``, sorted."""
        return tuple(sorted({p.name for p in self.params if p.tasks is None or task in p.tasks}))

    def param(self, name: str, task: str) -> HyperParam | None:
        for p in self.params:
            if p.name == name and (p.tasks is None or task in p.tasks):
                return p
        return None

    def check_params(self, params: Mapping[str, Any], task: str, prefix: str = "model") -> dict[str, Any]:
        """``params`` checked and converted; unknown names and values raise :class:`SpecError` naming the key."""
        checked: dict[str, Any] = {}
        targets: dict[str, str] = {}
        for name, value in params.items():
            key = f"{prefix}.{name}"
            hp = self.param(name, task)
            if hp is None:
                other = any(p.name == name for p in self.params)
                reason = (f"{self.name} takes {name!r} only for tasks "
                          f"{', '.join(sorted(set().union(*(p.tasks or () for p in self.params if p.name == name))))}"
                          if other else f"unknown hyperparameter of {self.name}")
                raise SpecError(key=key, reason=reason, valid=self.valid_params(task), got=name)
            checked[name] = hp.kind.check(key, value)
            if hp.target is not None:
                if hp.target in targets:
                    raise SpecError(key=key, reason=f"{name!r} and {targets[hp.target]!r} set the same parameter; "
                                    "give only one")
                targets[hp.target] = name
        return checked

    def target_kwargs(self, ctx: BuildContext, *, rename: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The estimator keyword arguments of ``ctx.params`` (plus the run seed when the spec set none)."""
        kwargs: dict[str, Any] = {}
        for name, value in ctx.params.items():
            hp = self.param(name, ctx.task)
            if hp is not None and hp.target is not None:
                kwargs[hp.target] = value
        seed = self.param("seed", ctx.task)
        if seed is not None and seed.target is not None and seed.target not in kwargs:
            kwargs[seed.target] = ctx.seed
        for key, convert in (rename or {}).items():
            if key in kwargs:
                kwargs[key] = convert(kwargs[key])
        return kwargs


def spark_columns(ctx: BuildContext, *, probability: bool = False, raw: bool = False,
                  weight: bool = True) -> dict[str, Any]:
    """MLlib's column params (camelCase) for a supervised estimator."""
    cols: dict[str, Any] = {"featuresCol": ctx.features_col, "predictionCol": ctx.prediction_col}
    if ctx.label_col is not None:
        cols["labelCol"] = ctx.label_col
    if probability:
        cols["probabilityCol"] = ctx.probability_col
    if raw:
        cols["rawPredictionCol"] = ctx.raw_prediction_col
    if weight and ctx.weight_col:
        cols["weightCol"] = ctx.weight_col
    return cols
