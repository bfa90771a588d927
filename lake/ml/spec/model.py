"""The training spec as frozen dataclasses (parsed and validated by :mod:`lake.ml.spec.parse`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from lake.ml.algorithms import CLASSIFICATION, SUPERVISED

__all__ = ["EvaluateSpec", "ModelSpec", "PrepSpec", "SplitSpec", "TrainSpec", "TuneSpec"]


@dataclass(frozen=True)
class PrepSpec:
    """``[prep]``: imputation, encoding, scaling, PCA, feature dropping, class balance, text vectorising."""

    impute: str = "mean"
    impute_columns: Mapping[str, str] = field(default_factory=dict)
    encode: str = "onehot"
    scale: str = "none"
    pca: int | float | None = None
    drop_low_variance: float | None = None
    drop_low_correlation: float | None = None
    max_missing: float | None = None
    balance: str = "none"
    vocab_size: int = 10_000
    min_df: float = 1.0
    stop_words: str | tuple[str, ...] = "english"
    min_token_length: int = 2

    def strategy_for(self, column: str) -> str:
        """The imputation strategy of ``column`` (its override, else the default)."""
        return self.impute_columns.get(column, self.impute)


@dataclass(frozen=True)
class SplitSpec:
    """``[split]``: train/validation/test fractions, seed, stratification, or a time column (``by``)."""

    train: float = 0.7
    validation: float = 0.15
    test: float = 0.15
    seed: int = 42
    stratify: bool | None = None
    by: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """``[model]``: the algorithm and its hyperparameters (user names, checked and converted)."""

    algorithm: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TuneSpec:
    """``[tune]``: search strategy and space, validation method, metric, trials, early stopping."""

    strategy: str = "none"
    space: Mapping[str, Any] = field(default_factory=dict)
    method: str = "holdout"
    folds: int = 3
    metric: str | None = None
    max_trials: int = 20
    parallelism: int = 1
    early_stopping: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class EvaluateSpec:
    """``[evaluate]``: the binary decision threshold — a number (fixed), ``"f1"`` or ``"youden"``.

    ``None`` is the model's own threshold (``model.threshold``, else 0.5 on probabilities and 0
    on margins). ``"f1"``/``"youden"`` are chosen on the validation split (``score >= threshold``).
    """

    threshold: float | str | None = None


@dataclass(frozen=True)
class TrainSpec:
    """A whole training spec: what to read, the task and columns, and the four sections."""

    name: str
    task: str
    model: ModelSpec
    source: str | None = None
    sql: str | None = None
    source_version: int | None = None
    label: str | None = None
    id: str | None = None
    features: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    text: str | None = None
    prep: PrepSpec = field(default_factory=PrepSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    tune: TuneSpec = field(default_factory=TuneSpec)
    evaluate: EvaluateSpec = field(default_factory=EvaluateSpec)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TrainSpec:
        """Parse and validate a spec table (as read from TOML); errors are :class:`~lake.ml.errors.SpecError`."""
        from lake.ml.spec.parse import parse_spec

        return parse_spec(data)

    @property
    def is_classification(self) -> bool:
        return self.task in CLASSIFICATION

    @property
    def is_supervised(self) -> bool:
        return self.task in SUPERVISED

    def excluded_columns(self) -> set[str]:
        """Columns never used as features: the label, the id, the text column and ``exclude``."""
        return {c for c in (self.label, self.id, self.text) if c} | set(self.exclude)

    def to_dict(self) -> dict[str, Any]:
        """The spec as a TOML-shaped table (model params flattened into ``model``), for logging."""
        out: dict[str, Any] = {"name": self.name, "task": self.task}
        for key in ("source", "sql", "source_version", "label", "id", "text"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["features"] = list(self.features)
        out["exclude"] = list(self.exclude)
        out["prep"] = {k: (dict(v) if isinstance(v, Mapping) else list(v) if isinstance(v, tuple) else v)
                       for k, v in asdict(self.prep).items() if v is not None}
        out["split"] = {k: v for k, v in asdict(self.split).items() if v is not None}
        out["model"] = {"algorithm": self.model.algorithm, **dict(self.model.params)}
        out["tune"] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(self.tune).items()
                       if v is not None}
        if self.evaluate.threshold is not None:
            out["evaluate"] = {"threshold": self.evaluate.threshold}
        return out
