"""Crawler test helpers: write fixture files through a profile's pyarrow filesystem, build
stores and profiles for module-scoped scenarios, and run crawls in one call."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

TEST_BUCKET = "lakeforge-tests"


class LakeWriter:
    """Writes objects into a lake through ``profile.filesystem()``."""

    def __init__(self, profile: Any, root: str = ""):
        self.profile = profile
        self.fs: pafs.FileSystem = profile.filesystem()
        self.root = root.strip("/")

    def uri(self, rel: str = "") -> str:
        parts = [p for p in (self.root, rel.strip("/")) if p]
        return self.profile.resolve("/".join(parts)) if parts else self.profile.lake_uri

    def put(self, rel: str, data: bytes | str) -> str:
        uri = self.uri(rel)
        path = self.profile.fs_path(uri)
        if self.profile.kind == "local":
            self.fs.create_dir(path.rpartition("/")[0], recursive=True)
        with self.fs.open_output_stream(path, compression=None) as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        return uri

    def put_parquet(self, rel: str, table: pa.Table, **kwargs: Any) -> str:
        buf = io.BytesIO()
        pq.write_table(table, buf, **kwargs)
        return self.put(rel, buf.getvalue())

    def put_orc(self, rel: str, table: pa.Table) -> str:
        import pyarrow.orc as orc

        buf = io.BytesIO()
        orc.write_table(table, buf)
        return self.put(rel, buf.getvalue())

    def put_delta(self, rel: str, table: pa.Table, partition_by: list[str] | None = None) -> str:
        from deltalake import write_deltalake

        uri = self.uri(rel)
        write_deltalake(uri, table, partition_by=partition_by, storage_options=self.profile.storage_options() or None)
        return uri

    def folder_marker(self, rel: str) -> None:
        """An S3 ``folder/`` placeholder object (a plain directory locally)."""
        self.fs.create_dir(self.profile.fs_path(self.uri(rel)))

    def delete(self, rel: str) -> None:
        path = self.profile.fs_path(self.uri(rel))
        info = self.fs.get_file_info(path)
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(path)
        else:
            self.fs.delete_file(path)


def make_store(kind: str, tmp: Path, endpoint: str | None) -> Any:
    if kind == "embedded":
        from catalog.stores.embedded import EmbeddedStore

        return EmbeddedStore(tmp / f"catalog-{uuid.uuid4().hex[:6]}.db")
    from catalog.stores.glue import GlueStore
    from lake.storage import moto_profile

    assert endpoint is not None
    return GlueStore.from_profile(
        moto_profile(endpoint, f"s3://{TEST_BUCKET}"), meta_database=f"meta_{uuid.uuid4().hex[:10]}"
    )


def make_profile(kind: str, tmp: Path, endpoint: str | None) -> Any:
    from lake.storage import LocalProfile, moto_profile

    if kind == "local":
        root = tmp / "lakehouse"
        root.mkdir(parents=True, exist_ok=True)
        return LocalProfile(root)
    assert endpoint is not None
    return moto_profile(endpoint, f"s3://{TEST_BUCKET}/t-{uuid.uuid4().hex[:10]}")


def close_store(store: Any) -> None:
    meta = getattr(store, "meta_database", None)
    if meta and store.database_exists(meta):
        store.delete_database(meta)
    store.close()


def crawl(
    store: Any,
    profile: Any,
    paths: list[str],
    database: str,
    *,
    name: str | None = None,
    dry_run: bool = False,
    explain: bool = False,
    filesystem: Any = None,
    **options: Any,
) -> Any:
    """Create (or replace) crawler ``name`` for ``paths`` and run it."""
    from catalog.crawler import Crawler, CrawlerDefinition, CrawlerRepository

    definition = CrawlerDefinition.create(name or f"c-{database}", database, paths, **options)
    if not dry_run:
        definition = CrawlerRepository(store).put(definition)
    return Crawler(store, profile, filesystem=filesystem, workers=4).run(definition, dry_run=dry_run, explain=explain)


@pytest.fixture
def writer(lake: Any) -> LakeWriter:  # type: ignore[no-untyped-def]
    """A writer on the parametrized ``lake`` (local and moto)."""
    return LakeWriter(lake)


@pytest.fixture
def db_name() -> str:
    return f"db_{uuid.uuid4().hex[:10]}"


COMBOS = [("local", "embedded"), ("local", "glue"), ("moto", "embedded"), ("moto", "glue")]
COMBO_IDS = [f"{p}-{s}" for p, s in COMBOS]


class Helpers:
    """The module's helpers, handed to tests as the ``helpers`` fixture."""

    LakeWriter = LakeWriter
    make_store = staticmethod(make_store)
    make_profile = staticmethod(make_profile)
    close_store = staticmethod(close_store)
    crawl = staticmethod(crawl)
    COMBOS = COMBOS
    COMBO_IDS = COMBO_IDS


@pytest.fixture(scope="session")
def helpers() -> type[Helpers]:
    return Helpers
