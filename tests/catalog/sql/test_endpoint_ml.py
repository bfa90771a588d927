"""ML.PREDICT on the SQL endpoint: the rewrite, and ``ml_predict`` in a ``newSession()`` (what each JDBC session is)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from catalog.sql.endpoint_ml import rewrite_ml_predict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))

from inference_kit import shared_world


def test_rewrite_turns_bigquery_syntax_into_the_table_function() -> None:
    assert rewrite_ml_predict("SELECT * FROM ML.PREDICT(MODEL ml.heart, TABLE db.t) AS p WHERE s = 'ML.PREDICT('") == (
        "SELECT * FROM ml_predict('ml.heart', TABLE(db.t)) AS p WHERE s = 'ML.PREDICT('")
    sql = "SELECT 1 FROM ml.predict(MODEL ml.heart VERSION 2, (SELECT * FROM db.t WHERE a > 1))"
    assert rewrite_ml_predict(sql) == (
        "SELECT 1 FROM ml_predict('ml.heart:2', TABLE(SELECT * FROM db.t WHERE a > 1))")
    assert rewrite_ml_predict("SELECT ml_col FROM t -- ML.PREDICT(") == "SELECT ml_col FROM t -- ML.PREDICT("
    with pytest.raises(ValueError, match="ML.EVALUATE is not available on the SQL endpoint"):
        rewrite_ml_predict("SELECT * FROM ML.EVALUATE(MODEL ml.heart)")


@pytest.mark.slow
def test_a_new_session_scores_with_ml_predict_and_the_bigquery_syntax(spark, moto_endpoint,
                                                                     tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from catalog.sql.endpoint_ml import install_ml_functions

    world = shared_world(spark, moto_endpoint, tmp_path_factory.getbasetemp() / "inference-world")
    world.registry.set_alias("heart", "champion", 1)
    overrides = {"home": str(world.settings.home), "profile": "moto", "lake": world.profile.lake_uri,
                 "profiles.moto.endpoint_url": moto_endpoint}
    install_ml_functions(spark, overrides)
    view = f"heart_{uuid.uuid4().hex[:6]}"
    world.delta.read(world.profile.resolve("tables/heart_nodrift")).createOrReplaceGlobalTempView(view)
    session = spark._jsparkSession.newSession()  # the Thrift server opens one per JDBC connection
    rows = session.sql(f"SELECT count(*), min(probability), max(probability), min(model_version) FROM "
                       f"ML.PREDICT(MODEL ml.heart, TABLE global_temp.{view})").collectAsList()
    count, low, high, version = (rows[0].get(i) for i in range(4))
    assert count == 1000 and 0.0 <= low <= high <= 1.0 and version == "1"
    direct = session.sql(f"SELECT record_id, prediction FROM ml_predict('ml.heart:1', TABLE(SELECT * FROM "
                         f"global_temp.{view} WHERE age > 60))").collectAsList()
    assert direct and all(r.get(1) in (0.0, 1.0) for r in direct)
    with pytest.raises(Exception, match="ML.ROC_CURVE is not available on the SQL endpoint"):
        session.sql(f"SELECT * FROM ML.ROC_CURVE(MODEL ml.heart, TABLE global_temp.{view})")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ml_predict_through_the_thrift_endpoint_with_pyhive(spark, moto_endpoint, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from pyhive import hive

    from infra.services.process import free_port

    world = shared_world(spark, moto_endpoint, tmp_path_factory.getbasetemp() / "inference-world")
    world.registry.set_alias("heart", "champion", 1)
    port = free_port()
    started = subprocess.run([*world.lake_cli(), "sql-server", "--port", str(port), "--read-only",
                              "--refresh-interval", "0"], env=world.env(), cwd=world.root, capture_output=True,
                             text=True, timeout=400)
    try:
        assert started.returncode == 0, started.stderr
        conn = hive.connect(host="127.0.0.1", port=port, auth="NONE", username="lakeforge-tests")
        try:
            cursor = conn.cursor()
            cursor.execute(f"SELECT count(*), max(model_version) FROM ML.PREDICT(MODEL ml.heart, "
                           f"TABLE {world.nodrift})")
            assert cursor.fetchall() == [(1000, "1")]
            cursor.execute(f"SELECT record_id, probability FROM ML.PREDICT(MODEL `ml.heart@champion`, "
                           f"(SELECT * FROM {world.nodrift} WHERE age > 65)) ORDER BY probability DESC LIMIT 3")
            top = cursor.fetchall()
            assert len(top) == 3 and top[0][1] >= top[-1][1]
        finally:
            conn.close()
    finally:
        subprocess.run([*world.lake_cli(), "sql-server", "stop"], env=world.env(), cwd=world.root,
                       capture_output=True, text=True, timeout=120)
