"""The embedded store is safe for several processes writing at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from catalog import Partition, Table
from catalog.stores.embedded import EmbeddedStore

WORKERS = 4
TABLES_PER_WORKER = 16
PARTITIONS_PER_TABLE = 16


_WORKER = """
import sys
from catalog import Partition, Table
from catalog.stores.embedded import EmbeddedStore

path, worker, tables, partitions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
store = EmbeddedStore(path)
store.create_database("shared", exist_ok=True)
for i in range(tables):
    name = f"w{worker}_t{i}"
    table = Table.external("shared", name, [("id", "bigint")], f"/lake/{name}",
                           partition_keys=[("day", "int")])
    store.put_table(table)
    store.put_table(table.with_parameters(recordCount=i))
    for day in range(partitions):
        store.create_partition("shared", name, Partition((str(day),)))
    store.append_crawl_run("shared-crawler", {"worker": worker, "table": i})
    store.put_crawler(f"crawler-{worker}", {"last_table": i})
store.close()
"""


def test_four_processes_write_concurrently_without_lock_errors(tmp_path: Path) -> None:
    path = str(tmp_path / "catalog.db")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                path,
                str(w),
                str(TABLES_PER_WORKER),
                str(PARTITIONS_PER_TABLE),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * WORKERS, errors

    store = EmbeddedStore(path)
    tables = store.list_tables("shared")
    assert len(tables) == WORKERS * TABLES_PER_WORKER
    for table in tables:
        assert len(store.list_partitions("shared", table.name)) == PARTITIONS_PER_TABLE
        assert [v.version_id for v in store.get_table_versions("shared", table.name)] == ["1", "0"]
    assert len(store.list_crawl_runs("shared-crawler")) == WORKERS * TABLES_PER_WORKER
    assert store.list_crawlers() == {
        f"crawler-{w}": {"last_table": TABLES_PER_WORKER - 1} for w in range(WORKERS)
    }


def test_catalog_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    with EmbeddedStore(path) as store:
        store.create_database("bronze")
        store.create_table(Table.external("bronze", "heart", [("id", "bigint")], "/lake/heart"))
    with EmbeddedStore(path) as reopened:
        assert reopened.get_table("bronze", "heart").location == "/lake/heart"


def test_threads_share_one_store(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = EmbeddedStore(tmp_path / "catalog.db")
    store.create_database("db")
    table = store.create_table(
        Table.external("db", "t", [("id", "bigint")], "/lake/t", partition_keys=[("k", "int")])
    )

    def add(k: int) -> None:
        store.create_partition("db", table.name, Partition((str(k),)))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(64)))
    assert len(store.list_partitions("db", "t")) == 64
