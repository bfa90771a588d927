"""A small inference world shared by the inference tests (imported as ``inference_kit``).

One moto lake with an embedded catalog and an MLflow store under a fresh home, three Delta
tables cut from one run of the heart simulator with ``drift_after`` (a training window, a
no-drift window, a drifted window where ``spo2`` appears and a quarter of the cholesterol
values are unreadable, i.e. null once typed), a ground-truth table, a view, and model
``heart`` version 1 trained on the training window with its ONNX export and monitor baseline
logged like the training orchestrator does (artifacts ``onnx/`` and ``monitor_baseline/``).
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

REPO = Path(__file__).resolve().parents[3]
TEST_BUCKET = "lakeforge-tests"
LABEL = "heart_disease"
NUMERIC = ["age", "resting_bp", "cholesterol", "max_heart_rate", "st_depression"]
CATEGORICAL = ["chest_pain_type"]
DRIFT_AFTER = 3000
_STRINGS = ("record_id", "patient_id", "visit_id", "event_time", "clinic_id", "device_id", "sex",
            "chest_pain_type", "resting_ecg", "st_slope", "thal")
_INTS = ("age", "resting_bp", "cholesterol", "max_heart_rate", "num_major_vessels", LABEL)


def heart_records(count: int = 4400, drift_after: int = DRIFT_AFTER) -> list[dict[str, Any]]:
    """Records of one simulator run (the simulator's own emitter, no Kinesis)."""
    from lake.stream.simulator import SimulatorConfig, iter_emissions

    config = SimulatorConfig(generator="heart", records=count, seed=20261201, rate=0, drift_after=drift_after,
                             start_time=datetime(2026, 12, 1, tzinfo=UTC))
    rows = []
    for emission in iter_emissions(config):
        assert emission.truth is not None
        rows.append(dict(emission.truth["record"]))
    return rows


def heart_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Records typed as bronze types them: unreadable numeric strings become null."""
    fields = [pa.field(n, pa.string()) for n in _STRINGS] + [pa.field(n, pa.int64()) for n in _INTS]
    fields += [pa.field(n, pa.bool_()) for n in ("fasting_blood_sugar", "exercise_angina")]
    fields.append(pa.field("st_depression", pa.float64()))
    if any("spo2" in r for r in rows):
        fields.append(pa.field("spo2", pa.int64()))
    out = []
    for row in rows:
        item = dict(row)
        for name in _INTS:
            if isinstance(item.get(name), str):
                item[name] = None
        out.append(item)
    return pa.Table.from_pylist(out, schema=pa.schema(fields))


@dataclass
class World:
    """Everything a test needs: settings (home, moto lake), profile, catalog, registry, names."""

    root: Path
    settings: Any
    profile: Any
    store: Any
    registry: Any
    delta: Any
    db: str
    endpoint: str

    @property
    def train(self) -> str:
        return f"{self.db}.heart_train"

    @property
    def nodrift(self) -> str:
        return f"{self.db}.heart_nodrift"

    @property
    def drift(self) -> str:
        return f"{self.db}.heart_drift"

    @property
    def truth(self) -> str:
        return f"{self.db}.heart_truth"

    @property
    def view(self) -> str:
        return f"{self.db}.heart_recent"

    def env(self) -> dict[str, str]:
        """Environment for a ``lake`` subprocess that sees this world."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEFORGE_")}
        env.update({
            "LAKEFORGE_CONFIG": "", "LAKEFORGE_HOME": str(self.settings.home),
            "LAKEFORGE_PROJECT_DIR": str(self.root), "LAKEFORGE_PROFILE": "moto",
            "LAKEFORGE_LAKE": self.profile.lake_uri, "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": self.endpoint,
            "LAKEFORGE_JARS_DIR": str(REPO / ".lakeforge" / "jars"), "PYTHONUNBUFFERED": "1",
        })
        return env

    def lake_cli(self) -> list[str]:
        return [str(Path(sys.executable).with_name("lake"))]


_BUILT: dict[int, World] = {}


def shared_world(spark: Any, moto_endpoint: str, root: Path) -> World:
    """One world per test session (test files of several folders share it)."""
    key = id(spark)
    if key not in _BUILT:
        root.mkdir(parents=True, exist_ok=True)
        _BUILT[key] = build_world(spark, moto_endpoint, root)
    return _BUILT[key]


def build_world(spark: Any, moto_endpoint: str, root: Path) -> World:
    """Write the tables, register them and the view, train and register ``heart`` v1 (ONNX + baseline)."""
    from catalog.delta import register_delta_table
    from catalog.sql import SqlEngine
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.delta import DeltaTableStore
    from lake.ml.tracking import ModelRegistry, open_tracking
    from lake.storage import get_profile

    lake_uri = f"s3://{TEST_BUCKET}/inference-{uuid.uuid4().hex[:10]}"
    settings = load_settings({"home": str(root / "home"), "profile": "moto", "lake": lake_uri,
                              "profiles.moto.endpoint_url": moto_endpoint}, project_dir=root)
    profile = get_profile(settings)
    store = get_catalog(settings, profile)
    delta = DeltaTableStore(spark, profile)
    db = f"inf_{uuid.uuid4().hex[:8]}"
    rows = heart_records()
    windows = {"heart_train": rows[:2000], "heart_nodrift": rows[2000:DRIFT_AFTER], "heart_drift": rows[DRIFT_AFTER:]}
    for name, part in windows.items():
        df = spark.createDataFrame(heart_table(part).to_pandas())
        delta.write(df, f"tables/{name}", mode="overwrite")
        register_delta_table(store, db, name, profile.resolve(f"tables/{name}"), profile)
    truth = spark.createDataFrame([(r["record_id"], int(r[LABEL])) for r in rows[2000:]],
                                  f"record_id string, {LABEL} long")
    delta.write(truth, "tables/heart_truth", mode="overwrite")
    register_delta_table(store, db, "heart_truth", profile.resolve("tables/heart_truth"), profile)
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False, delta=delta)
    engine.execute(f"CREATE VIEW {db}.heart_recent AS SELECT * FROM {db}.heart_nodrift WHERE age >= 40")
    tracking = open_tracking(settings, profile)
    registry = ModelRegistry(tracking)
    train_model(spark, tracking, delta.read(profile.resolve("tables/heart_train")), root / "artifacts", "heart")
    return World(root, settings, profile, store, registry, delta, db, moto_endpoint)


def heart_pipeline(reg_param: float = 0.01) -> Any:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import Imputer, OneHotEncoder, StringIndexer, VectorAssembler

    imputed = [f"{c}_imp" for c in NUMERIC]
    return Pipeline(stages=[
        Imputer(inputCols=NUMERIC, outputCols=imputed, strategy="mean"),
        StringIndexer(inputCol="chest_pain_type", outputCol="cp_index", handleInvalid="keep"),
        OneHotEncoder(inputCols=["cp_index"], outputCols=["cp_vector"]),
        VectorAssembler(inputCols=[*imputed, "cp_vector"], outputCol="features"),
        LogisticRegression(featuresCol="features", labelCol=LABEL, maxIter=30, regParam=reg_param),
    ])


def train_model(spark: Any, tracking: Any, train: Any, scratch: Path, name: str, *, reg_param: float = 0.01,
                onnx: bool = True) -> int:
    """Fit, log the Spark model, the ONNX export and the monitor baseline, register; returns the version."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.sql import functions as F

    from lake.ml.export import export_onnx
    from lake.ml.monitor import BASELINE_ARTIFACT_PATH, build_baseline
    from lake.ml.tracking import Tracker

    data = train.withColumn(LABEL, F.col(LABEL).cast("double"))
    model = heart_pipeline(reg_param).fit(data)
    auc = BinaryClassificationEvaluator(labelCol=LABEL).evaluate(model.transform(data))
    features = [*NUMERIC, *CATEGORICAL]
    scratch.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    with Tracker(tracking).start_run(name) as run:
        run.log_spark_model(model, input_example=train.select(*features))
        run.log_metrics({"test": {"roc_auc": auc}})
        if onnx:
            run.log_artifact(export_onnx(model, spark, train.select(*features)).save(scratch / f"onnx-{tag}"), "onnx")
        baseline = build_baseline(train, features, label=LABEL, task="binary",
                                  training_metrics={"roc_auc": auc})
        baseline.to_files(scratch / f"baseline-{tag}")
        run.log_artifact(scratch / f"baseline-{tag}", BASELINE_ARTIFACT_PATH)
        registered = run.register()
    return int(registered.version)
