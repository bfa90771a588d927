"""Batch predict over the catalog on real Spark and the moto server: lineage, idempotency, the CLI and the job."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from catalog.inference import InputResolutionError, OutputTableError, PredictOptions, run_batch_predict

pytestmark = pytest.mark.slow


def _predict(world, spark, output: str, **kwargs):  # type: ignore[no-untyped-def]
    source = kwargs.pop("input_name", world.view)
    return run_batch_predict(spark, world.store, world.profile, world.registry, "heart", source, output,
                             PredictOptions(**kwargs), delta=world.delta)


def _rows(world, name: str) -> list[dict]:  # type: ignore[type-arg]
    table = world.store.get_table(*name.split("."))
    return [r.asDict() for r in world.delta.read(table.location).collect()]


def test_a_view_is_scored_with_lineage_and_a_rerun_adds_nothing(world, spark) -> None:  # type: ignore[no-untyped-def]
    output = f"{world.db}.scores_view"
    first = _predict(world, spark, output, where="resting_bp > 110", keep=["record_id", "prediction", "probability",
                                                                          "model_name", "model_version", "scored_at"])
    assert first.committed and first.rows > 0 and first.version == 1
    read = {s["table"]: s.get("version") for s in first.sources}
    assert read == {world.view: None, world.nodrift: 0}
    rows = _rows(world, output)
    assert len(rows) == first.rows
    assert all(0.0 <= r["probability"] <= 1.0 and r["prediction"] in (0.0, 1.0) for r in rows)
    assert {r["model_name"] for r in rows} == {"heart"} and {r["model_version"] for r in rows} == {"1"}
    assert list(rows[0]) == ["record_id", "prediction", "probability", "model_name", "model_version", "scored_at"]
    table = world.store.get_table(*output.split("."))
    lineage = json.loads(table.parameters["lakeforge.lineage"])
    assert lineage["model"] == "heart" and lineage["version"] == 1
    assert {s["table"]: s.get("version") for s in lineage["sources"]}[world.nodrift] == 0
    assert table.table_type == "MANAGED_TABLE"

    again = _predict(world, spark, output, where="resting_bp > 110", keep=["record_id", "prediction", "probability",
                                                                          "model_name", "model_version", "scored_at"])
    assert not again.committed and again.app_id == first.app_id
    assert len(_rows(world, output)) == first.rows  # nothing added
    other = _predict(world, spark, output, where="resting_bp <= 110", keep=["record_id", "prediction", "probability",
                                                                           "model_name", "model_version", "scored_at"])
    assert other.committed and other.app_id != first.app_id
    assert len(_rows(world, output)) == first.rows + other.rows


def test_overwrite_is_idempotent_and_join_on_id_keeps_only_the_id(world, spark) -> None:  # type: ignore[no-untyped-def]
    output = f"{world.db}.scores_by_id"
    first = _predict(world, spark, output, input_name=world.drift, mode="overwrite", join="id", id_col="record_id")
    rows = _rows(world, output)
    assert first.committed and len(rows) == first.rows == 1400
    assert set(rows[0]) == {"record_id", "prediction", "probability", "model_name", "model_version", "scored_at"}
    again = _predict(world, spark, output, input_name=world.drift, mode="overwrite", join="id", id_col="record_id")
    assert not again.committed and again.table_version == first.table_version


def test_bad_inputs_and_outputs_are_one_line_errors(world, spark) -> None:  # type: ignore[no-untyped-def]
    from lake.ml.errors import BatchTransformError

    with pytest.raises(InputResolutionError, match="must be one boolean expression"):
        _predict(world, spark, f"{world.db}.x", where="age > (SELECT 1)")
    with pytest.raises(OutputTableError, match="it is a view"):
        _predict(world, spark, world.view)
    with pytest.raises(OutputTableError, match="also read by the input"):
        _predict(world, spark, world.nodrift, input_name=world.nodrift)
    with pytest.raises(BatchTransformError, match=r"the model reads \['age', .*input filter"):
        _predict(world, spark, f"{world.db}.x", input_columns=["record_id", "resting_bp"])
    with pytest.raises(BatchTransformError, match="output filter .* names \\['nope'\\]"):
        _predict(world, spark, f"{world.db}.x", keep=["nope"])


def test_lake_predict_cli_and_the_job(world, spark, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util
    import sys
    from pathlib import Path

    from infra.cli.main import app

    output = f"{world.db}.scores_cli"
    args = ["predict", "heart:1", "--input", world.nodrift, "--output", output, "--where", "age > 50", "--json"]
    result = CliRunner().invoke(app, args, env=world.env())
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["committed"] and payload["model"] == "heart" and payload["version"] == 1
    again = CliRunner().invoke(app, args[:-1], env=world.env())
    assert again.exit_code == 0 and "nothing written" in again.stdout

    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    path = Path(__file__).resolve().parents[3] / "jobs" / "batch_predict.py"
    spec = importlib.util.spec_from_file_location("batch_predict_job", path)
    assert spec is not None and spec.loader is not None
    job = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("batch_predict_job", job)
    spec.loader.exec_module(job)
    assert job.main(["heart", "--input", world.nodrift, "--output", output, "--where", "age > 50"]) == 0
    assert job.main(["nope", "--input", world.nodrift, "--output", output]) == 1
