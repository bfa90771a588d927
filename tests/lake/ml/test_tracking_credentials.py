"""Credentials reach MLflow's S3 artifact repository but never its params, tags or log output."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from lake.config import Secret, load_settings
from lake.ml.tracking import Tracker, open_tracking
from lake.storage import S3Profile, uris

ACCESS_KEY = "AKIALAKEFORGETEST42"
SECRET_KEY = "q8Zr/LakeforgeNeverPrintThis+k3yK3yK3y00"


@pytest.fixture
def profile(moto_endpoint: str, unique_name: str) -> S3Profile:
    """An S3 profile on the moto server with credentials that are easy to search for."""
    return S3Profile(
        name="s3",
        kind="s3",
        lake_uri=f"s3://lakeforge-tests/{unique_name}",
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key_id=ACCESS_KEY,
        secret_access_key=Secret(SECRET_KEY),
    )


@pytest.mark.moto
def test_credentials_never_appear_in_params_tags_errors_or_logs(
    profile: S3Profile, tmp_path: Path, unique_name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings({"home": str(tmp_path / "home")}, project_dir=tmp_path)
    store = open_tracking(settings, profile)
    report = tmp_path / "prep_report.json"
    report.write_text('{"imputed": {}}')
    before = {k: os.environ.get(k) for k in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "MLFLOW_S3_ENDPOINT_URL")}
    with pytest.raises(PermissionError), Tracker(store).start_run(unique_name) as run:
        logged = run.log_params({
            "storage": {"secret_access_key": SECRET_KEY, "endpoint": profile.endpoint_url},
            "note": f"copied from a shell: export AWS_SECRET_ACCESS_KEY={SECRET_KEY}",
            "token": Secret("tok-123456"),
        })
        run.set_tags({"debug": f"key={SECRET_KEY}", "aws_session_token": "abcdef123"})
        run.log_artifact(report)
        raise PermissionError(f"denied for {ACCESS_KEY}/{SECRET_KEY} at {profile.endpoint_url}")

    assert logged["storage.secret_access_key"] == "****" and logged["token"] == "****"
    assert SECRET_KEY not in logged["note"] and logged["note"].endswith("=****")
    got = store.client().get_run(run.run_id)
    recorded = " ".join([*got.data.params.values(), *got.data.tags.values(), *got.data.tags.keys()])
    assert SECRET_KEY not in recorded and "abcdef123" not in recorded
    assert got.info.status == "FAILED" and "****" in got.data.tags["lakeforge.error"]
    assert run.result is not None and SECRET_KEY not in (run.result.error or "")

    # the artifact went to the bucket with the profile's credentials, which were then restored
    bucket, prefix = uris.split_s3(profile.lake_uri)
    s3 = boto3.client("s3", **profile.boto3_kwargs())
    key = f"{prefix}/ml/artifacts/{unique_name}/{run.run_id}/artifacts/prep_report.json"
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b'{"imputed": {}}'
    assert {k: os.environ.get(k) for k in before} == before

    out, err = capfd.readouterr()
    log_file = settings.home / "logs" / "mlflow.log"
    logs = log_file.read_text() if log_file.exists() else ""
    for text in (out, err, logs):
        assert SECRET_KEY not in text
    assert "Creating initial MLflow database tables" not in err  # MLflow's INFO chatter stays off the terminal
