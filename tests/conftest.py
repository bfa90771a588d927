"""Shared fixtures: one moto server and one SparkSession per session; a fresh lake per test.

The developer's own ``lakeforge.toml`` and ``LAKEFORGE_*`` variables are hidden so tests see
only built-in defaults plus what a test sets itself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SESSION_HOME = Path(os.environ.get("PYTEST_LAKEFORGE_HOME", "/tmp")) / f"lakeforge-tests-{os.getpid()}"

for _name in [n for n in os.environ if n.startswith("LAKEFORGE_")]:
    del os.environ[_name]
os.environ["LAKEFORGE_CONFIG"] = ""  # no config file
os.environ["LAKEFORGE_PROJECT_DIR"] = str(_SESSION_HOME)
os.environ["LAKEFORGE_HOME"] = str(_SESSION_HOME / ".lakeforge")
os.environ["LAKEFORGE_JARS_DIR"] = str(REPO / ".lakeforge" / "jars")
for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
              "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION"):
    os.environ.pop(_name, None)
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

TEST_BUCKET = "lakeforge-tests"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server (ThreadedMotoServer) over HTTP on a free loopback port, one per session.

    It runs in a child process: delta-rs holds the GIL while waiting on HTTP, so an in-process
    server would deadlock against it.
    """
    import boto3

    from infra.services.moto import spawn_moto

    server = spawn_moto()
    boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ).create_bucket(Bucket=TEST_BUCKET)
    yield server.endpoint
    server.stop()


@pytest.fixture(scope="session")
def base_settings(moto_endpoint: str):  # type: ignore[no-untyped-def]
    """Settings with built-in defaults and the session moto server as the moto endpoint."""
    from lake.config import load_settings

    return load_settings({"profiles.moto.endpoint_url": moto_endpoint})


@pytest.fixture(scope="session")
def spark(base_settings, moto_endpoint: str):  # type: ignore[no-untyped-def]
    """The session's one SparkSession (``local[2]``), with S3A pointed at the moto server."""
    from lake.spark.session import build_spark
    from lake.storage import moto_profile

    session = build_spark(
        base_settings, moto_profile(moto_endpoint, f"s3://{TEST_BUCKET}"), app_name="lakeforge-tests"
    )
    yield session
    session.stop()


def _unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def moto_lake(moto_endpoint: str):  # type: ignore[no-untyped-def]
    """A moto-profile lake under a unique prefix of the shared test bucket."""
    from lake.storage import moto_profile

    return moto_profile(moto_endpoint, f"s3://{TEST_BUCKET}/{_unique()}")


@pytest.fixture
def local_lake(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A local-profile lake in a fresh temporary directory."""
    from lake.storage import LocalProfile

    root = tmp_path / "lakehouse"
    root.mkdir()
    return LocalProfile(root)


@pytest.fixture(params=["local", "moto"])
def lake(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each test using it runs once on the local profile and once on the moto profile."""
    return request.getfixturevalue(f"{request.param}_lake")


@pytest.fixture
def unique_name() -> str:
    return _unique("n")
