"""CRAWL_NEW_FOLDERS_ONLY: unchanged data costs only a listing; only new folders are read.

Reads are counted by a pyarrow filesystem wrapper that records every object opened."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pytest

from catalog.crawler import CrawlHistory

pytestmark = pytest.mark.moto


class CountingHandler(pafs.FileSystemHandler):
    """Delegates to a real filesystem and counts the objects opened for reading."""

    def __init__(self, fs: pafs.FileSystem):
        self.fs = fs
        self.opened: Counter[str] = Counter()

    def get_type_name(self) -> str:
        return "counting"

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.fs.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.fs.get_file_info(selector)

    def open_input_file(self, path: str) -> Any:
        self.opened[path] += 1
        return self.fs.open_input_file(path)

    def open_input_stream(self, path: str) -> Any:
        self.opened[path] += 1
        return self.fs.open_input_stream(path)

    # writes are never needed by the crawler
    def create_dir(self, path: str, recursive: bool) -> None:
        raise NotImplementedError

    def delete_dir(self, path: str) -> None:
        raise NotImplementedError

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        raise NotImplementedError

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError

    def delete_file(self, path: str) -> None:
        raise NotImplementedError

    def move(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def copy_file(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def open_output_stream(self, path: str, metadata: Any) -> Any:
        raise NotImplementedError

    def open_append_stream(self, path: str, metadata: Any) -> Any:
        raise NotImplementedError


NEW_ONLY = {"recrawl_behavior": "CRAWL_NEW_FOLDERS_ONLY", "update_behavior": "LOG", "delete_behavior": "LOG"}


def _seed(writer: Any) -> None:
    for day in (1, 2, 3):
        writer.put(f"events/dt=2024-01-0{day}/part-0.json", '{"id": 1, "v": 2}\n{"id": 2, "v": 3}\n')
        writer.put(f"events/dt=2024-01-0{day}/part-1.json", '{"id": 3, "v": 4}\n')
    writer.put("users/users.csv", "name,age\nann,3\nbob,4\n")
    writer.put_delta("ledger", pa.table({"id": [1, 2], "amount": [1.5, 2.5]}))


def test_unchanged_recrawl_reads_nothing_and_new_folders_are_read_once(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _seed(writer)
    handler = CountingHandler(lake.filesystem())
    counting = pafs.PyFileSystem(handler)

    def run(**extra: Any) -> Any:
        return helpers.crawl(
            catalog_store, lake, [writer.uri()], db_name, name="inc", filesystem=counting, **{**NEW_ONLY, **extra}
        )

    first = run()
    assert first.metrics.tables_created == 3
    assert sum(handler.opened.values()) == 7  # 6 JSON + 1 CSV objects; Delta from its log
    handler.opened.clear()

    unchanged = run(explain=True)
    assert sum(handler.opened.values()) == 0
    assert unchanged.metrics.objects_sampled == 0
    assert unchanged.metrics.objects_listed == 0  # known folders are not even listed
    assert not unchanged.plan.writes
    assert "5 known folder(s) not listed" in "\n".join(unchanged.explain.section("listing"))

    writer.put("events/dt=2024-01-04/part-0.json", '{"id": 9, "v": 9, "extra": true}\n')
    writer.put("orders/o.json", '{"order": 1}\n')
    writer.put("events/dt=2024-01-01/part-9.json", '{"id": 10, "v": 1}\n')  # new file, known folder
    handler.opened.clear()
    third = run()
    opened = {p.rpartition("/")[0].rpartition("/")[2] + "/" + p.rpartition("/")[2] for p in handler.opened}
    assert opened == {"dt=2024-01-04/part-0.json", "orders/o.json"}
    assert all(n == 1 for n in handler.opened.values())
    assert third.metrics.partitions_added == 1
    assert third.metrics.tables_created == 1
    parts = catalog_store.list_partitions(db_name, "events")
    assert [p.values for p in parts] == [("2024-01-01",), ("2024-01-02",), ("2024-01-03",), ("2024-01-04",)]
    table = catalog_store.get_table(db_name, "events")
    assert [c.name for c in table.columns] == ["id", "v"]  # LOG: schema kept
    assert [c.name for c in parts[-1].storage_descriptor.columns] == ["id", "v"]

    runs = CrawlHistory(catalog_store).list("inc")
    assert [r.metrics.objects_sampled for r in runs] == [2, 0, 7]


def test_crawl_everything_reads_every_folder_again(
    lake: Any, writer: Any, catalog_store: Any, db_name: str, helpers: Any
) -> None:
    _seed(writer)
    handler = CountingHandler(lake.filesystem())
    counting = pafs.PyFileSystem(handler)
    for _ in range(2):
        result = helpers.crawl(catalog_store, lake, [writer.uri()], db_name, filesystem=counting)
    assert sum(handler.opened.values()) == 14
    assert result.metrics.objects_sampled == 7
    assert result.metrics.tables_created == 0 and result.metrics.tables_updated == 0
