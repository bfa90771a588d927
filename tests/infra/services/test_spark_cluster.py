"""A Spark standalone cluster from ``lake cluster up --workers 2`` running ``lake submit`` jobs.

One cluster per module (it takes ~10 s to start); the CLI runs as a subprocess, exactly as a
user runs it. The finalizer stops every process of the cluster even when a test fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.services.process import free_port, http_get_json, wait_for
from lake.state import pid_alive

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]
LAKE = str(Path(sys.executable).with_name("lake"))
TEST_BUCKET = "lakeforge-tests"


def _run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _pids_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
                argv = raw.replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in argv:
                found.append(int(entry.name))
    return found


class Cluster:
    """The CLI environment of the module's cluster and what ``lake status --json`` says."""

    def __init__(self, env: dict[str, str], home: Path, lake: str):
        self.env = env
        self.home = home
        self.lake = lake

    def status(self) -> dict[str, Any]:
        proc = _run(self.env, "status", "--json")
        assert proc.returncode == 0, proc.stderr
        data: dict[str, Any] = json.loads(proc.stdout)
        return data

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.status()["services"]["cluster"]
        return entry


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Iterator[Cluster]:
    project = tmp_path_factory.mktemp("cluster")
    home = project / ".lakeforge"
    lake = f"s3://{TEST_BUCKET}/cluster-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LAKEFORGE_PROJECT_DIR": str(project),
        "LAKEFORGE_HOME": str(home),
        "LAKEFORGE_PROFILE": "moto",
        "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint,
        "LAKEFORGE_LAKE": lake,
        "LAKEFORGE_SPARK__EXECUTOR_MEMORY": "1g",
        "LAKEFORGE_SPARK__DRIVER_MEMORY": "1g",
    }
    try:
        proc = _run(
            env,
            "cluster",
            "up",
            "--workers",
            "2",
            "--memory-per-worker",
            "1g",
            "--port",
            str(free_port()),
            "--webui-port",
            str(free_port()),
        )
        assert proc.returncode == 0, proc.stderr
        yield Cluster(env, home, lake)
    finally:
        _run(env, "cluster", "down", timeout=120)
        for pid in _pids_with(f"-Dlakeforge.home={home}"):
            os.kill(pid, 9)


def test_cluster_up_registers_every_worker(cluster: Cluster) -> None:
    entry = cluster.entry()
    assert entry["status"] == "running"
    assert entry["master_url"].startswith("spark://127.0.0.1:")
    assert len(entry["worker_pids"]) == 2
    info = http_get_json(f"{entry['webui']}/json/", timeout=5)
    assert info is not None and info["aliveworkers"] == 2
    assert {w["host"] for w in info["workers"]} == {"127.0.0.1"}


def test_cluster_up_again_is_idempotent(cluster: Cluster) -> None:
    before = cluster.entry()
    proc = _run(cluster.env, "cluster", "up", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "already running" in proc.stdout
    assert cluster.entry()["pid"] == before["pid"]


def _result(stdout: str, prefix: str = "") -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith(prefix) and line.strip()]
    assert lines, f"no result line in output: {stdout[-2000:]}"
    data: dict[str, Any] = json.loads(lines[-1][len(prefix) :])
    return data


def _app(entry: dict[str, Any], app_id: str) -> dict[str, Any]:
    info = http_get_json(f"{entry['webui']}/json/", timeout=5) or {}
    apps = info.get("completedapps", []) + info.get("activeapps", [])
    return next((a for a in apps if a.get("id") == app_id), {})


def test_submit_runs_a_job_on_the_cluster_that_writes_to_the_lake(cluster: Cluster, moto_endpoint: str) -> None:
    entry = cluster.entry()
    script = REPO / "tests" / "infra" / "services" / "cluster_job.py"
    proc = _run(cluster.env, "submit", str(script), "--master", entry["master_url"], "--", "cluster-job/out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = _result(proc.stdout, "RESULT ")
    assert result["rows"] == 1000 and result["buckets"] == 3
    assert result["python_sum"] == 9900  # Python workers ran on the executors
    assert result["master"] == entry["master_url"]
    assert result["uri"] == f"s3a://{cluster.lake[5:]}/cluster-job/out"
    assert wait_for(lambda: _app(entry, result["app_id"]).get("state") == "FINISHED", 30)

    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    prefix = f"{cluster.lake[5:].split('/', 1)[1]}/cluster-job/out/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix=prefix)["Contents"]]
    assert any("bucket=2/" in k and k.endswith(".parquet") for k in keys)
    assert not list(cluster.home.glob("spark-submit-*.conf"))  # the credentials file is removed


@pytest.mark.skipif(
    not (REPO / "jobs" / "smoke.py").is_file() or importlib.util.find_spec("lake.smoke") is None,
    reason="jobs/smoke.py and lake.smoke are not there yet",
)
def test_smoke_job_writes_a_delta_table_on_the_cluster(cluster: Cluster, moto_endpoint: str) -> None:
    from deltalake import DeltaTable

    entry = cluster.entry()
    proc = _run(
        cluster.env,
        "submit",
        str(REPO / "jobs" / "smoke.py"),
        "--master",
        entry["master_url"],
        "--",
        "--table",
        "smoke/events",
        "--rows",
        "2000",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    assert report["table"].endswith("smoke/events")
    table = DeltaTable(
        f"{cluster.lake}/smoke/events",
        storage_options={
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )
    assert table.to_pyarrow_table().num_rows == 2000


def test_cluster_down_leaves_no_processes(cluster: Cluster) -> None:
    entry = cluster.entry()
    pids = [entry["pid"], *entry["worker_pids"]]
    proc = _run(cluster.env, "cluster", "down", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "stopped" in proc.stdout
    assert wait_for(lambda: not any(pid_alive(p) for p in pids), 10)
    assert _pids_with(f"-Dlakeforge.home={cluster.home}") == []
    assert "cluster" not in cluster.status()["services"]
    again = _run(cluster.env, "cluster", "down")
    assert again.returncode == 0 and "not running" in again.stdout
