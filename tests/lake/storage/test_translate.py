"""Foreign storage errors become narrow lakeforge errors, decided by type, errno and error code."""

from __future__ import annotations

import errno
import pickle
from pathlib import Path

import pyarrow.fs as pafs
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from lake.errors import is_transient
from lake.storage import LocalProfile, moto_profile
from lake.storage.errors import (
    AccessDeniedError,
    BucketNotFoundError,
    PathIsFileError,
    StorageUnreachableError,
)
from lake.storage.translate import check_location, from_botocore, storage_errors, translate_storage_error


def _client_error(code: str, status: int, operation: str = "GetObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "text never read"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def _boto(exc: BaseException):  # type: ignore[no-untyped-def]
    return from_botocore(exc, bucket="b", endpoint="http://s3", path="s3://b/lake/t")


@pytest.mark.parametrize(("exc", "kind"), [
    (_client_error("NoSuchBucket", 404), BucketNotFoundError),
    (_client_error("404", 404, "HeadBucket"), BucketNotFoundError),
    (_client_error("AccessDenied", 403), AccessDeniedError),
    (_client_error("403", 403, "HeadBucket"), AccessDeniedError),
    (_client_error("InvalidAccessKeyId", 403), AccessDeniedError),
    (_client_error("SlowDown", 503), StorageUnreachableError),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), StorageUnreachableError),
    (NoCredentialsError(), AccessDeniedError),
])
def test_botocore_errors_map_by_code_and_status(exc: BaseException, kind: type) -> None:
    assert isinstance(_boto(exc), kind)


def test_a_missing_key_is_not_a_storage_problem() -> None:
    assert _boto(_client_error("NoSuchKey", 404)) is None
    assert _boto(_client_error("404", 404, "HeadObject")) is None


def test_unreachable_is_transient_and_errors_pickle() -> None:
    error = _boto(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert error is not None and is_transient(error)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is StorageUnreachableError and again.endpoint == "http://s3" and str(again) == str(error)
    missing = pickle.loads(pickle.dumps(_boto(_client_error("NoSuchBucket", 404))))
    assert missing.bucket == "b" and not is_transient(missing)


def test_local_diagnose_names_the_path_component_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    profile = LocalProfile(blocker)
    problem = profile.diagnose(str(blocker / "t" / "_delta_log"))
    assert isinstance(problem, PathIsFileError) and problem.path == str(blocker)
    assert isinstance(profile.diagnose(str(blocker)), PathIsFileError)
    assert LocalProfile(tmp_path / "new" / "lake").diagnose(str(tmp_path / "new" / "lake" / "t")) is None


def test_not_a_directory_from_pyarrow_becomes_path_is_file(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    profile = LocalProfile(blocker)
    with pytest.raises(PathIsFileError, match="afile is a file, not a directory") as info, \
            storage_errors(profile, str(blocker / "t")):
        pafs.LocalFileSystem().create_dir(str(blocker / "t"), recursive=True)
    assert isinstance(info.value.__cause__, NotADirectoryError)


def test_permission_errors_become_access_denied(tmp_path: Path) -> None:
    exc = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    error = translate_storage_error(exc, LocalProfile(tmp_path), str(tmp_path))
    assert isinstance(error, AccessDeniedError) and error.path == str(tmp_path / "x")


def test_unexplained_errors_are_left_alone(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="disk on fire"), storage_errors(LocalProfile(tmp_path), str(tmp_path)):
        raise OSError("disk on fire")
    with pytest.raises(ValueError), storage_errors(LocalProfile(tmp_path), str(tmp_path)):
        raise ValueError("not storage")


@pytest.mark.moto
def test_opaque_oserror_for_a_missing_bucket_is_probed(moto_endpoint: str) -> None:
    """pyarrow says only ``OSError("Bucket … not found …")``: a HeadBucket probe names it."""
    profile = moto_profile(moto_endpoint, "s3://nosuch-bucket/lake")
    with pytest.raises(BucketNotFoundError) as info, storage_errors(profile, "s3://nosuch-bucket/lake/t"):
        profile.filesystem().create_dir("nosuch-bucket/lake/t", recursive=True)
    assert info.value.bucket == "nosuch-bucket" and info.value.endpoint == moto_endpoint
    with pytest.raises(BucketNotFoundError):
        check_location(profile)


@pytest.mark.moto
def test_check_location_passes_for_an_existing_bucket_and_ensure_lake_creates_one(moto_endpoint: str,
                                                                                  unique_name: str) -> None:
    check_location(moto_profile(moto_endpoint, "s3://lakeforge-tests/x"))
    profile = moto_profile(moto_endpoint, f"s3://{unique_name}/lake")
    profile.ensure_lake()
    check_location(profile)


def test_unreachable_endpoint_is_transient() -> None:
    profile = moto_profile("http://127.0.0.1:1", "s3://b/lake")
    with pytest.raises(StorageUnreachableError) as info:
        check_location(profile)
    assert is_transient(info.value) and info.value.endpoint == "http://127.0.0.1:1"
