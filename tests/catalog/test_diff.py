"""Differences between two table definitions."""

from __future__ import annotations

from dataclasses import replace

from catalog import Column, Table
from catalog.diff import diff_tables


def test_diff_reports_every_kind_of_change() -> None:
    old = Table.external(
        "d",
        "t",
        [("a", "int"), ("b", "string"), ("c", "double")],
        "s3://x/old",
        partition_keys=[("day", "string")],
        parameters={"keep": "1", "gone": "x", "n": "1"},
    )
    new_sd = old.storage_descriptor.with_columns(
        [Column("a", "bigint"), Column("b", "string"), Column("d", "date")]
    ).with_location("s3://x/new")
    params = {k: v for k, v in old.parameters.items() if k != "gone"}
    new = replace(
        old,
        storage_descriptor=new_sd,
        partition_keys=(Column("day", "date"),),
        parameters={**params, "n": "2", "added": "y"},
    )
    d = diff_tables(old, new)
    assert [c.name for c in d.columns_added] == ["d"]
    assert [c.name for c in d.columns_removed] == ["c"]
    assert d.types_changed == (("a", "int", "bigint"),)
    assert d.partition_keys == (
        [{"Name": "day", "Type": "string"}],
        [{"Name": "day", "Type": "date"}],
    )
    assert d.location == ("s3://x/old", "s3://x/new")
    assert d.parameters_added == {"added": "y"} and d.parameters_removed == {"gone": "x"}
    assert d.parameters_changed == {"n": ("1", "2")}
    payload = d.to_json()
    assert payload["changed"] is True and payload["types_changed"] == [
        {"Name": "a", "old": "int", "new": "bigint"}
    ]


def test_identical_tables_have_an_empty_diff() -> None:
    table = Table.external("d", "t", [("a", "int")], "s3://x")
    assert diff_tables(table, table).is_empty
    assert diff_tables(table, table).to_json()["changed"] is False
