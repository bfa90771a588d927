"""``mlflow ui`` browses the same store lakeforge writes, artifacts in the (moto) lake included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

import pytest

from lake.config import load_settings
from lake.ml.tracking import Lineage, TableVersion, Tracker, mlflow_executable, open_tracking


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
@pytest.mark.moto
def test_mlflow_ui_serves_runs_and_lake_artifacts(moto_lake, tmp_path: Path, unique_name: str) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"home": str(tmp_path / "home")}, project_dir=tmp_path)
    store = open_tracking(settings, moto_lake)
    lineage = Lineage("ml.v", "SELECT 1", [TableVersion("silver.t", "s3://b/silver/t", 2)])
    with Tracker(store).start_run(unique_name) as run:
        run.log_metrics({"test": {"roc_auc": 0.9}})
        run.set_lineage(lineage)

    command = store.ui_command()
    assert command == ["mlflow", "ui", "--backend-store-uri", f"sqlite:///{settings.home / 'mlflow.db'}"]
    port = _free_port()
    argv = [*mlflow_executable(), *command[1:], "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {**os.environ, **store.ui_environment()}
    log = (tmp_path / "ui.log").open("w")
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2).read()
                break
            except (URLError, ConnectionError, TimeoutError):
                assert server.poll() is None, (tmp_path / "ui.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "mlflow ui did not answer /health"
                time.sleep(0.5)
        got = _get(f"{base}/api/2.0/mlflow/runs/get?run_id={run.run_id}")["run"]
        assert got["info"]["status"] == "FINISHED"
        assert {"key": "test_roc_auc", "value": 0.9} in [
            {"key": m["key"], "value": m["value"]} for m in got["data"]["metrics"]
        ]
        listed = _get(f"{base}/api/2.0/mlflow/artifacts/list?run_id={run.run_id}")
        assert "lineage.json" in [f["path"] for f in listed.get("files", [])]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
