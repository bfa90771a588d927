"""Delta tables register with their schema and partition keys from the Delta log."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from catalog import InvalidInputError, resolve_table, table_location
from catalog.delta import register_delta_table
from catalog.stores.base import CatalogStore


def _data(n: int = 6) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "hr": pa.array([60 + i for i in range(n)], pa.int32()),
            "score": pa.array([0.5 * i for i in range(n)], pa.float64()),
            "amount": pa.array([i * 100 for i in range(n)], pa.decimal128(10, 2)),
            "at": pa.array(range(n), pa.timestamp("us", tz="UTC")),
            "tags": pa.array([["a"]] * n, pa.list_(pa.string())),
            "device": pa.array([{"model": "x", "fw": 3}] * n),
            "event_date": pa.array(["2024-01-01", "2024-01-02"] * (n // 2)),
        }
    )


def _write(lake, name: str, data: pa.Table, mode: str = "append", **kw) -> str:  # type: ignore[no-untyped-def]
    uri = lake.resolve(f"bronze/{name}")
    lake.ensure_lake()
    write_deltalake(uri, data, mode=mode, storage_options=lake.storage_options() or None, **kw)
    return uri


def test_register_delta_table_takes_schema_and_partitions_from_the_log(
    catalog_store: CatalogStore,
    lake,  # type: ignore[no-untyped-def]
) -> None:
    name = f"heart_{uuid.uuid4().hex[:6]}"
    uri = _write(lake, name, _data(), partition_by=["event_date"])
    table = register_delta_table(catalog_store, "bronze_delta", name, uri, lake)

    assert [(c.name, c.type) for c in table.columns] == [
        ("id", "bigint"),
        ("hr", "int"),
        ("score", "double"),
        ("amount", "decimal(10,2)"),
        ("at", "timestamp"),
        ("tags", "array<string>"),
        ("device", "struct<model:string,fw:bigint>"),
    ]
    assert [(k.name, k.type) for k in table.partition_keys] == [("event_date", "string")]
    assert table.location == uri.rstrip("/")
    params = table.parameters
    assert params["classification"] == "delta" and params["table_type"] == "DELTA"
    assert params["delta.version"] == "0" and params["recordCount"] == "6"
    assert params["objectCount"] == "2" and int(params["sizeKey"]) > 0
    sd = table.storage_descriptor
    assert sd.serde_info is not None
    assert sd.serde_info.serialization_library.endswith("ParquetHiveSerDe")  # type: ignore[union-attr]
    assert table_location(catalog_store, f"bronze_delta.{name}") == table.location


def test_reregistering_after_a_write_adds_a_catalog_version(
    catalog_store: CatalogStore,
    lake,  # type: ignore[no-untyped-def]
) -> None:
    name = f"t_{uuid.uuid4().hex[:6]}"
    uri = _write(lake, name, _data(4))
    first = register_delta_table(
        catalog_store, "bronze_delta", name, uri, lake, parameters={"owner": "ingest"}
    )
    unchanged = register_delta_table(
        catalog_store, "bronze_delta", name, uri, lake, parameters={"owner": "ingest"}
    )
    assert unchanged.version_id == first.version_id

    wider = _data(4).append_column("extra", pa.array(["x"] * 4))
    _write(lake, name, wider, schema_mode="merge")
    second = register_delta_table(catalog_store, "bronze_delta", name, uri, lake)
    assert int(second.version_id) == int(first.version_id) + 1
    assert second.parameters["delta.version"] == "1"
    assert second.parameters["recordCount"] == "8"
    assert second.parameters["owner"] == "ingest"  # kept from the earlier registration
    assert second.column("extra") is not None
    assert len(catalog_store.get_table_versions("bronze_delta", name)) == 2
    assert resolve_table(catalog_store, f"bronze_delta.{name}").version_id == second.version_id


def test_registering_a_non_delta_path_fails_clearly(
    catalog_store: CatalogStore,
    local_lake,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(InvalidInputError, match="not a Delta table"):
        register_delta_table(catalog_store, "bronze_delta", "nope", "missing/table", local_lake)
