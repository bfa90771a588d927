"""Parse and validate a training spec before any Spark work; every error names its key path."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lake.ml.algorithms import CLASSIFICATION, SUPERVISED, TASKS, Algorithm, algorithms_for, get_algorithm
from lake.ml.algorithms.bayes import NONNEGATIVE_MODEL_TYPES
from lake.ml.algorithms.kinds import Bool, Choice, Float, Int, Kind
from lake.ml.errors import SpecError
from lake.ml.spec.model import EvaluateSpec, ModelSpec, PrepSpec, SplitSpec, TrainSpec, TuneSpec

__all__ = [
    "DEFAULT_METRICS",
    "IMPUTE_STRATEGIES",
    "STOP_WORD_LANGUAGES",
    "TOP_LEVEL_KEYS",
    "apply_overrides",
    "load_spec",
    "parse_spec",
]

TOP_LEVEL_KEYS = ("name", "source", "sql", "source_version", "task", "label", "id", "features", "exclude", "text",
                  "prep", "split", "model", "tune", "evaluate")
PREP_KEYS = ("impute", "impute_columns", "encode", "scale", "pca", "drop_low_variance", "drop_low_correlation",
             "max_missing", "balance", "vocab_size", "min_df", "stop_words", "min_token_length")
SPLIT_KEYS = ("train", "validation", "test", "seed", "stratify", "by")
EVALUATE_KEYS = ("threshold",)
THRESHOLD_METHODS = ("f1", "youden")
TUNE_KEYS = ("strategy", "space", "method", "folds", "metric", "max_trials", "parallelism", "early_stopping", "seed")
IMPUTE_STRATEGIES = ("mean", "median", "mode", "drop_rows", "none")
STOP_WORD_LANGUAGES = ("danish", "dutch", "english", "finnish", "french", "german", "hungarian", "italian",
                       "norwegian", "portuguese", "russian", "spanish", "swedish", "turkish")
DEFAULT_METRICS = {"binary": "roc_auc", "multiclass": "f1_weighted", "regression": "rmse",
                   "clustering": "silhouette", "topics": "log_perplexity"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
_FRACTION = Float(0.0, 1.0)


def load_spec(path: str | Path, overrides: Sequence[str] = ()) -> TrainSpec:
    """Read a TOML spec, apply ``key=value`` overrides (``model.max_depth=5``), parse and validate it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(key=str(path), reason="no such spec file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(key=str(path), reason=f"not valid TOML ({exc})") from None
    return parse_spec(apply_overrides(data, overrides))


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A deep copy of ``data`` with each ``key.path=value`` set; values are TOML literals, else strings."""
    out = _deep_copy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SpecError(key=item, reason="an override must look like key=value (e.g. model.max_depth=5)")
        parts = key.split(".")
        table = out
        for depth, part in enumerate(parts[:-1]):
            node = table.setdefault(part, {})
            if not isinstance(node, dict):
                raise SpecError(key=".".join(parts[: depth + 1]), reason="is a value, not a table; cannot set "
                                f"{key}")
            table = node
        table[parts[-1]] = _literal(raw.strip())
    return out


def parse_spec(data: Mapping[str, Any]) -> TrainSpec:
    """The validated :class:`TrainSpec` of ``data``."""
    if not isinstance(data, Mapping):
        raise SpecError(key="(spec)", reason=f"expected a table, got {type(data).__name__}")
    _check_keys(data, TOP_LEVEL_KEYS, "")
    name = _string(data, "name", required=True)
    if not _NAME.match(name):
        raise SpecError(key="name", reason=f"{name!r} is not a valid model name: use letters, digits, '_', '-' "
                        "and '.', starting with a letter or digit (at most 200 characters)")
    task = Choice(TASKS).check("task", _require(data, "task"))
    source, sql = _string(data, "source"), _string(data, "sql")
    if (source is None) == (sql is None):
        raise SpecError(key="source", reason="give exactly one of source (a catalog table or view) and sql",
                        valid=("source", "sql"))
    version = data.get("source_version")
    if version is not None:
        version = Int(0).check("source_version", version)
        if source is None:
            raise SpecError(key="source_version", reason="Delta time travel applies to a table source, not sql")
    label, id_col, text = _string(data, "label"), _string(data, "id"), _string(data, "text")
    if task in SUPERVISED and label is None:
        raise SpecError(key="label", reason=f"task {task} needs a label column")
    if task == "topics" and text is None:
        raise SpecError(key="text", reason="task topics needs the text column to model")
    if task != "topics" and text is not None:
        raise SpecError(key="text", reason=f"text is the document column of task topics, not {task}; "
                        "list a text column in features to one-hot encode it")
    features = _names(data, "features")
    exclude = _names(data, "exclude")
    for role, column in (("label", label), ("id", id_col), ("text", text)):
        if column is not None and column in features:
            raise SpecError(key="features", reason=f"{column!r} is the {role} column and cannot be a feature")
    both = sorted(set(features) & set(exclude))
    if both:
        raise SpecError(key="exclude", reason=f"{', '.join(both)} listed in both features and exclude")
    if label is not None and label == id_col:
        raise SpecError(key="id", reason=f"{id_col!r} is also the label column")

    model_table = _table(data, "model", required=True)
    algorithm = get_algorithm(_require(model_table, "algorithm", "model.algorithm"))
    if task not in algorithm.tasks:
        raise SpecError(key="model.algorithm", reason=f"{algorithm.name} does not serve task {task}"
                        + (f" ({algorithm.notes})" if algorithm.notes else ""), valid=algorithms_for(task))
    params = algorithm.check_params({k: v for k, v in model_table.items() if k != "algorithm"}, task)
    _check_model_rules(algorithm, params)
    model = ModelSpec(algorithm.name, params)

    split = _parse_split(_table(data, "split"), task)
    prep = _parse_prep(_table(data, "prep"), task, algorithm, params)
    tune = _parse_tune(_table(data, "tune"), task, algorithm, split)
    evaluate = _parse_evaluate(_table(data, "evaluate"), task, split)
    return TrainSpec(name=name, task=task, model=model, source=source, sql=sql, source_version=version,
                     label=label, id=id_col, features=features, exclude=exclude, text=text, prep=prep, split=split,
                     tune=tune, evaluate=evaluate)


def _parse_evaluate(table: Mapping[str, Any], task: str, split: SplitSpec) -> EvaluateSpec:
    _check_keys(table, EVALUATE_KEYS, "evaluate")
    threshold = table.get("threshold")
    if threshold is None:
        return EvaluateSpec()
    if task != "binary":
        raise SpecError(key="evaluate.threshold", reason=f"a decision threshold applies to task binary, not {task}")
    if isinstance(threshold, str):
        method = Choice(("fixed", *THRESHOLD_METHODS)).check("evaluate.threshold", threshold)
        if method == "fixed":
            return EvaluateSpec()
        if split.validation <= 0:
            raise SpecError(key="evaluate.threshold", reason=f"{method} chooses the threshold on the validation "
                            "split; set split.validation above 0 or give a number")
        return EvaluateSpec(threshold=method)
    return EvaluateSpec(threshold=Float().check("evaluate.threshold", threshold))


def _parse_prep(table: Mapping[str, Any], task: str, algorithm: Algorithm, params: Mapping[str, Any]) -> PrepSpec:
    _check_keys(table, PREP_KEYS, "prep")
    get = _getter(table, "prep")
    impute = get("impute", Choice(IMPUTE_STRATEGIES), "mean")
    overrides = table.get("impute_columns", {})
    if not isinstance(overrides, Mapping):
        raise SpecError(key="prep.impute_columns", reason="expected a table of column = strategy")
    impute_columns = {str(c): Choice(IMPUTE_STRATEGIES).check(f"prep.impute_columns.{c}", s)
                      for c, s in overrides.items()}
    scale = get("scale", Choice(("standard", "minmax", "robust", "none")), "none")
    pca = table.get("pca")
    if pca is not None:
        if isinstance(pca, bool) or not isinstance(pca, int | float):
            raise SpecError(key="prep.pca", reason=f"expected a component count (integer >= 1) or an explained-"
                            f"variance fraction (number in (0, 1)), got {pca!r}")
        pca = Int(1).check("prep.pca", pca) if isinstance(pca, int) else Float(0.0, 1.0, True, True).check(
            "prep.pca", pca)
    balance = get("balance", Choice(("none", "class_weight", "oversample", "undersample")), "none")
    if balance != "none" and task not in CLASSIFICATION:
        raise SpecError(key="prep.balance", reason=f"class balancing applies to classification, not {task}")
    if balance == "class_weight" and not algorithm.weights:
        with_weights = tuple(a for a in algorithms_for(task) if get_algorithm(a).weights)
        raise SpecError(key="prep.balance", reason=f"{algorithm.name} takes no class weights; use oversample or "
                        f"undersample, or one of the algorithms that do", valid=with_weights)
    correlation = get("drop_low_correlation", _FRACTION, None)
    if correlation is not None and task not in SUPERVISED:
        raise SpecError(key="prep.drop_low_correlation", reason=f"needs a label; task {task} has none")
    nonnegative = algorithm.name == "naive_bayes" and params.get("model_type", "multinomial") in NONNEGATIVE_MODEL_TYPES
    if nonnegative and (scale in ("standard", "robust") or pca is not None):
        step = f"scale = {scale!r}" if scale in ("standard", "robust") else "pca"
        raise SpecError(key="prep.scale" if pca is None else "prep.pca",
                        reason=f"naive_bayes ({params.get('model_type', 'multinomial')}) needs non-negative "
                        f"features and {step} makes negative ones; use scale = \"minmax\" or \"none\" "
                        "(min-max is then applied automatically), or model_type = \"gaussian\"")
    stop_words = table.get("stop_words", "english")
    if isinstance(stop_words, list):
        stop_words = tuple(_string_list(stop_words, "prep.stop_words"))
    else:
        stop_words = Choice((*STOP_WORD_LANGUAGES, "none")).check("prep.stop_words", stop_words)
    return PrepSpec(
        impute=impute,
        impute_columns=impute_columns,
        encode=get("encode", Choice(("onehot", "index")), "onehot"),
        scale=scale,
        pca=pca,
        drop_low_variance=get("drop_low_variance", Float(0.0), None),
        drop_low_correlation=correlation,
        max_missing=get("max_missing", _FRACTION, None),
        balance=balance,
        vocab_size=get("vocab_size", Int(1), 10_000),
        min_df=get("min_df", Float(0.0), 1.0),
        stop_words=stop_words,
        min_token_length=get("min_token_length", Int(1), 2),
    )


def _parse_split(table: Mapping[str, Any], task: str) -> SplitSpec:
    _check_keys(table, SPLIT_KEYS, "split")
    get = _getter(table, "split")
    given = [k for k in ("train", "validation", "test") if k in table]
    defaults = SplitSpec()
    fractions = {k: get(k, _FRACTION, getattr(defaults, k) if not given else 0.0)
                 for k in ("train", "validation", "test")}
    if fractions["train"] <= 0:
        raise SpecError(key="split.train", reason="the training fraction must be above 0")
    if fractions["test"] <= 0:
        raise SpecError(key="split.test", reason="the test fraction must be above 0 (the final evaluation "
                        "runs on it)")
    total = sum(fractions.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise SpecError(key="split", reason=f"train + validation + test must be 1, got "
                        f"{fractions['train']:g} + {fractions['validation']:g} + {fractions['test']:g} = {total:g}")
    stratify = get("stratify", Bool(), None)
    by = get("by", _Str(), None)
    if stratify and task not in CLASSIFICATION:
        raise SpecError(key="split.stratify", reason=f"stratifying needs class labels; task {task} has none")
    if stratify and by is not None:
        raise SpecError(key="split.stratify", reason="a time split (by) cannot also be stratified")
    return SplitSpec(train=fractions["train"], validation=fractions["validation"], test=fractions["test"],
                     seed=get("seed", Int(), 42), stratify=stratify, by=by)


def _parse_tune(table: Mapping[str, Any], task: str, algorithm: Algorithm, split: SplitSpec) -> TuneSpec:
    _check_keys(table, TUNE_KEYS, "tune")
    get = _getter(table, "tune")
    strategy = get("strategy", Choice(("none", "grid", "random")), "none")
    space = table.get("space", {})
    if not isinstance(space, Mapping):
        raise SpecError(key="tune.space", reason="expected a table of hyperparameter = list or range")
    if strategy != "none" and not space:
        raise SpecError(key="tune.space", reason=f"strategy {strategy} needs a space to search")
    if strategy != "none" and task == "reduction":
        raise SpecError(key="tune.strategy", reason="task reduction (pca) has no metric to tune on")
    checked_space = _check_space(space, task, algorithm)
    default_method = "holdout" if split.validation > 0 else "cv"
    method = get("method", Choice(("cv", "holdout", "loo")), default_method)
    if method == "holdout" and split.validation <= 0 and strategy != "none":
        raise SpecError(key="tune.method", reason="holdout needs a validation split; set split.validation or "
                        "use method = \"cv\"")
    if method == "loo" and task not in SUPERVISED:
        raise SpecError(key="tune.method", reason=f"leave-one-out applies to supervised tasks, not {task}")
    metric = table.get("metric")
    if task == "reduction":
        if metric is not None:
            raise SpecError(key="tune.metric", reason="task reduction (pca) has no tuning metric")
    else:
        metric = _check_metric(task, metric if metric is not None else DEFAULT_METRICS[task])
    early = get("early_stopping", Int(1), None)
    if early is not None:
        if not algorithm.early_stopping:
            raise SpecError(key="tune.early_stopping", reason=f"{algorithm.name} has no early stopping",
                            valid=tuple(a for a in algorithms_for(task) if get_algorithm(a).early_stopping))
        if split.validation <= 0:
            raise SpecError(key="tune.early_stopping", reason="early stopping watches the validation split; "
                            "set split.validation above 0")
    return TuneSpec(strategy=strategy, space=checked_space, method=method, folds=get("folds", Int(2), 3),
                    metric=metric, max_trials=get("max_trials", Int(0), 20),
                    parallelism=get("parallelism", Int(1), 1), early_stopping=early,
                    seed=get("seed", Int(), split.seed))


def _check_space(space: Mapping[str, Any], task: str, algorithm: Algorithm) -> dict[str, Any]:
    from lake.ml.errors import TuneSpaceError
    from lake.ml.tune import parse_space

    checked: dict[str, Any] = {}
    for name, raw in space.items():
        key = f"tune.space.{name}"
        hp = algorithm.param(name, task)
        if hp is None:
            raise SpecError(key=key, reason=f"unknown hyperparameter of {algorithm.name}",
                            valid=algorithm.valid_params(task), got=name)
        if isinstance(raw, list):
            checked[name] = [hp.kind.check(key, v) for v in raw]
        elif isinstance(raw, Mapping):
            for end in ("low", "high"):
                if end in raw:
                    hp.kind.check(f"{key}.{end}", raw[end])
            checked[name] = dict(raw)
        else:
            checked[name] = raw
    try:
        parse_space(checked)
    except TuneSpaceError as exc:
        raise SpecError(key=f"tune.space.{exc.name}", reason=exc.problem) from None
    return checked


def _check_metric(task: str, metric: Any) -> str:
    from lake.ml.errors import UnknownMetricError
    from lake.ml.metrics import METRICS, resolve_metric

    if not isinstance(metric, str):
        raise SpecError(key="tune.metric", reason=f"expected a metric name, got {metric!r}", valid=METRICS[task])
    try:
        return resolve_metric(task, metric)
    except UnknownMetricError:
        raise SpecError(key="tune.metric", reason=f"unknown metric {metric!r} for task {task}", valid=METRICS[task],
                        got=metric) from None


def _check_model_rules(algorithm: Algorithm, params: Mapping[str, Any]) -> None:
    if algorithm.name == "pca" and "k" in params and "variance" in params:
        raise SpecError(key="model.variance", reason="give k (components) or variance (fraction), not both")
    if "k_min" in params or "k_max" in params:
        low, high = params.get("k_min", 2), params.get("k_max", max(8, params.get("k_min", 2)))
        if low > high:
            raise SpecError(key="model.k_min", reason=f"k_min ({low}) is above k_max ({high})")
        if params.get("k", "auto") != "auto":
            raise SpecError(key="model.k_min" if "k_min" in params else "model.k_max",
                            reason='k_min/k_max bound the search of k = "auto"; set k = "auto" or drop them')


class _Str:
    """A non-empty string."""

    def check(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise SpecError(key=key, reason=f"expected a non-empty string, got {value!r}")
        return value

    def describe(self) -> str:
        return "string"


def _getter(table: Mapping[str, Any], prefix: str) -> Any:
    def get(key: str, kind: Kind, default: Any) -> Any:
        if key not in table:
            return default
        return kind.check(f"{prefix}.{key}", table[key])

    return get


def _check_keys(table: Mapping[str, Any], valid: Sequence[str], prefix: str) -> None:
    for key in table:
        if key not in valid:
            path = f"{prefix}.{key}" if prefix else str(key)
            raise SpecError(key=path, reason="unknown key", valid=tuple(valid), got=str(key))


def _require(table: Mapping[str, Any], key: str, path: str | None = None) -> Any:
    if key not in table:
        raise SpecError(key=path or key, reason="is required")
    return table[key]


def _string(table: Mapping[str, Any], key: str, *, required: bool = False) -> Any:
    if key not in table:
        if required:
            raise SpecError(key=key, reason="is required")
        return None
    return _Str().check(key, table[key])


def _names(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_string_list(table.get(key, []), key))


def _string_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SpecError(key=key, reason=f"expected a list of column names, got {value!r}")
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        raise SpecError(key=key, reason=f"{', '.join(duplicates)} listed twice")
    return list(value)


def _table(data: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    if key not in data:
        if required:
            raise SpecError(key=f"[{key}]", reason="section is required")
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        raise SpecError(key=key, reason=f"expected a [{key}] table, got {value!r}")
    return value


def _literal(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else (list(v) if isinstance(v, list) else v)
            for k, v in data.items()}
