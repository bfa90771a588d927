"""Partition keys from folder names: Hive key=value or partition_N."""

from __future__ import annotations

from catalog.crawler.partitions import partition_spec


def test_hive_folders_name_their_keys_and_values_are_decoded() -> None:
    spec = partition_spec("t", ["t/Year=2024/city=New%20York", "t/Year=2023/city=Paris"], 2)
    assert spec.keys == ["year", "city"]
    assert spec.values["t/Year=2024/city=New%20York"] == ("2024", "New York")


def test_plain_folders_are_partition_n() -> None:
    spec = partition_spec("", ["2024/01", "2024/02"], 2)
    assert spec.keys == ["partition_0", "partition_1"]
    assert spec.values["2024/02"] == ("2024", "02")


def test_mixed_styles_at_one_level_fall_back_to_partition_n() -> None:
    spec = partition_spec("t", ["t/dt=1", "t/2"], 1)
    assert spec.keys == ["partition_0"]
    assert spec.values["t/dt=1"] == ("dt=1",)


def test_different_keys_at_one_level_fall_back_to_partition_n() -> None:
    spec = partition_spec("t", ["t/a=1", "t/b=2"], 1)
    assert spec.keys == ["partition_0"]


def test_repeated_key_names_stay_unique() -> None:
    spec = partition_spec("t", ["t/k=1/k=2"], 2)
    assert spec.keys == ["k", "partition_1"]
    assert spec.values["t/k=1/k=2"] == ("1", "2")
