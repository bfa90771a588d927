"""Processes that read Delta without Spark exit 0 (no delta-rs/pyarrow teardown abort, exit 134)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from deltalake import write_deltalake

_ROWS = 40_000


@pytest.fixture(scope="module")
def lake_with_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake whose query-history table holds 40k rows in 20 partitions (the shape that aborted)."""
    from catalog.sql.history import HISTORY_LOCATION, SCHEMA

    lake = tmp_path_factory.mktemp("exit") / "lakehouse"
    rng = np.random.default_rng(7)
    n = _ROWS
    columns = {f.name: pa.nulls(n, f.type) for f in SCHEMA}
    columns.update({
        "query_id": pa.array([f"q{i}" for i in range(n)]),
        "submitted_at": pa.array(np.arange(n) * 1_000_000, pa.timestamp("us", tz="UTC")),
        "state": pa.array([f"S{i % 20}" for i in range(n)]),
        "query": pa.array(["SELECT 1"] * n),
        "duration_ms": pa.array(rng.integers(1, 100, n)),
    })
    table = pa.table(columns, schema=SCHEMA)
    write_deltalake(str(lake / HISTORY_LOCATION), table, partition_by=["state"])
    return lake


def _run(args: list[str], lake: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKEFORGE_LAKE": str(lake)}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)


def test_read_arrow_process_exits_cleanly(lake_with_history: Path) -> None:
    script = (
        "import numpy, deltalake, sys\n"
        "from pathlib import Path\n"
        "from lake.delta.arrow_read import read_arrow\n"
        "from lake.storage import LocalProfile\n"
        f"t = read_arrow('_meta/query_history', LocalProfile(Path({str(lake_with_history)!r})))\n"
        "print(t.num_rows, sorted(set(t.column('state').to_pylist()))[:2])\n"
    )
    for _ in range(5):
        done = _run([sys.executable, "-c", script], lake_with_history)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[0] == str(_ROWS)


def test_lake_sql_history_exits_cleanly(lake_with_history: Path) -> None:
    lake_cmd = str(Path(sys.executable).with_name("lake"))
    for _ in range(3):
        done = _run([lake_cmd, "sql", "history", "--limit", "3", "--json"], lake_with_history)
        assert done.returncode == 0, done.stderr
        assert "terminate called" not in done.stderr


def test_read_arrow_matches_the_log(lake_with_history: Path) -> None:
    from deltalake import DeltaTable

    from lake.delta.arrow_read import read_arrow
    from lake.storage import LocalProfile

    profile = LocalProfile(lake_with_history)
    table = read_arrow("_meta/query_history", profile, columns=["state", "query_id"])
    assert table.schema.names == ["state", "query_id"] and table.num_rows == _ROWS
    assert table.column("state").to_pylist().count("S3") == _ROWS // 20
    dt = DeltaTable(str(lake_with_history / "_meta/query_history"))
    assert read_arrow("_meta/query_history", profile, version=dt.version()).num_rows == _ROWS
