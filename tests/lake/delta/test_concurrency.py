"""Concurrent writers never lose a commit; a killed writer leaves the table unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.fs as pafs
import pytest

WRITERS = 8


def test_concurrent_appenders_lose_no_commit(store, spark, delta_rs) -> None:
    store.write(spark.range(0).selectExpr("id", "0 as writer"), "t")

    def append(i: int) -> int | None:
        df = spark.range(i * 100, i * 100 + 100).selectExpr("id", f"{i} as writer")
        return store.write(df, "t").version

    with ThreadPoolExecutor(WRITERS) as pool:
        versions = list(pool.map(append, range(WRITERS)))
    assert sorted(versions) == list(range(1, WRITERS + 1))
    dt = delta_rs(store.uri("t"))
    assert dt.version() == WRITERS
    assert dt.to_pyarrow_table().num_rows == WRITERS * 100
    assert {h["version"] for h in dt.history()} == set(range(WRITERS + 1))


def _listing(lake, root: str) -> set[str]:  # type: ignore[no-untyped-def]
    fs = lake.filesystem()
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    return {i.path for i in infos if i.is_file and "_delta_log" not in i.path}


@pytest.mark.slow
def test_writer_killed_before_commit_leaves_table_unchanged(store, spark, lake, moto_endpoint, delta_rs) -> None:
    store.write(spark.range(0, 100).selectExpr("id"), "t")
    root = lake.fs_path(store.uri("t"))
    files_before = _listing(lake, root)
    kind = "local" if lake.kind == "local" else "moto"
    args = [sys.executable, str(Path(__file__).with_name("_killed_writer.py")), kind, lake.lake_uri, "t"]
    if kind == "moto":
        args.append(moto_endpoint)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=os.environ.copy())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FILES_WRITTEN"), line
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    orphans = _listing(lake, root) - files_before
    assert orphans, "the killed writer should have left data files behind"
    assert delta_rs(store.uri("t")).version() == 0
    assert store.read("t").count() == 100
    removed = store.vacuum("t", retain_hours=0, force=True).files
    assert {f"{root}/{f}" for f in removed} == orphans
    assert _listing(lake, root) == files_before and store.read("t").count() == 100
