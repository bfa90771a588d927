"""Runner behaviour not tied to one rule: objects vanishing mid-crawl, run records."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.crawler import Crawler, CrawlerDefinition, CrawlHistory, FileSystemReader
from lake.storage.errors import AccessDeniedError


class VanishingReader:
    """Reads through the lake's filesystem, but ``gone`` objects were deleted after listing."""

    def __init__(self, lake: Any, gone: str):
        self.inner = FileSystemReader(lake.filesystem(), lake.fs_path)
        self.gone = gone

    def read(self, uri: str, start: int, length: int) -> bytes:
        if uri.endswith(self.gone):
            raise FileNotFoundError(uri)
        return self.inner.read(uri, start, length)


def test_an_object_deleted_after_listing_is_reported_not_fatal(local_lake: Any, helpers: Any, tmp_path: Any) -> None:
    writer = helpers.LakeWriter(local_lake)
    writer.put("t/a.json", '{"id": 1}\n')
    writer.put("t/b.json", '{"id": 2}\n')
    store = helpers.make_store("embedded", tmp_path, None)
    definition = CrawlerDefinition.create("v", "db", [writer.uri("t")])
    result = Crawler(store, local_lake, reader=VanishingReader(local_lake, "t/b.json")).run(definition, explain=True)
    assert [t.name for t in result.tables] == ["t"]
    assert "object disappeared after listing" in result.explain.render()
    store.close()


def test_unexpected_errors_fail_the_run_and_are_recorded(local_lake: Any, helpers: Any, tmp_path: Any) -> None:
    class Broken:
        def read(self, uri: str, start: int, length: int) -> bytes:
            raise PermissionError("access denied")

    writer = helpers.LakeWriter(local_lake)
    writer.put("t/a.json", '{"id": 1}\n')
    store = helpers.make_store("embedded", tmp_path, None)
    definition = CrawlerDefinition.create("broken", "db", [writer.uri("t")])
    with pytest.raises(AccessDeniedError) as info:  # the reader's PermissionError, as a lakeforge error
        Crawler(store, local_lake, reader=Broken()).run(definition)
    assert isinstance(info.value.__cause__, PermissionError)
    (run,) = CrawlHistory(store).list("broken")
    assert run.status == "FAILED" and "access denied" in (run.error or "")
    assert not store.database_exists("db")
    store.close()
