"""Layered settings: defaults → lakeforge.toml → LAKEFORGE_* env → CLI overrides; frozen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lake.config import Secret, load_settings
from lake.errors import ConfigError


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lakeforge.toml"
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    s = load_settings(environ={}, project_dir=tmp_path)
    assert s.profile == "local" and s.lake is None and s.catalog_store == "embedded"
    assert s.spark.master == "local[2]"
    assert s.home == tmp_path / ".lakeforge"


def test_file_then_env_then_overrides_win_in_order(tmp_path: Path) -> None:
    _toml(tmp_path, 'profile = "moto"\nlake = "s3://from-file"\n[spark]\nmaster = "local[1]"\n')
    env = {"LAKEFORGE_LAKE": "s3://from-env", "LAKEFORGE_SPARK__SHUFFLE_PARTITIONS": "3"}
    s = load_settings({"lake": "s3://from-flag", "profile": None}, environ=env, project_dir=tmp_path)
    assert s.profile == "moto"  # file; the None flag falls through
    assert s.lake == "s3://from-flag"
    assert s.spark.master == "local[1]" and s.spark.shuffle_partitions == 3
    assert s.sources["lake"] == "command line" and s.sources["profile"].endswith("lakeforge.toml")


def test_settings_are_frozen(tmp_path: Path) -> None:
    s = load_settings(environ={}, project_dir=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.profile = "s3"  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.profiles["x"] = {}  # type: ignore[index]


def test_unknown_key_names_key_and_source(tmp_path: Path) -> None:
    _toml(tmp_path, "colour = 'blue'\n")
    with pytest.raises(ConfigError, match=r"colour.*lakeforge.toml"):
        load_settings(environ={}, project_dir=tmp_path)


def test_bad_value_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="spark.shuffle_partitions.*environment"):
        load_settings(environ={"LAKEFORGE_SPARK__SHUFFLE_PARTITIONS": "many"}, project_dir=tmp_path)


def test_invalid_toml_is_reported_with_path(tmp_path: Path) -> None:
    _toml(tmp_path, "profile = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(environ={}, project_dir=tmp_path)


def test_secrets_are_masked_everywhere(tmp_path: Path) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    s = load_settings(
        environ={"LAKEFORGE_PROFILES__S3__SECRET_ACCESS_KEY": secret}, project_dir=tmp_path
    )
    value = s.profiles["s3"]["secret_access_key"]
    assert isinstance(value, Secret) and value.reveal() == secret
    assert secret not in repr(s) and secret not in str(s.describe())


def test_config_file_can_be_hidden_or_pointed_to(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('profile = "s3"\n')
    _toml(tmp_path, 'profile = "moto"\n')
    assert load_settings(environ={"LAKEFORGE_CONFIG": ""}, project_dir=tmp_path).profile == "local"
    assert load_settings(environ={"LAKEFORGE_CONFIG": str(other)}, project_dir=tmp_path).profile == "s3"
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"LAKEFORGE_CONFIG": str(tmp_path / "nope.toml")}, project_dir=tmp_path)
