"""The services commands through the ``lake`` CLI: up, down, status, doctor, spark-conf, submit."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from lake.state import ServiceState, pid_alive

SECRET = "cli-fake-secret-5e6f7a8b9c0d1e2f"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private lakeforge home; whatever the test started there is stopped afterwards."""
    home = tmp_path / ".lakeforge"
    monkeypatch.setenv("LAKEFORGE_HOME", str(home))
    monkeypatch.setenv("LAKEFORGE_PROJECT_DIR", str(tmp_path))
    yield home
    from infra.services.moto import stop_moto
    from infra.services.spark_cluster import stop_cluster

    with contextlib.suppress(Exception):
        stop_moto(home, timeout=5)
    with contextlib.suppress(Exception):
        stop_cluster(home)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated live process whose pid a stale state entry may point at."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def lake(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def status_json(*flags: str) -> dict[str, Any]:
    result = lake(*flags, "status", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_up_status_down_cycle(home: Path) -> None:
    up = lake("up")
    assert up.exit_code == 0, up.output
    status = status_json()
    moto = status["services"]["moto"]
    assert moto["status"] == "running"
    assert moto["endpoint"].startswith("http://127.0.0.1:")
    assert status["profile"]["kind"] == "local"
    assert status["lake"] == str(home.parent / "lakehouse")

    again = lake("up")
    assert again.exit_code == 0 and "already running" in again.stdout
    assert status_json()["services"]["moto"]["pid"] == moto["pid"]

    s3 = s3_client(moto["endpoint"])
    s3.create_bucket(Bucket="cycle")
    s3.put_object(Bucket="cycle", Key="a.txt", Body=b"x")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="cycle")["Contents"]] == ["a.txt"]

    down = lake("down")
    assert down.exit_code == 0 and "stopped" in down.stdout
    assert not pid_alive(moto["pid"])
    assert status_json()["services"] == {}


def test_up_with_the_moto_profile_creates_the_lake_bucket(home: Path) -> None:
    assert lake("--profile", "moto", "up").exit_code == 0
    status = status_json("--profile", "moto")
    assert status["lake"] == "s3://lakeforge"
    assert status["profile"]["secret_access_key"] == "****"
    s3_client(status["services"]["moto"]["endpoint"]).head_bucket(Bucket="lakeforge")


def test_up_does_not_depend_on_an_unrelated_profile_being_usable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEFORGE_PROFILE", "s3")  # no lake configured: the profile is unusable
    result = lake("up")
    assert result.exit_code == 0, result.output
    assert "moto running at http://127.0.0.1:" in result.stdout


def test_up_replaces_a_stale_entry_with_a_dead_pid(home: Path) -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    ServiceState(home).put("moto", {"pid": proc.pid, "endpoint": "http://127.0.0.1:1"})
    assert status_json()["services"]["moto"]["status"] == "stale"
    result = lake("up")
    assert result.exit_code == 0, result.output
    assert "stale" in result.stderr
    moto = status_json()["services"]["moto"]
    assert moto["status"] == "running" and moto["pid"] != proc.pid


def test_up_replaces_an_entry_whose_pid_belongs_to_another_program(
    home: Path, other_process: subprocess.Popen[bytes]
) -> None:
    ServiceState(home).put("moto", {"pid": other_process.pid, "endpoint": "http://127.0.0.1:1"})
    assert lake("up").exit_code == 0
    assert status_json()["services"]["moto"]["pid"] != other_process.pid
    assert other_process.poll() is None  # never signalled


def test_down_when_nothing_runs(home: Path) -> None:
    result = lake("down")
    assert result.exit_code == 0
    assert "not running" in result.stdout


def test_down_with_a_reused_pid_removes_the_entry_and_kills_nothing(
    home: Path, other_process: subprocess.Popen[bytes]
) -> None:
    ServiceState(home).put("moto", {"pid": other_process.pid, "endpoint": "http://127.0.0.1:1"})
    result = lake("down")
    assert result.exit_code == 0 and "stale entry" in result.stdout
    assert other_process.poll() is None
    assert status_json()["services"] == {}


def test_up_on_a_busy_port_is_a_one_line_error(home: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = lake("up", "--port", str(port))
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert result.stderr.strip().startswith("error:")


def test_status_text_lists_profile_lake_and_services(home: Path) -> None:
    assert lake("up").exit_code == 0
    result = lake("status")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("project  ") and lines[1].startswith("profile  local")
    assert any(line.startswith("moto     running: http://127.0.0.1:") for line in lines)


def test_status_shows_the_profile_error_instead_of_failing(home: Path) -> None:
    status = status_json("--profile", "moto")  # moto profile without `lake up`
    assert "lake up" in status["profile"]["error"]
    assert status["services"] == {}


def test_status_reports_other_recorded_services_such_as_thrift(
    home: Path, other_process: subprocess.Popen[bytes]
) -> None:
    ServiceState(home).put("thrift", {"pid": other_process.pid, "endpoint": "jdbc:hive2://x"})
    thrift = status_json()["services"]["thrift"]
    assert thrift == {"pid": other_process.pid, "endpoint": "jdbc:hive2://x", "status": "running"}


def _s3_profile_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, lake_uri: str) -> None:
    monkeypatch.setenv("LAKEFORGE_PROFILE", "s3")
    monkeypatch.setenv("LAKEFORGE_LAKE", lake_uri)
    monkeypatch.setenv("LAKEFORGE_PROFILES__S3__ENDPOINT_URL", endpoint)
    monkeypatch.setenv("LAKEFORGE_PROFILES__S3__ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("LAKEFORGE_PROFILES__S3__SECRET_ACCESS_KEY", SECRET)


@pytest.mark.slow
def test_doctor_json_reports_every_check_and_masks_the_secret(
    home: Path, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, unique_name: str
) -> None:
    _s3_profile_env(monkeypatch, moto_endpoint, f"s3://lakeforge-tests/{unique_name}")
    result = runner.invoke(app, ["doctor", "--json"], catch_exceptions=False)
    assert SECRET not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == ["java", "jars", "profile", "endpoint", "moto", "spark", "spark_lake"]
    assert checks["profile"]["data"]["secret_access_key"] == f"****{SECRET[-2:]}"
    assert checks["moto"]["status"] == "warn"  # not needed by an s3 profile
    failed = {n: c["detail"] for n, c in checks.items() if c["status"] == "fail"}
    assert failed == {}
    assert checks["spark"]["status"] == "pass"
    assert checks["spark_lake"]["status"] == "pass"
    assert report["ok"] is True and result.exit_code == 0


def test_doctor_fails_with_exit_code_1_on_an_unreachable_endpoint(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.services.process import free_port

    _s3_profile_env(monkeypatch, f"http://127.0.0.1:{free_port()}", "s3://nowhere/lake")
    result = runner.invoke(app, ["doctor", "--no-spark"], catch_exceptions=False)
    assert result.exit_code == 1
    assert SECRET not in result.stdout + result.stderr
    endpoint_line = next(ln for ln in result.stdout.splitlines() if " endpoint " in ln)
    assert endpoint_line.startswith("fail")


def test_spark_conf_masks_credentials(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _s3_profile_env(monkeypatch, "http://127.0.0.1:9", "s3://bucket/lake")
    result = lake("spark-conf", "--json")
    assert result.exit_code == 0
    assert SECRET not in result.stdout
    conf = json.loads(result.stdout)
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "****"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9"
    assert conf["spark.master"] == "local[2]"


def test_submit_of_a_missing_script_is_a_one_line_error(home: Path) -> None:
    result = lake("submit", "no/such/job.py")
    assert result.exit_code == 1
    assert "no/such/job.py: no such script to submit" in result.stderr


@pytest.mark.slow
def test_submit_passes_arguments_environment_and_exit_code(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "seen.json"
    script = tmp_path / "show.py"
    script.write_text(
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'env': {{k: v for k, v in os.environ.items()"
        f" if k.startswith('LAKEFORGE_')}}}}, open({str(out)!r}, 'w'))\n"
        "sys.exit(3)\n"
    )
    env = {**os.environ, "LAKEFORGE_SPARK__SHUFFLE_PARTITIONS": "3"}
    lake_bin = str(Path(sys.executable).with_name("lake"))
    proc = subprocess.run(
        [lake_bin, "--lake", str(tmp_path / "lk"), "submit", str(script), "--", "--rows", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    seen = json.loads(out.read_text())
    assert seen["argv"] == ["--rows", "5"]
    assert seen["env"]["LAKEFORGE_SPARK__SHUFFLE_PARTITIONS"] == "3"
    assert seen["env"]["LAKEFORGE_LAKE"] == str(tmp_path / "lk")
    assert seen["env"]["LAKEFORGE_HOME"] == str(home)
    assert not list(home.glob("spark-submit-*.conf"))
