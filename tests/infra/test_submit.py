"""``lake submit`` plumbing: command line, properties file, environment, resource checks."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.child_env import child_env
from infra.errors import ExecutorTooLargeError, SparkSubmitMissingError
from infra.services.spark_cluster import MASTER_CLASS
from infra.submit import check_executor_fits, run_submit, submit_command
from lake.config import load_settings
from lake.state import ServiceState
from lake.storage import get_profile

SECRET = "submit-fake-secret-0a1b2c3d4e5f"
Sleeper = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def s3_settings(lake_home: Path):  # type: ignore[no-untyped-def]
    return load_settings(
        {
            "profile": "s3",
            "lake": "s3://bucket/lake",
            "profiles.s3.endpoint_url": "http://127.0.0.1:9",
            "profiles.s3.access_key_id": "AKIDEXAMPLE",
            "profiles.s3.secret_access_key": SECRET,
        }
    )


def test_credentials_go_to_a_private_properties_file_not_the_command_line(
    s3_settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    props = tmp_path / "submit.conf"
    script = tmp_path / "job.py"
    cmd = submit_command(
        s3_settings,
        get_profile(s3_settings),
        script,
        ["--rows", "5"],
        properties_file=props,
        master="spark://127.0.0.1:7077",
    )
    assert Path(cmd[0]).name == "spark-submit"
    assert cmd[-3:] == [str(script), "--rows", "5"]
    assert cmd[cmd.index("--master") + 1] == "spark://127.0.0.1:7077"
    assert cmd[cmd.index("--name") + 1] == "job"
    assert cmd[cmd.index("--properties-file") + 1] == str(props)
    assert not any(SECRET in arg for arg in cmd)
    assert stat.S_IMODE(props.stat().st_mode) == 0o600
    text = props.read_text()
    assert f"spark.hadoop.fs.s3a.secret.key {SECRET}" in text
    assert "spark.hadoop.fs.s3a.endpoint http://127.0.0.1:9" in text


def test_child_env_inherits_lakeforge_variables_and_pins_the_settings(
    s3_settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("LAKEFORGE_SOMETHING_ELSE", "kept")
    env = child_env(s3_settings, master="spark://127.0.0.1:1")
    assert env["LAKEFORGE_SOMETHING_ELSE"] == "kept"
    assert env["LAKEFORGE_PROFILE"] == "s3"
    assert env["LAKEFORGE_LAKE"] == "s3://bucket/lake"
    assert env["LAKEFORGE_HOME"] == str(s3_settings.home)
    assert env["LAKEFORGE_SPARK__MASTER"] == "spark://127.0.0.1:1"
    assert Path(env["SPARK_HOME"], "bin", "spark-submit").is_file()
    assert not any(SECRET in value for value in env.values())


def test_a_missing_script_is_a_clear_error(s3_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SparkSubmitMissingError, match=r"no-such\.py: no such script"):
        run_submit(s3_settings, get_profile(s3_settings), tmp_path / "no-such.py", [])


def test_executors_larger_than_the_workers_fail_fast(lake_home: Path, sleeper: Sleeper) -> None:
    fake_master = sleeper(MASTER_CLASS, f"-Dlakeforge.home={lake_home}")
    url = "spark://127.0.0.1:7999"
    ServiceState(lake_home).put("cluster", {"pid": fake_master.pid, "master_url": url, "memory_per_worker": "1g"})
    with pytest.raises(ExecutorTooLargeError, match="executor memory 2g exceeds the 1g"):
        check_executor_fits(load_settings({"spark.executor_memory": "2g"}), url)
    check_executor_fits(load_settings({"spark.executor_memory": "1024m"}), url)
    check_executor_fits(load_settings({"spark.executor_memory": "2g"}), "local[2]")
