"""Train one spec end to end, tracked in MLflow: the SageMaker-style lifecycle on Spark MLlib.

The module is ``training`` so that ``lake.ml.train`` (the function, exported lazily) never collides
with a submodule of the same name.

``train(spec, df, lineage, tracker=…)`` runs, inside one MLflow run::

    validate the spec against the data → split (counts recorded) → plan the prep once on train
    → tune ([tune]; early stopping on the validation split for gbt/xgboost) → fit → evaluate
    train/validation/test (binary: decision threshold fixed or chosen on validation) → plots,
    prep report, feature importance → monitoring baseline → log params, metrics, artifacts and
    the fitted PipelineModel (signature + input example) → ONNX export, verified against Spark
    → register a new model version (PendingManualApproval)

Which model each split is scored with: the best parameters are fitted on the training split and
scored on validation (validation metrics and the threshold choice never see their own rows),
then refitted on train + validation; that final model is scored on train and, once, on test and
is the one registered. With early stopping (``tune.early_stopping``, gbt/xgboost) the final
model trains on the training split and stops on the validation split instead of refitting.

A failure at any step ends the run FAILED with a one-line ``lakeforge.error`` tag and registers
nothing (a version created by the run is removed); the error is raised again as a lakeforge
error (:class:`~lake.ml.errors.TrainingError` for errors from Spark, MLflow, …). The library is
catalog-free: it takes the DataFrame and a :class:`~lake.ml.tracking.Lineage` of what it read.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.errors import LakeforgeError
from lake.ml.errors import ThresholdError, TrainingError

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame, SparkSession

    from lake.ml.evaluate import Evaluation
    from lake.ml.prep import PrepPlan, PrepReport
    from lake.ml.prep.label import LabelColumns
    from lake.ml.spec import TrainSpec
    from lake.ml.split import Splits
    from lake.ml.tracking import Lineage, RunResult, TrackedRun, Tracker
    from lake.ml.tune import TuneProgress, TuneResult

__all__ = [
    "EXPORT_ARTIFACT",
    "ONNX_ERROR_TAG",
    "ONNX_STATUS_TAG",
    "SPEC_ARTIFACT",
    "SPLITS",
    "STAGES",
    "TrainOptions",
    "TrainProgress",
    "TrainResult",
    "train",
]

_log = logging.getLogger(__name__)

STAGES = ("validate", "split", "prep", "tune", "fit", "evaluate", "report", "baseline", "log", "export", "register",
          "predictions")
SPLITS = ("train", "validation", "test")
SPEC_ARTIFACT = "spec.json"  # the authority for --reproduce (spec.toml is the same spec for people)
EXPORT_ARTIFACT = "onnx_export.json"
ONNX_STATUS_TAG = "lakeforge.onnx.status"  # exported | failed | skipped
ONNX_ERROR_TAG = "lakeforge.onnx.error"
TASK_TAG = "lakeforge.task"
ALGORITHM_TAG = "lakeforge.algorithm"
THRESHOLD_TAG = "lakeforge.threshold"
_XGBOOST_REQUIREMENT = "xgboost-cpu==3.2.0"


@dataclass(frozen=True)
class TrainProgress:
    """What the terminal shows: the stage, trials done/total and the best metric so far, elapsed seconds."""

    stage: str
    elapsed: float
    message: str = ""
    done: int | None = None
    total: int | None = None
    best: float | None = None
    metric: str | None = None


@dataclass(frozen=True)
class TrainOptions:
    """How a run is recorded (experiment, run name, extra tags), exported and where predictions go.

    ``on_predictions(run_id, version, df)`` receives the test split's predictions (``id, label,
    prediction, probability``, see :mod:`lake.ml.predictions`) inside the run, right after the
    version is registered (a failure there fails the run and removes the version). ``dfs_tmpdir``
    is where Spark writes the model before MLflow uploads it (default: a local temporary directory).
    """

    experiment: str | None = None
    run_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    export_onnx: bool = True
    dfs_tmpdir: str | None = None
    on_predictions: Callable[[str, int, DataFrame], None] | None = None


@dataclass
class TrainResult:
    """How a training run ended; :meth:`to_dict` is what ``lake train --json`` prints."""

    run_id: str
    model: str
    version: int | None
    status: str
    metrics: dict[str, dict[str, float]]
    artifact_uri: str
    seconds: float
    started_at: datetime
    ended_at: datetime
    task: str
    algorithm: str
    error: str | None = None
    error_type: str | None = None
    model_uri: str | None = None
    threshold: float | None = None
    threshold_method: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)
    trials: list[dict[str, Any]] = field(default_factory=list)
    tune_metric: str | None = None
    lineage: Lineage | None = None
    export: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str | None:
        return f"{self.model}:{self.version}" if self.version is not None else None

    def to_dict(self) -> dict[str, Any]:
        """``run_id, model, version, status, metrics ({split: {metric: value}}), artifact_uri, seconds, error``."""
        return {
            "run_id": self.run_id,
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "metrics": {s: {k: v for k, v in self.metrics[s].items() if math.isfinite(v)}
                        for s in SPLITS if s in self.metrics},
            "artifact_uri": self.artifact_uri,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


def train(
    spec: TrainSpec,
    df: DataFrame,
    lineage: Lineage,
    *,
    tracker: Tracker,
    spark: SparkSession | None = None,
    options: TrainOptions | None = None,
    progress: Callable[[TrainProgress], None] | None = None,
    on_end: Callable[[TrainResult], None] | None = None,
) -> TrainResult:
    """Train ``spec`` on ``df`` (which read ``lineage``) in one tracked run; see the module doc.

    ``on_end(result)`` is called once the run has ended, FINISHED or FAILED (on failure before
    the error is raised again; an error inside it is then logged, not raised).
    """
    options = options or TrainOptions()
    clock = _Clock(progress, spark or df.sparkSession, spec.name)
    started_at = datetime.now(UTC)
    tags = {TASK_TAG: spec.task, ALGORITHM_TAG: spec.model.algorithm, **options.tags}
    run = tracker.start_run(spec.name, experiment=options.experiment, run_name=options.run_name, tags=tags)
    work = _Training(spec, df, lineage, run, options, clock)
    try:
        try:
            ended = work.execute()
        except BaseException as exc:
            error = _as_lakeforge(exc, spec.name, clock.current)
            if run.status == "RUNNING":
                run.fail(error, killed=isinstance(exc, KeyboardInterrupt))
            assert run.result is not None
            result = work.result(run.result, started_at, error_type=type(error).__name__)
            if on_end is not None:
                try:
                    on_end(result)
                except Exception as secondary:  # the training error is the one to report
                    _log.error("run %s: recording the failed run failed too: %s", run.run_id, secondary)
            if error is exc:
                raise
            raise error from exc
    finally:
        work.release()
        clock.done()
    result = work.result(ended, started_at)
    if on_end is not None:
        on_end(result)
    return result


def _as_lakeforge(exc: BaseException, model: str, stage: str) -> BaseException:
    if isinstance(exc, LakeforgeError) or not isinstance(exc, Exception):
        return exc
    return TrainingError(model=model, stage=stage, reason=_one_line(exc))


def _one_line(exc: BaseException) -> str:
    """``Type: first meaningful line`` (Py4J's "An error occurred while calling …" skipped), ≤ 400 characters."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("An error occurred while calling"):
        lines = [line.lstrip(": ") for line in lines[1:]] or lines
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


class _Clock:
    """Stage changes for the progress callback and Spark's job descriptions."""

    def __init__(self, progress: Callable[[TrainProgress], None] | None, spark: SparkSession, name: str) -> None:
        self.progress = progress
        self.spark = spark
        self.name = name
        self.started = time.perf_counter()
        self.current = "start"
        self.metric: str | None = None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def stage(self, name: str, message: str = "") -> None:
        self.current = name
        self.spark.sparkContext.setJobDescription(f"lakeforge train {self.name}: {name}")
        if self.progress is not None:
            self.progress(TrainProgress(name, self.elapsed, message))

    def tune(self, event: TuneProgress) -> None:
        if self.progress is not None:
            self.progress(TrainProgress("tune", self.elapsed, event.stage, event.done, event.total,
                                        event.best_metric, self.metric))

    def done(self) -> None:
        self.spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]


@dataclass
class _Scored:
    """One split scored by a model: the model's output and the evaluation."""

    predicted: DataFrame
    evaluation: Evaluation | None


class _Training:
    """The steps of one run (state shared between them, released at the end)."""

    def __init__(self, spec: TrainSpec, df: DataFrame, lineage: Lineage, run: TrackedRun, options: TrainOptions,
                 clock: _Clock) -> None:
        from lake.ml.algorithms import get_algorithm

        self.spec = spec
        self.df = df
        self.lineage = lineage
        self.run = run
        self.options = options
        self.clock = clock
        self.algorithm = get_algorithm(spec.model.algorithm)
        self.splits: Splits | None = None
        self.metrics: dict[str, dict[str, float]] = {}
        self.threshold: float | None = None
        self.threshold_method: str | None = None
        self.params: dict[str, Any] = {}
        self.trials: list[dict[str, Any]] = []
        self.tune_metric: str | None = None
        self.export: dict[str, Any] = {}
        self.notes: list[str] = []
        self.cached: list[DataFrame] = []

    # -- the run -------------------------------------------------------------------------------

    def execute(self) -> RunResult:
        from lake.ml.prep import plan_prep
        from lake.ml.prep.label import label_columns
        from lake.ml.spec import validate_against
        from lake.ml.spec.toml_text import spec_toml
        from lake.ml.split import split

        spec, run, clock = self.spec, self.run, self.clock
        clock.stage("validate", "checking the spec against the data")
        run.log_params(spec.to_dict())
        run.log_text(spec_toml(spec), "spec.toml")
        run.log_dict(spec.to_dict(), SPEC_ARTIFACT)
        run.set_lineage(self.lineage)
        check = validate_against(spec, self.df)

        clock.stage("split", f"{check.rows:,} rows")
        splits = self.splits = split(self.df, spec.split, spec.task, spec.label, id_col=spec.id, cache=True)
        run.log_params({"data": {"rows": check.rows}, "split": {"method": splits.method, "rows": splits.rows}})
        run.log_dict(splits.counts, "splits.json")

        clock.stage("prep", "planning the prep on the training split")
        plan = plan_prep(spec, splits.train)
        columns = label_columns(spec.label, plan.label)
        early = bool(spec.tune.early_stopping and self.algorithm.early_stopping and splits.validation is not None)
        tuning = self._tune(plan, columns, early) if spec.tune.strategy != "none" else None

        clock.stage("fit", "fitting the model" + (" with the best parameters" if tuning else ""))
        model, selection, report = self._fit(plan, early)

        completed = report.complete(model)
        clock.stage("evaluate", "scoring train, validation and test")
        scored = self._evaluate(model, selection, columns, plan, completed)

        clock.stage("report", "prep report, plots and feature importance")
        self._log_report(completed, model, scored, tuning)

        clock.stage("baseline", "monitoring baseline statistics and constraints")
        inputs = self._inputs(plan)
        self._log_baseline(scored["train"].predicted, inputs)

        clock.stage("log", "metrics and the fitted pipeline")
        run.log_metrics({s: {k: v for k, v in m.items() if math.isfinite(v)} for s, m in self.metrics.items()})
        extra = [_XGBOOST_REQUIREMENT] if spec.model.algorithm == "xgboost" else []
        example = splits.test.select(*[f"`{c}`" for c in inputs])
        run.log_spark_model(model, input_example=example, extra_pip_requirements=extra,
                            dfs_tmpdir=self.options.dfs_tmpdir)

        clock.stage("export", "ONNX export and verification")
        self._export(model, example)

        clock.stage("register", f"registering a new version of {spec.name}")
        version = run.register(description=f"{spec.task} {spec.model.algorithm} trained on {self.lineage.source}",
                               tags=self._version_tags())
        if self.options.on_predictions is not None:
            clock.stage("predictions", "writing the test split's predictions")
            self._write_predictions(scored["test"], plan, version.version)
        return run.finish()

    # -- steps ---------------------------------------------------------------------------------

    def _tune(self, plan: PrepPlan, columns: LabelColumns, early: bool) -> TuneResult:
        from lake.ml.metrics import greater_is_better
        from lake.ml.prep import PROBABILITY, build_pipeline, with_validation_indicator
        from lake.ml.tune import tune

        spec, splits = self.spec, self.splits
        assert splits is not None and spec.tune.metric is not None
        self.clock.metric = self.tune_metric = spec.tune.metric
        self.clock.stage("tune", f"{spec.tune.strategy} search, {spec.tune.method}, metric {spec.tune.metric}")
        fit_on = splits.train
        if early and spec.tune.method == "holdout" and splits.validation is not None:
            fit_on = with_validation_indicator(splits.train, splits.validation)

        def build(params: dict[str, Any]) -> Any:
            return build_pipeline(spec, splits.train, params, plan=plan)[0]

        result = tune(build, spec.tune, fit_on, splits.validation, task=spec.task,
                      label_col=columns.label or "label", metric=spec.tune.metric,
                      greater_is_better=greater_is_better(spec.task, spec.tune.metric), progress=self.clock.tune,
                      seed=spec.tune.seed, prediction_col=columns.prediction, probability_col=PROBABILITY)
        self.params = dict(result.best_params)
        self.trials = result.rows()
        self.run.log_params({"best": self.params})
        self.run.log_dict({**{k: v for k, v in result.to_dict().items() if k != "trials"}, "trials": self.trials},
                          "tuning/trials.json")
        return result

    def _fit(self, plan: PrepPlan, early: bool) -> tuple[PipelineModel, PipelineModel | None, PrepReport]:
        """The final model, the model that scores validation (None without a validation split), the report."""
        from lake.ml.prep import build_pipeline, with_validation_indicator

        splits = self.splits
        assert splits is not None
        pipeline, report = build_pipeline(self.spec, splits.train, self.params, plan=plan)
        self.run.log_params({"fitted": {k: v for k, v in report.params.items() if k not in self.params}})
        if splits.validation is None:
            model = pipeline.fit(splits.train)
            return model, None, report
        if early:
            model = pipeline.fit(with_validation_indicator(splits.train, splits.validation))
            self.notes.append("early stopping: the model trained on the training split and stopped on the "
                              "validation split (no refit on train + validation)")
            return model, model, report
        selection = pipeline.fit(splits.train)
        self.clock.stage("fit", "refitting on train + validation")
        model = pipeline.fit(splits.train.unionByName(splits.validation))
        return model, selection, report

    def _evaluate(self, model: PipelineModel, selection: PipelineModel | None, columns: LabelColumns,
                  plan: PrepPlan, report: PrepReport) -> dict[str, _Scored]:
        splits = self.splits
        assert splits is not None
        task = self.spec.task
        classes = [str(c) for c in plan.label.classes] if plan.label else None
        scored: dict[str, _Scored] = {}
        validation = validation_arrays = None
        if selection is not None and splits.validation is not None:
            validation = self._cache(selection.transform(splits.validation))
            validation_arrays = self._arrays(validation, columns)
        self.threshold, self.threshold_method = self._threshold(validation_arrays)
        if selection is not None and validation is not None and splits.validation is not None:
            scored["validation"] = _Scored(validation, self._score(validation, validation_arrays, selection,
                                                                   splits.validation, classes))
        for name, frame in (("train", splits.train), ("test", splits.test)):
            predicted = self._cache(model.transform(frame))
            scored[name] = _Scored(predicted, self._score(predicted, self._arrays(predicted, columns), model, frame,
                                                          classes))
        if task == "reduction":
            variance = report.model.get("explained_total")
            self.metrics = {"train": {"explained_variance": float(variance)}} if variance is not None else {}
            return scored
        evaluations = {s: scored[s].evaluation for s in SPLITS if s in scored}
        self.metrics = {s: dict(e.metrics) for s, e in evaluations.items() if e is not None}
        test = scored["test"].evaluation
        if task == "binary" and test is not None and test.threshold is not None:
            self.threshold = test.threshold
        if self.threshold is not None:
            self.run.log_params({"threshold": self.threshold, "threshold_method": self.threshold_method})
        return scored

    def _arrays(self, predicted: DataFrame, columns: LabelColumns) -> dict[str, Any] | None:
        from lake.ml.evaluate import collect_predictions
        from lake.ml.prep import PROBABILITY, RAW_PREDICTION

        if self.spec.task not in ("binary", "multiclass", "regression"):
            return None
        assert columns.label is not None
        return collect_predictions(predicted, self.spec.task, label_col=columns.label,
                                   prediction_col=columns.prediction, probability_col=PROBABILITY,
                                   raw_prediction_col=RAW_PREDICTION)

    def _score(self, predicted: DataFrame, arrays: dict[str, Any] | None, model: PipelineModel,
               frame: DataFrame, classes: list[str] | None) -> Evaluation | None:
        from lake.ml.evaluate import evaluate_arrays, evaluate_clustering, evaluate_topics
        from lake.ml.prep import FEATURES, PREDICTION

        task = self.spec.task
        if arrays is not None:
            threshold = self.threshold if task == "binary" else None
            return evaluate_arrays(task, threshold=threshold, classes=classes, **arrays)
        if task == "clustering":
            return evaluate_clustering(predicted, FEATURES, PREDICTION, centers=_centers(model))
        if task == "topics":
            return evaluate_topics(model, frame)
        return None

    def _threshold(self, validation: dict[str, Any] | None) -> tuple[float | None, str | None]:
        """The binary decision threshold: chosen on validation (f1, youden), fixed, or the model's own."""
        from lake.ml.threshold import choose_threshold

        spec = self.spec
        if spec.task != "binary":
            return None, None
        choice = spec.evaluate.threshold
        if isinstance(choice, str):
            if validation is None or "scores" not in validation:
                raise ThresholdError(problem=f"{spec.model.algorithm} gives no probability or margin on the "
                                     f"validation split to choose a {choice} threshold on")
            return choose_threshold(validation["labels"], validation["scores"], choice), choice
        if choice is not None:
            return float(choice), "fixed"
        own = spec.model.params.get("threshold")
        return (float(own) if own is not None else None), "fixed"

    def _log_report(self, report: PrepReport, model: PipelineModel, scored: dict[str, _Scored],
                    tuning: TuneResult | None) -> None:
        from lake.ml.importance import model_importance
        from lake.ml.plots import plots_for

        run = self.run
        run.log_dict(report.to_dict(), "prep_report.json")
        for name, part in scored.items():
            if part.evaluation is not None:
                run.log_dict(part.evaluation.to_dict(), f"evaluation/{name}.json")
        importance = model_importance(model, report.feature_names)
        if importance is not None:
            run.log_dict(importance.to_dict(), "feature_importance.json")
        test = scored["test"].evaluation
        auto = report.model.get("k_auto") or {}
        elbow = {int(k): {"silhouette": float(v)} for k, v in (auto.get("silhouette") or {}).items()
                 if v is not None} or None
        if test is None and tuning is None and importance is None:
            return
        with tempfile.TemporaryDirectory(prefix="lakeforge-plots-") as tmp:
            from lake.ml.evaluate import Evaluation

            written = plots_for(
                test if test is not None else Evaluation(task=self.spec.task, metrics={}, rows=0), tmp,
                importance=(importance.names, importance.values) if importance else None,
                importance_kind=importance.kind if importance else "importance", tuning=tuning, elbow=elbow,
            )
            if written:
                run.log_artifact(tmp, "plots")
        self.notes += report.notes

    def _inputs(self, plan: PrepPlan) -> list[str]:
        """The request columns of the model: the kept features (the text column for topics)."""
        if self.spec.task == "topics":
            assert self.spec.text is not None
            return [self.spec.text]
        return list(plan.kept)

    def _log_baseline(self, predicted: DataFrame, inputs: list[str]) -> None:
        from lake.ml.monitor import BASELINE_ARTIFACT_PATH, build_baseline
        from lake.ml.monitor.profile import family_of
        from lake.ml.prep import PREDICTION

        types = {f.name: f.dataType for f in predicted.schema.fields}
        features = [c for c in inputs if family_of(types[c]) is not None]
        if not features:
            self.notes.append("no monitoring baseline: no feature has a type the monitor reads")
            return
        label = self.spec.label if self.spec.label and family_of(types[self.spec.label]) else None
        prediction = PREDICTION if PREDICTION in types and family_of(types[PREDICTION]) else None
        task = self.spec.task if self.spec.task in ("binary", "multiclass", "regression") else None
        baseline = build_baseline(predicted, features, label=label, prediction=prediction, task=task,
                                  training_metrics=self.metrics.get("test"))
        with tempfile.TemporaryDirectory(prefix="lakeforge-baseline-") as tmp:
            baseline.to_files(tmp)
            self.run.log_artifact(tmp, BASELINE_ARTIFACT_PATH)

    def _write_predictions(self, test: _Scored, plan: PrepPlan, version: int) -> None:
        from lake.ml.predictions import prediction_rows

        assert self.options.on_predictions is not None
        rows = prediction_rows(test.predicted, self.spec.task, id_col=self.spec.id, label_col=self.spec.label,
                               classes=list(plan.label.classes) if plan.label else None, threshold=self.threshold)
        if rows is not None:
            self.options.on_predictions(self.run.run_id, version, rows)

    def _export(self, model: PipelineModel, example: DataFrame) -> None:
        """Export to ONNX and verify on the test split; a failure is recorded, never fatal."""
        from lake.ml.serving.registry import ONNX_ARTIFACT_PATH

        if not self.options.export_onnx:
            self.export = {"status": "skipped", "error": "export disabled for this run"}
        else:
            try:
                from lake.ml.export import export_onnx, verify_export

                exported = export_onnx(model, example.sparkSession, example, name=self.spec.name)
                verification = verify_export(exported, model, example)
                with tempfile.TemporaryDirectory(prefix="lakeforge-onnx-") as tmp:
                    exported.save(tmp)
                    self.run.log_artifact(tmp, ONNX_ARTIFACT_PATH)
                self.export = {"status": "exported", "opset": exported.opset, "stages": list(exported.stages),
                               "verification": verification.to_dict()}
            except Exception as exc:  # the model still trains and registers; `lake serve` says why it cannot
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                if not isinstance(exc, LakeforgeError):
                    reason = _one_line(exc)
                self.export = {"status": "failed", "error": reason[:1000], "error_type": type(exc).__name__}
                self.notes.append(f"ONNX export failed: {reason[:300]}")
        self.run.log_dict(self.export, EXPORT_ARTIFACT)
        tags = {ONNX_STATUS_TAG: self.export["status"]}
        if self.export.get("error"):
            tags[ONNX_ERROR_TAG] = self.export["error"]
        self.run.set_tags(tags)

    def _version_tags(self) -> dict[str, str]:
        tags = {TASK_TAG: self.spec.task, ALGORITHM_TAG: self.spec.model.algorithm,
                ONNX_STATUS_TAG: str(self.export.get("status", "skipped"))}
        if self.export.get("error"):
            tags[ONNX_ERROR_TAG] = str(self.export["error"])
        if self.threshold is not None:
            tags[THRESHOLD_TAG] = repr(self.threshold)
        return tags

    # -- bookkeeping ---------------------------------------------------------------------------

    def _cache(self, df: DataFrame) -> DataFrame:
        cached = df.persist()
        self.cached.append(cached)
        return cached

    def release(self) -> None:
        for df in self.cached:
            df.unpersist()
        self.cached.clear()
        if self.splits is not None:
            self.splits.unpersist()

    def result(self, ended: RunResult, started_at: datetime, *, error_type: str | None = None) -> TrainResult:
        return TrainResult(
            run_id=ended.run_id,
            model=ended.model,
            version=ended.version,
            status=ended.status,
            metrics={s: dict(m) for s, m in self.metrics.items()},
            artifact_uri=ended.artifact_uri,
            seconds=ended.seconds,
            started_at=started_at,
            ended_at=datetime.now(UTC),
            task=self.spec.task,
            algorithm=self.spec.model.algorithm,
            error=ended.error,
            error_type=error_type,
            model_uri=ended.model_uri,
            threshold=self.threshold,
            threshold_method=self.threshold_method,
            params=dict(self.params),
            splits=self.splits.counts if self.splits is not None else {},
            trials=list(self.trials),
            tune_metric=self.tune_metric,
            lineage=self.lineage,
            export=dict(self.export),
            notes=list(self.notes),
        )


def _centers(model: PipelineModel) -> list[list[float]] | None:
    """k-means / bisecting k-means centers (the SSE is measured against them)."""
    from lake.ml.export.stages import flatten_stages

    last: Any = flatten_stages(model)[-1]
    if type(last).__name__ in ("KMeansModel", "BisectingKMeansModel"):
        return [[float(v) for v in c] for c in last.clusterCenters()]
    return None

