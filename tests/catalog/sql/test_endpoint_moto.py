"""The SQL endpoint on the moto profile: the server process reads the lake over S3A."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyhive")

pytestmark = [pytest.mark.slow, pytest.mark.moto, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[3]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from infra.cli.main import main; main()", *args],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=240)


def test_endpoint_serves_a_delta_table_of_an_s3_lake(
    spark: Any, moto_endpoint: str, tmp_path: Path
) -> None:
    from pyhive import hive

    from catalog.delta import register_delta_table
    from catalog.stores.embedded import EmbeddedStore
    from infra.services.process import free_port, port_free
    from lake.delta import DeltaTableStore
    from lake.storage import moto_profile

    lake_uri = f"s3://lakeforge-tests/endpoint-{uuid.uuid4().hex[:8]}"
    profile = moto_profile(moto_endpoint, lake_uri)
    home = tmp_path / "home"
    with EmbeddedStore(home / "catalog.db") as store:
        delta = DeltaTableStore(spark, profile)
        df = spark.createDataFrame([(i, f"d{i % 2}") for i in range(8)], "id long, day string")
        delta.write(df, "silver/events", mode="create", partition_by=["day"])
        register_delta_table(store, "silver", "events", "silver/events", profile)
    env = {**os.environ, "LAKEFORGE_HOME": str(home), "LAKEFORGE_PROFILE": "moto", "LAKEFORGE_LAKE": lake_uri,
           "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint, "LAKEFORGE_CATALOG__PATH": str(home / "catalog.db")}
    port = free_port()

    started = _cli(env, "sql-server", "--port", str(port), "--refresh-interval", "0")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        conn = hive.connect(host="127.0.0.1", port=port, auth="NONE", username="lakeforge-tests")
        cursor = conn.cursor()
        cursor.execute("SELECT day, count(*), sum(id) FROM silver.events GROUP BY day ORDER BY day")
        rows = [tuple(r) for r in cursor.fetchall()]
        conn.close()
    finally:
        stopped = _cli(env, "sql-server", "stop")

    assert rows == [("d0", 4, 12), ("d1", 4, 16)]
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert port_free(port)
    assert "thrift" not in json.loads((home / "state.json").read_text())
