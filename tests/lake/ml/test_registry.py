"""The model registry on a real MLflow SQLite store, with Spark models logged to a local lake."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest

from lake.config import load_settings
from lake.ml.errors import (
    ApprovalTransitionError,
    InvalidAliasError,
    LineageNotFoundError,
    ModelLoggingError,
    UnknownModelAliasError,
    UnknownModelError,
    UnknownModelVersionError,
)
from lake.ml.tracking import (
    ApprovalStatus,
    Lineage,
    ModelRegistry,
    TableVersion,
    TrackedRun,
    Tracker,
    TrackingStore,
    open_tracking,
)
from lake.storage import LocalProfile

LINEAGE = Lineage(
    "ml.heart_features",
    "SELECT v.age, v.bp, l.label FROM silver.vitals v JOIN silver.labels l USING (visit_id)",
    [
        TableVersion("silver.vitals", "s3://lake/silver/vitals", 12),
        TableVersion("silver.labels", "s3://lake/silver/labels", 4),
        TableVersion("raw.events", "s3://lake/raw/events", None, ["year=2026/month=11/day=30"]),
    ],
)


def frame(spark, seed: int = 7):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    rows = []
    for i in range(100):
        a, b = rng.random(), rng.random()
        rows.append((i, a, b, 1.0 if a + 0.3 * rng.random() > b + 0.1 else 0.0))
    return spark.createDataFrame(rows, "id int, a double, b double, label double")


def fit(df):  # type: ignore[no-untyped-def]
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    stages = [VectorAssembler(inputCols=["a", "b"], outputCol="features"), LogisticRegression(maxIter=20)]
    return Pipeline(stages=stages).fit(df)


def register(  # type: ignore[no-untyped-def]
    store: TrackingStore, name: str, model, df, *, auc: float, reg: float, lineage: Lineage | None = LINEAGE
) -> TrackedRun:
    with Tracker(store).start_run(name) as run:
        run.log_params({"model": {"algorithm": "logistic_regression", "reg_param": reg}, "split": {"seed": 7}})
        run.log_metrics({"train": {"roc_auc": auc + 0.02}, "test": {"roc_auc": auc, "f1": auc - 0.1}})
        if lineage is not None:
            run.set_lineage(lineage)
        run.log_spark_model(model, input_example=df.select("a", "b"))
        run.register(description=f"reg {reg}")
    return run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("registry")
    settings = load_settings({"home": str(root / "home")}, project_dir=root)
    return open_tracking(settings, LocalProfile(root / "lakehouse"))


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    df = frame(spark)
    return df, fit(df)


@pytest.fixture(scope="module")
def model(store, data) -> str:  # type: ignore[no-untyped-def]
    """One registered model: versions 1-2 with lineage, 3 without; mutating tests use distinct versions."""
    df, fitted = data
    name = f"heart-{uuid.uuid4().hex[:8]}"
    for number, (auc, reg, lineage) in enumerate([(0.80, 0.1, LINEAGE), (0.85, 0.01, LINEAGE), (0.83, 0.0, None)], 1):
        run = register(store, name, fitted, df, auc=auc, reg=reg, lineage=lineage)
        assert run.version is not None and run.version.version == number
    return name


@pytest.fixture
def registry(store) -> ModelRegistry:  # type: ignore[no-untyped-def]
    return ModelRegistry(store)


def test_show_gives_params_metrics_tags_lineage_approval_and_artifact_uri(registry, store, model) -> None:  # type: ignore[no-untyped-def]
    details = registry.show(f"{model}:2")
    info = details.info
    assert (info.name, info.version, info.description) == (model, 2, "reg 0.01")
    assert info.approval is ApprovalStatus.PENDING and details.approval.history[0].status is ApprovalStatus.PENDING
    assert details.run_status == "FINISHED"
    assert details.params["model.reg_param"] == "0.01" and details.params["split.seed"] == "7"
    assert details.metrics == {"train": {"roc_auc": pytest.approx(0.87)}, "test": {"roc_auc": 0.85, "f1": 0.75}}
    assert details.lineage == LINEAGE
    assert info.tags["lakeforge.lineage.tables"] == "silver.vitals@12,silver.labels@4,raw.events[1 partitions]"
    assert info.artifact_uri.startswith(store.experiment_location(model) + "/models/")
    assert (Path(info.artifact_uri.removeprefix("file://")) / "MLmodel").is_file()
    as_json = details.to_dict()
    assert as_json["approval"]["status"] == "PendingManualApproval" and as_json["lineage"]["tables"][0]["version"] == 12
    assert store.client().get_run(info.run_id).data.tags["lakeforge.version"] == "2"


def test_logged_model_has_signature_and_input_example(registry, model) -> None:  # type: ignore[no-untyped-def]
    from mlflow.models import Model

    root = Path(registry.resolve(f"{model}:1").artifact_uri.removeprefix("file://"))
    mlmodel = Model.load(str(root / "MLmodel"))
    assert mlmodel.signature is not None
    assert [c.name for c in mlmodel.signature.inputs.inputs] == ["a", "b"]
    assert [c.name for c in mlmodel.signature.outputs.inputs] == ["prediction"]
    assert (root / "input_example.json").is_file() and "spark" in mlmodel.flavors
    import pyspark

    assert f"pyspark=={pyspark.__version__}" in (root / "requirements.txt").read_text()


def test_resolve_latest_version_and_alias(registry, model) -> None:  # type: ignore[no-untyped-def]
    assert registry.resolve(model).version == 3
    assert registry.resolve(f"{model}:latest").version == 3
    assert registry.resolve(f"{model}:2").version == 2
    registry.set_alias(model, "resolve_test", 3)
    assert registry.resolve(f"{model}@resolve_test").version == 3


def test_reference_errors_list_what_exists(registry, model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownModelError, match=f"no registered model 'nope'; registered models: .*{model}"):
        registry.resolve("nope")
    with pytest.raises(UnknownModelVersionError, match=f"model '{model}' has no version 9; its versions: 1, 2, 3"):
        registry.resolve(f"{model}:9")
    registry.set_alias(model, "errors_test", 1)
    with pytest.raises(UnknownModelAliasError, match=r"has no alias 'ghost'; its aliases: .*errors_test"):
        registry.resolve(f"{model}@ghost")


def test_approve_reject_and_reapprove_with_who_when_comment(registry, model) -> None:  # type: ignore[no-untyped-def]
    ref = f"{model}:1"
    approved = registry.approve(ref, by="alice", comment="meets the AUC bar")
    assert approved.status is ApprovalStatus.APPROVED and approved.by == "alice" and approved.at
    assert registry.approve(ref, by="bob").history == approved.history  # same status: nothing recorded
    with pytest.raises(ApprovalTransitionError, match="rejection needs a comment"):
        registry.reject(ref, by="bob")
    rejected = registry.reject(ref, by="bob", comment="leaks the label through bp")
    assert rejected.status is ApprovalStatus.REJECTED
    with pytest.raises(ApprovalTransitionError, match="re-approving a rejected version needs a comment"):
        registry.approve(ref, by="alice")
    registry.approve(ref, by="carol", comment="bp column removed upstream, rechecked")
    shown = registry.show(ref)
    assert shown.info.approval is ApprovalStatus.APPROVED and shown.approval.by == "carol"
    assert [(e.status.value, e.by) for e in shown.approval.history] == [
        ("PendingManualApproval", shown.approval.history[0].by),
        ("Approved", "alice"),
        ("Rejected", "bob"),
        ("Approved", "carol"),
    ]
    assert shown.approval.history[2].comment == "leaks the label through bp"


def test_aliases_point_move_and_delete(registry, model) -> None:  # type: ignore[no-untyped-def]
    assert registry.set_alias(model, "champion", 2).version == 2
    assert registry.set_alias(model, "champion", 3).version == 3  # moved, not duplicated
    assert "champion" in registry.resolve(f"{model}:3").aliases
    assert "champion" not in registry.resolve(f"{model}:2").aliases
    summary = next(m for m in registry.list_models() if m.name == model)
    assert summary.aliases["champion"] == 3 and summary.latest_version == 3 and summary.versions == 3
    registry.delete_alias(model, "champion")
    with pytest.raises(UnknownModelAliasError):
        registry.resolve(f"{model}@champion")
    with pytest.raises(UnknownModelAliasError, match="has no alias 'champion'"):
        registry.delete_alias(model, "champion")


def test_bad_aliases_and_missing_versions_are_refused(registry, model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidAliasError, match="reserved"):
        registry.set_alias(model, "v2", 2)
    with pytest.raises(UnknownModelVersionError, match="its versions: 1, 2, 3"):
        registry.set_alias(model, "champion", 12)


def test_compare_puts_metrics_side_by_side(registry, model) -> None:  # type: ignore[no-untyped-def]
    cmp = registry.compare([f"{model}:1", f"{model}:2"])
    assert [v.version for v in cmp.versions] == [1, 2]
    assert cmp.metrics["test_roc_auc"] == (0.80, 0.85)
    assert cmp.metrics["test_f1"] == (pytest.approx(0.70), pytest.approx(0.75))
    assert cmp.params == {"model.reg_param": ("0.1", "0.01")}
    assert cmp.to_dict()["versions"] == [f"{model}:1", f"{model}:2"]


def test_lineage_of_a_version(registry, model) -> None:  # type: ignore[no-untyped-def]
    assert registry.lineage_of(f"{model}:2") == LINEAGE
    with pytest.raises(LineageNotFoundError, match=f"{model}:3 has no lineage record"):
        registry.lineage_of(f"{model}:3")
    assert registry.show(f"{model}:3").lineage is None


def test_load_registered_model_predicts_like_the_original(registry, model, data) -> None:  # type: ignore[no-untyped-def]
    df, fitted = data
    loaded = registry.load_spark_model(f"{model}:2")
    expected = [r.prediction for r in fitted.transform(df).orderBy("id").collect()]
    assert [r.prediction for r in loaded.transform(df).orderBy("id").collect()] == expected


def test_failure_while_registering_leaves_no_version(registry, store, model, data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    df, fitted = data
    client = store.client()
    real_set_tag = client.set_tag

    def broken_set_tag(run_id: str, key: str, value: str, **kw):  # type: ignore[no-untyped-def]
        if key == "lakeforge.version":
            raise ConnectionError("tracking store went away")
        return real_set_tag(run_id, key, value, **kw)

    before = [v.version for v in registry.versions(model)]
    with pytest.raises(ConnectionError), Tracker(store).start_run(model) as run:
        run.log_spark_model(fitted, input_example=df.select("a", "b"))
        monkeypatch.setattr(client, "set_tag", broken_set_tag)
        run.register()
    monkeypatch.undo()
    assert [v.version for v in registry.versions(model)] == before
    assert not client.search_model_versions(f"run_id = '{run.run_id}'")
    got = client.get_run(run.run_id)
    assert got.info.status == "FAILED" and got.data.tags["lakeforge.error"] == "tracking store went away"
    assert run.model is not None and client.get_logged_model(run.model.model_id).status.to_proto() == 3  # FAILED


def test_failure_after_registering_removes_the_version(registry, store, model, data) -> None:  # type: ignore[no-untyped-def]
    df, fitted = data
    before = [v.version for v in registry.versions(model)]
    with pytest.raises(RuntimeError, match="writing ml.runs failed"), Tracker(store).start_run(model) as run:
        run.log_spark_model(fitted, input_example=df.select("a", "b"))
        assert run.register().version > before[-1]
        raise RuntimeError("writing ml.runs failed")
    assert [v.version for v in registry.versions(model)] == before
    assert run.result is not None and run.result.status == "FAILED" and run.result.version is None
    assert "lakeforge.version" not in store.client().get_run(run.run_id).data.tags


def test_a_model_that_cannot_be_logged_fails_the_run_cleanly(registry, store, model, data) -> None:  # type: ignore[no-untyped-def]
    df, fitted = data
    before = [v.version for v in registry.versions(model)]
    empty = df.limit(0).select("a", "b")
    with pytest.raises(ModelLoggingError, match="input example has no rows"), Tracker(store).start_run(model) as run:
        run.log_spark_model(fitted, input_example=empty)
    assert [v.version for v in registry.versions(model)] == before
    assert store.client().get_run(run.run_id).info.status == "FAILED"
    assert store.client().get_run(run.run_id).data.tags["lakeforge.error_type"] == "ModelLoggingError"
