"""SQL engine fixtures: one environment per (lake profile, catalog store) pair.

``sql_env`` is module-scoped and parametrized over ``local`` lake + ``embedded`` store and
``moto`` lake + ``glue`` store, so every statement kind runs on both profiles and both stores
while fixture tables are written once per module. Tests use unique database names (the glue
store on the session moto server is shared by the whole test session).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

TEST_BUCKET = "lakeforge-tests"
ENVS = [("local", "embedded"), ("moto", "glue")]


def unique_db(prefix: str = "sql") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class SqlEnv:
    """A lake, a catalog store, the Delta table store and an engine (no history, no saving)."""

    name: str
    spark: Any
    profile: Any
    store: Any
    delta: Any
    engine: Any

    @staticmethod
    def unique_db(prefix: str = "sql") -> str:
        return unique_db(prefix)

    # ---------------------------------------------------------------- engine
    def new_engine(self, **kwargs: Any) -> Any:
        from catalog.sql import SqlEngine

        options = {"save_results": False, "record_history": False, "delta": self.delta, **kwargs}
        return SqlEngine(self.spark, self.store, self.profile, **options)

    def run(self, sql: str, **kwargs: Any) -> list[Any]:
        return self.engine.execute(sql, **kwargs)

    def rows(self, sql: str, **kwargs: Any) -> list[dict[str, Any]]:
        return self.engine.query(sql, **kwargs)

    def tuples(self, sql: str, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) for r in self.rows(sql, **kwargs)]

    # ---------------------------------------------------------------- tables
    def uri(self, rel: str) -> str:
        return self.profile.resolve(rel)

    def delta_table(self, db: str, name: str, df: Any, partition_by: Sequence[str] | None = None) -> str:
        """Write ``df`` as a Delta table under ``data/<db>/<name>`` and register it."""
        from catalog import register_delta_table

        rel = f"data/{db}/{name}"
        self.delta.write(df, rel, mode="create", partition_by=list(partition_by or []))
        register_delta_table(self.store, db, name, rel, self.profile)
        return self.uri(rel)

    def put(self, rel: str, data: bytes | str) -> str:
        """Write one object/file into the lake; returns its native URI."""
        uri = self.uri(rel)
        fs = self.profile.filesystem()
        path = self.profile.fs_path(uri)
        if self.profile.kind == "local":
            fs.create_dir(path.rpartition("/")[0], recursive=True)
        with fs.open_output_stream(path) as out:
            out.write(data.encode() if isinstance(data, str) else data)
        return uri

    def put_parquet(self, rel: str, table: pa.Table) -> str:
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return self.put(rel, buf.getvalue())

    def put_json_lines(self, rel: str, records: Sequence[dict[str, Any]]) -> str:
        return self.put(rel, "".join(json.dumps(r) + "\n" for r in records))

    def raw_table(
        self,
        db: str,
        name: str,
        columns: Sequence[tuple[str, str]],
        rel: str,
        fmt: str,
        *,
        partition_keys: Sequence[tuple[str, str]] = (),
        partitions: dict[tuple[str, ...], str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Register a raw table at ``rel`` with ``partitions`` ({values: relative location})."""
        from dataclasses import replace

        from catalog import Partition, Table

        self.store.create_database(db, exist_ok=True)
        table = Table.external(db, name, list(columns), self.uri(rel), fmt, partition_keys=list(partition_keys),
                               **kwargs)
        stored = self.store.create_table(table)
        if partitions:
            self.store.batch_create_partitions(db, name, [
                Partition(values, storage_descriptor=replace(table.storage_descriptor,
                                                             location=self.uri(loc) + "/"))
                for values, loc in partitions.items()
            ])
        return stored


def _make_store(kind: str, tmp: Path, moto_endpoint: str) -> Any:
    if kind == "embedded":
        from catalog.stores.embedded import EmbeddedStore

        return EmbeddedStore(tmp / "catalog.db")
    from catalog.stores.glue import GlueStore
    from lake.storage import moto_profile

    return GlueStore.from_profile(moto_profile(moto_endpoint, f"s3://{TEST_BUCKET}"),
                                  meta_database=f"meta_{uuid.uuid4().hex[:10]}")


def _profile(kind: str, moto_endpoint: str, tmp: Path) -> Any:
    from lake.storage import LocalProfile, moto_profile

    if kind == "local":
        root = tmp / "lakehouse"
        root.mkdir(parents=True, exist_ok=True)
        return LocalProfile(root)
    return moto_profile(moto_endpoint, f"s3://{TEST_BUCKET}/sql-{uuid.uuid4().hex[:10]}")


def _env(lake: str, store_kind: str, spark: Any, moto_endpoint: str, tmp: Path) -> SqlEnv:
    from lake.delta import DeltaTableStore

    profile = _profile(lake, moto_endpoint, tmp)
    store = _make_store(store_kind, tmp, moto_endpoint)
    env = SqlEnv(f"{lake}-{store_kind}", spark, profile, store, DeltaTableStore(spark, profile), None)
    env.engine = env.new_engine()
    return env


def _close(env: SqlEnv) -> None:
    store = env.store
    if store.name == "glue" and store.database_exists(store.meta_database):
        store.delete_database(store.meta_database)
    store.close()


@pytest.fixture(scope="module", params=ENVS, ids=[f"{lake}-{store}" for lake, store in ENVS])
def sql_env(request: pytest.FixtureRequest, spark: Any, moto_endpoint: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlEnv]:
    """Both lake profile + catalog store pairs: local + embedded, moto + glue."""
    lake, store_kind = request.param
    env = _env(lake, store_kind, spark, moto_endpoint, tmp_path_factory.mktemp(f"sql-{lake}"))
    yield env
    _close(env)


@pytest.fixture(scope="module")
def local_env(spark: Any, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlEnv]:
    """Local lake + embedded store, for behaviour that does not depend on the storage."""
    env = _env("local", "embedded", spark, moto_endpoint, tmp_path_factory.mktemp("sql-local"))
    yield env
    _close(env)
