"""Storage profiles yield Spark, delta-rs, boto3 and pyarrow views of one lake."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest

from lake.config import load_settings
from lake.state import ServiceState
from lake.storage import (
    LocalProfile,
    StorageError,
    StorageUnreachableError,
    UnknownProfileError,
    get_profile,
    moto_profile,
    uris,
)

SECRET = "a-very-secret-key-123456"


def test_local_is_the_default_and_persistent_directory(tmp_path: Path) -> None:
    p = get_profile(load_settings(environ={}, project_dir=tmp_path))
    assert isinstance(p, LocalProfile)
    assert p.lake_uri == str(tmp_path / "lakehouse")
    assert p.to_spark_uri("bronze/x") == f"file://{tmp_path}/lakehouse/bronze/x"
    assert p.storage_options() == {} and isinstance(p.filesystem(), pafs.LocalFileSystem)


def test_moto_profile_reads_endpoint_from_state_file(tmp_path: Path) -> None:
    settings = load_settings({"profile": "moto"}, environ={}, project_dir=tmp_path)
    with pytest.raises(StorageError, match="lake up"):
        get_profile(settings)
    import os

    ServiceState(settings.home).put("moto", {"pid": os.getpid(), "endpoint": "http://127.0.0.1:9"})
    p = get_profile(settings)
    assert p.boto3_kwargs()["endpoint_url"] == "http://127.0.0.1:9"
    assert p.lake_uri == "s3://lakeforge"


def test_stale_state_entry_is_ignored(tmp_path: Path) -> None:
    settings = load_settings({"profile": "moto"}, environ={}, project_dir=tmp_path)
    ServiceState(settings.home).put("moto", {"pid": 999_999_999, "endpoint": "http://127.0.0.1:9"})
    with pytest.raises(StorageError, match="lake up"):
        get_profile(settings)


def test_s3_profile_yields_every_client_view_with_masked_repr(tmp_path: Path) -> None:
    env = {
        "LAKEFORGE_PROFILES__S3__ENDPOINT_URL": "http://127.0.0.1:9000",
        "LAKEFORGE_PROFILES__S3__ACCESS_KEY_ID": "minio",
        "LAKEFORGE_PROFILES__S3__SECRET_ACCESS_KEY": SECRET,
        "LAKEFORGE_PROFILES__S3__REGION": "eu-west-1",
    }
    p = get_profile(load_settings({"profile": "s3", "lake": "s3a://bkt/pre/"}, environ=env, project_dir=tmp_path))
    assert p.lake_uri == "s3://bkt/pre"
    assert p.to_spark_uri("silver/t") == "s3a://bkt/pre/silver/t"
    assert p.fs_path("silver/t") == "bkt/pre/silver/t"
    conf = p.spark_conf()
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.threads.keepalivetime"] == "60"
    assert p.storage_options()["AWS_ALLOW_HTTP"] == "true"
    assert p.boto3_kwargs()["region_name"] == "eu-west-1"
    assert isinstance(p.filesystem(), pafs.S3FileSystem)
    assert SECRET not in repr(p) and SECRET not in str(p.describe())


def test_named_profile_with_kind(tmp_path: Path) -> None:
    (tmp_path / "lakeforge.toml").write_text(
        '[profiles.minio]\nkind = "s3"\nlake = "s3://m"\nendpoint_url = "http://127.0.0.1:9000"\n'
    )
    p = get_profile(load_settings({"profile": "minio"}, environ={}, project_dir=tmp_path))
    assert p.name == "minio" and p.lake_uri == "s3://m"


def test_unknown_profile_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownProfileError, match="valid profiles: local, moto, s3"):
        get_profile(load_settings({"profile": "nope"}, environ={}, project_dir=tmp_path))


def test_s3_profile_without_lake_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="needs a lake URI"):
        get_profile(load_settings({"profile": "s3"}, environ={}, project_dir=tmp_path))


def test_unreachable_endpoint_is_reported() -> None:
    p = moto_profile("http://127.0.0.1:1", "s3://nowhere")
    with pytest.raises(StorageUnreachableError, match="127.0.0.1:1"):
        p.check()


def test_uri_helpers_round_trip() -> None:
    assert uris.to_spark("s3://b/k") == "s3a://b/k"
    assert uris.to_native("s3a://b/k") == "s3://b/k"
    assert uris.to_native("file:///x/y") == "/x/y"
    assert uris.split_s3("s3://b/a/b/") == ("b", "a/b")
    assert uris.join("s3://b/", "/x/", "y") == "s3://b/x/y"
