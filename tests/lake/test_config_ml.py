"""The ``[ml]`` settings: where MLflow tracks runs and registers models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lake.config import MLSettings, load_settings, mask_uri


def test_ml_defaults_to_the_embedded_store(tmp_path: Path) -> None:
    s = load_settings(environ={}, project_dir=tmp_path)
    assert s.ml == MLSettings(tracking_uri=None, registry_uri=None)


def test_ml_keys_from_file_env_and_flags_in_order(tmp_path: Path) -> None:
    (tmp_path / "lakeforge.toml").write_text(
        '[ml]\ntracking_uri = "http://127.0.0.1:5000"\nregistry_uri = "sqlite:///reg.db"\n'
    )
    env = {"LAKEFORGE_ML__TRACKING_URI": "http://127.0.0.1:5001"}
    s = load_settings({"ml.registry_uri": "sqlite:///flag.db"}, environ=env, project_dir=tmp_path)
    assert s.ml.tracking_uri == "http://127.0.0.1:5001"
    assert s.ml.registry_uri == "sqlite:///flag.db"
    assert s.sources["ml.tracking_uri"] == "environment"
    assert s.sources["ml.registry_uri"] == "command line"


def test_empty_ml_value_falls_back_to_embedded(tmp_path: Path) -> None:
    s = load_settings(environ={"LAKEFORGE_ML__TRACKING_URI": ""}, project_dir=tmp_path)
    assert s.ml.tracking_uri is None


def test_ml_settings_are_frozen(tmp_path: Path) -> None:
    s = load_settings(environ={}, project_dir=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.ml.tracking_uri = "x"  # type: ignore[misc]


def test_unknown_ml_key_is_rejected(tmp_path: Path) -> None:
    from lake.errors import ConfigError

    with pytest.raises(ConfigError, match=r"ml\.trackin_uri.*environment"):
        load_settings(environ={"LAKEFORGE_ML__TRACKIN_URI": "x"}, project_dir=tmp_path)


def test_tracking_uri_password_is_masked_in_describe(tmp_path: Path) -> None:
    uri = "postgresql://mlflow:s3cr3t-pa55@db.internal:5432/mlflow"
    s = load_settings({"ml.tracking_uri": uri}, environ={}, project_dir=tmp_path)
    assert s.ml.tracking_uri == uri
    described = s.describe()["ml"]
    assert described["tracking_uri"] == "postgresql://mlflow:****@db.internal:5432/mlflow"
    assert "s3cr3t-pa55" not in str(s.describe())


def test_mask_uri_leaves_uris_without_password_alone() -> None:
    assert mask_uri("sqlite:////tmp/mlflow.db") == "sqlite:////tmp/mlflow.db"
    assert mask_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert mask_uri(None) is None
