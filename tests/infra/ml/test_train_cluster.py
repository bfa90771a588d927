"""``jobs/train.py`` runs unchanged on a ``lake cluster up --workers 2`` standalone cluster (moto lake).

The CLI runs as subprocesses, exactly as a user runs it; the finalizer stops every process of the
cluster even when the test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infra.services.process import free_port, http_get_json

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.moto, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]
LAKE = str(Path(sys.executable).with_name("lake"))
SPEC = """
name = "cluster_risk"
source = "ml.cluster_visits"
task = "binary"
label = "label"
id = "visit_id"

[prep]
scale = "standard"

[model]
algorithm = "logistic_regression"
max_iter = 20

[tune]
strategy = "grid"
space = { reg_param = [0.0, 0.1] }
"""


def _run(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _pids_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in argv:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def cluster(spark: Any, tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Iterator[dict[str, Any]]:
    from catalog import register_delta_table
    from catalog.sql import SqlEngine
    from catalog.stores.embedded import EmbeddedStore
    from lake.delta import DeltaTableStore
    from lake.storage import moto_profile

    project = tmp_path_factory.mktemp("train-cluster")
    home = project / ".lakeforge"
    lake = f"s3://lakeforge-tests/train-cluster-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LAKEFORGE_PROJECT_DIR": str(project),
        "LAKEFORGE_HOME": str(home),
        "LAKEFORGE_PROFILE": "moto",
        "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint,
        "LAKEFORGE_LAKE": lake,
        "LAKEFORGE_CATALOG__PATH": str(project / "catalog.db"),
        "LAKEFORGE_SPARK__EXECUTOR_MEMORY": "1g",
        "LAKEFORGE_SPARK__DRIVER_MEMORY": "1g",
    }
    profile = moto_profile(moto_endpoint, lake)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(300, 3))
    label = (x @ [1.2, -0.8, 0.4] + rng.logistic(0, 0.5, 300) > 0).astype(int)
    rows = [(i, *map(float, x[i]), int(label[i])) for i in range(300)]
    DeltaTableStore(spark, profile).write(
        spark.createDataFrame(rows, "visit_id long, a double, b double, c double, label int"), "silver/visits",
        mode="create")
    store = EmbeddedStore(project / "catalog.db")
    register_delta_table(store, "silver", "visits", "silver/visits", profile)
    SqlEngine(spark, store, profile, save_results=False, record_history=False).execute(
        "CREATE VIEW ml.cluster_visits AS SELECT * FROM silver.visits")
    store.close()
    (project / "spec.toml").write_text(SPEC)
    try:
        proc = _run(env, "cluster", "up", "--workers", "2", "--memory-per-worker", "1g", "--port", str(free_port()),
                    "--webui-port", str(free_port()))
        assert proc.returncode == 0, proc.stderr
        status = json.loads(_run(env, "status", "--json").stdout)
        yield {"env": env, "project": project, "entry": status["services"]["cluster"]}
    finally:
        _run(env, "cluster", "down", timeout=120)
        for pid in _pids_with(f"-Dlakeforge.home={home}"):
            os.kill(pid, 9)


def test_train_job_runs_unchanged_on_the_cluster(cluster: dict[str, Any]) -> None:
    entry = cluster["entry"]
    proc = _run(cluster["env"], "submit", str(REPO / "jobs" / "train.py"), "--master", entry["master_url"], "--",
                str(cluster["project"] / "spec.toml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    assert (result["model"], result["version"], result["status"]) == ("cluster_risk", 1, "FINISHED")
    assert result["metrics"]["test"]["roc_auc"] > 0.7
    assert result["artifact_uri"].startswith("s3://lakeforge-tests/train-cluster-")
    info = http_get_json(f"{entry['webui']}/json/", timeout=5) or {}
    apps = info.get("completedapps", []) + info.get("activeapps", [])
    assert any(a.get("name") == "lakeforge-train" and a.get("cores") for a in apps), apps  # ran on the cluster
    shown = _run(cluster["env"], "model", "show", "cluster_risk:1", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["run_status"] == "FINISHED"


def test_batch_predict_job_runs_unchanged_on_the_cluster(cluster: dict[str, Any]) -> None:
    """The version trained above scores the view on the cluster into a Delta table of the catalog."""
    entry = cluster["entry"]
    proc = _run(cluster["env"], "submit", str(REPO / "jobs" / "batch_predict.py"), "--master", entry["master_url"],
                "--", "cluster_risk:1", "--input", "ml.cluster_visits", "--output", "scored.cluster_visits")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    assert (result["rows"], result["committed"], result["version"]) == (300, True, 1), result
    info = http_get_json(f"{entry['webui']}/json/", timeout=5) or {}
    apps = info.get("completedapps", []) + info.get("activeapps", [])
    assert any(a.get("name") == "lakeforge-batch-predict" and a.get("cores") for a in apps), apps
    counted = _run(cluster["env"], "sql", "SELECT count(*) AS n, count(DISTINCT model_version) AS v "
                   "FROM scored.cluster_visits", "--format", "json", "--no-save")
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout.splitlines()[0]) == {"n": 300, "v": 1}
