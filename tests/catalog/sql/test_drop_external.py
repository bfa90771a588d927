"""A table created with an explicit LOCATION is external: DROP never deletes its data, PURGE
included; PURGE of a managed table deletes only the files its Delta log references (both lakes,
both catalog stores)."""

from __future__ import annotations

from typing import Any

import pyarrow.fs as pafs
import pytest

from catalog.model import Param, TableType
from catalog.sql import SqlError


def _listing(env: Any, location: str) -> set[str]:
    root = env.profile.fs_path(location).rstrip("/")
    infos = env.profile.filesystem().get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    return {i.path[len(root) + 1:] for i in infos if i.is_file}


def test_ctas_into_a_folder_of_other_files_is_refused(sql_env: Any) -> None:
    env, db = sql_env, sql_env.unique_db("ext")
    env.put(f"shared/{db}/precious.csv", "id\n1\n")
    location = env.uri(f"shared/{db}")
    with pytest.raises(SqlError, match=r"is not empty and is not a Delta table \(found precious.csv\); choose"):
        env.run(f"CREATE TABLE {db}.t USING delta LOCATION '{location}' AS SELECT 1 AS x")
    assert not env.store.table_exists(db, "t")
    assert _listing(env, location) == {"precious.csv"}


def test_a_table_with_a_location_is_external_and_drop_purge_keeps_its_data(sql_env: Any) -> None:
    env, db = sql_env, sql_env.unique_db("ext")
    location = env.uri(f"ext/{db}/t")
    env.run(f"CREATE TABLE {db}.t WITH (external_location = '{location}', format = 'delta') AS SELECT 1 AS x",
            dialect="athena")
    table = env.store.get_table(db, "t")
    assert table.table_type == TableType.EXTERNAL_TABLE and table.parameters[Param.EXTERNAL] == "TRUE"
    env.put(f"ext/{db}/t/precious.csv", "id\n1\n")  # another tool's file, added later
    before = _listing(env, location)
    (result,) = env.run(f"DROP TABLE {db}.t PURGE")
    assert result.message == (f"dropped external table {db}.t (data kept at {location}; "
                              "PURGE never deletes an external table's data)")
    assert not env.store.table_exists(db, "t")
    assert _listing(env, location) == before and env.delta.exists(location)


def test_managed_table_purge_deletes_only_what_its_log_references(sql_env: Any) -> None:
    env, db = sql_env, sql_env.unique_db("mgd")
    env.run(f"CREATE TABLE {db}.t USING delta PARTITIONED BY (k) AS SELECT 1 AS x, 'a' AS k")
    env.run(f"INSERT INTO {db}.t VALUES (2, 'b')")  # re-registration keeps the table managed
    table = env.store.get_table(db, "t")
    assert table.table_type == TableType.MANAGED_TABLE and table.parameters[Param.EXTERNAL] == "FALSE"
    location = table.location
    env.put(f"{location.removeprefix(env.profile.lake_uri).strip('/')}/k=a/precious.csv", "id\n1\n")
    (result,) = env.run(f"DROP TABLE {db}.t PURGE")
    assert result.message is not None and "deleted its 2 data files and Delta log" in result.message
    assert _listing(env, location) == {"k=a/precious.csv"}
    assert not env.delta.exists(location)
