"""BigQuery ML in ``lake sql`` on real Spark, the moto server and MLflow: both dialects.

CREATE [OR REPLACE] MODEL trains through the training orchestrator; ML.PREDICT over a table and
a subquery; ML.EVALUATE (recorded and on data), ML.CONFUSION_MATRIX, ML.ROC_CURVE; version and
alias syntax; SHOW MODELS; DROP MODEL; clear errors for unknown options and refused model types.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))

from inference_kit import World, shared_world

pytestmark = pytest.mark.slow


@pytest.fixture
def world(spark, moto_endpoint, tmp_path_factory, monkeypatch) -> World:  # type: ignore[no-untyped-def]
    built = shared_world(spark, moto_endpoint, tmp_path_factory.getbasetemp() / "inference-world")
    for key, value in built.env().items():
        monkeypatch.setenv(key, value)
    return built


def _engine(world: World, spark, dialect: str):  # type: ignore[no-untyped-def]
    from catalog.sql import SqlEngine

    return SqlEngine(spark, world.store, world.profile, dialect=dialect, save_results=False, record_history=False,
                     delta=world.delta)


@pytest.mark.parametrize("dialect", ["spark", "athena"])
def test_ml_predict_over_a_table_and_a_subquery(world, spark, dialect) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(world, spark, dialect)
    rows = engine.query(f"SELECT record_id, prediction, probability, model_version FROM ML.PREDICT(MODEL ml.heart, "
                        f"TABLE {world.nodrift}) WHERE probability > 0.5")
    assert rows and all(r["probability"] > 0.5 and r["model_version"] == "1" for r in rows)
    counted = engine.query(f"SELECT count(*) AS n, max(age) AS oldest FROM ML.PREDICT(MODEL ml.heart VERSION 1, "
                           f"(SELECT * FROM {world.nodrift} WHERE age >= 60)) AS p")
    assert counted[0]["n"] > 0 and counted[0]["oldest"] >= 60


def test_alias_syntax_evaluate_confusion_matrix_and_roc(world, spark) -> None:  # type: ignore[no-untyped-def]
    world.registry.set_alias("heart", "champion", 1)
    engine = _engine(world, spark, "spark")
    by_alias = engine.query(f"SELECT DISTINCT model_version FROM ML.PREDICT(MODEL `ml.heart@champion`, "
                            f"TABLE {world.nodrift})")
    assert by_alias == [{"model_version": "1"}]
    recorded = engine.query("SELECT * FROM ML.EVALUATE(MODEL ml.heart ALIAS champion)")
    assert 0.5 < recorded[0]["roc_auc"] <= 1.0
    measured = engine.query(f"SELECT rows, roc_auc, accuracy FROM ML.EVALUATE(MODEL ml.heart, TABLE {world.nodrift})")
    assert measured[0]["rows"] == 1000 and 0.5 < measured[0]["roc_auc"] <= 1.0
    matrix = engine.query(f"SELECT * FROM ML.CONFUSION_MATRIX(MODEL ml.heart, TABLE {world.nodrift})")
    assert [r["expected_label"] for r in matrix] == ["0", "1"]
    assert sum(v for r in matrix for k, v in r.items() if k != "expected_label") == 1000
    roc = engine.query(f"SELECT * FROM ML.ROC_CURVE(MODEL ml.heart, TABLE {world.nodrift}) ORDER BY threshold DESC")
    recalls = [r["recall"] for r in roc]
    assert recalls == sorted(recalls) and recalls[-1] == 1.0
    assert all(r["true_positives"] + r["false_negatives"] == roc[0]["true_positives"] + roc[0]["false_negatives"]
               for r in roc)


def test_create_replace_show_and_drop_model(world, spark) -> None:  # type: ignore[no-untyped-def]
    from catalog.sql.errors import SqlError

    name = f"sqlheart_{uuid.uuid4().hex[:6]}"
    athena = _engine(world, spark, "athena")
    create = (f"CREATE MODEL ml.{name} OPTIONS (model_type='logistic_reg', input_label_cols=['heart_disease'], "
              f"max_iterations=20, l2_reg=0.01) AS SELECT age, resting_bp, cholesterol, max_heart_rate, heart_disease "
              f"FROM {world.train} WHERE age IS NOT NULL")
    created = athena.query(create)
    assert created[0]["model"] == f"ml.{name}" and created[0]["version"] == 1 and created[0]["task"] == "binary"
    with pytest.raises(SqlError, match="already exists; CREATE OR REPLACE MODEL"):
        athena.query(create)
    replaced = athena.query(create.replace("CREATE MODEL", "CREATE OR REPLACE MODEL"))
    assert replaced[0]["version"] == 2
    spark_engine = _engine(world, spark, "spark")
    predicted = spark_engine.query(f"SELECT DISTINCT model_version FROM ML.PREDICT(MODEL ml.{name}, "
                                   f"TABLE {world.nodrift})")
    assert predicted == [{"model_version": "2"}]  # no champion alias: the latest version
    shown = {r["model"]: r for r in spark_engine.query("SHOW MODELS")}
    assert shown[f"ml.{name}"]["versions"] == 2 and "ml.heart" in shown
    dropped = spark_engine.query(f"DROP MODEL ml.{name}")
    assert dropped[0]["versions_dropped"] == 2
    assert f"ml.{name}" not in {r["model"] for r in spark_engine.query("SHOW MODELS")}
    spark_engine.execute(f"DROP MODEL IF EXISTS ml.{name}")


def test_unknown_options_and_refused_model_types_are_one_line_errors(world, spark) -> None:  # type: ignore[no-untyped-def]
    from catalog.sql.errors import SqlError, UnsupportedSqlError

    engine = _engine(world, spark, "spark")
    base = f"AS SELECT age, heart_disease FROM {world.train}"
    with pytest.raises(SqlError, match=r"unknown option\(s\) colour; valid options: auto_class_weights, .*model_type"):
        engine.query(f"CREATE MODEL ml.x OPTIONS (model_type='logistic_reg', colour='red') {base}")
    with pytest.raises(SqlError, match="matrix_factorization' is not supported: .*ALS.*; supported: boosted_tree"):
        engine.query(f"CREATE MODEL ml.x OPTIONS (model_type='matrix_factorization') {base}")
    with pytest.raises(SqlError, match="needs input_label_cols"):
        engine.query(f"CREATE MODEL ml.x OPTIONS (model_type='linear_reg') {base}")
    with pytest.raises(UnsupportedSqlError, match="models live in the 'ml' namespace"):
        engine.query(f"SELECT * FROM ML.PREDICT(MODEL gold.heart, TABLE {world.nodrift})")
    with pytest.raises(UnsupportedSqlError, match="ML.FORECAST"):
        engine.query(f"SELECT * FROM ML.FORECAST(MODEL ml.heart, TABLE {world.nodrift})")
