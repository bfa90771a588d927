"""Listing on the local and moto profiles: skip rules, exclusions, Delta roots, pagination,
concurrency and per-folder steering."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from catalog.crawler import ListingError
from catalog.crawler.exclusions import ExclusionSet
from catalog.crawler.folders import FolderIndex
from catalog.crawler.listing import DeltaRoot, ListedObject, S3Lister, make_lister, s3_client


def listed(lister: Any, decide: Any = None) -> tuple[set[str], set[str]]:
    objects, deltas = set(), set()
    for item in lister.walk(decide):
        if isinstance(item, DeltaRoot):
            deltas.add(item.rel)
        else:
            assert isinstance(item, ListedObject)
            assert item.rel not in objects, f"{item.rel} listed twice"
            objects.add(item.rel)
    return objects, deltas


def test_leftovers_markers_hidden_and_empty_objects_are_skipped(lake: Any, writer: Any) -> None:
    writer.put("t/part-0.json", "{}\n")
    writer.put("t/_SUCCESS", b"")
    writer.put("t/_temporary/0/part-1.json", "{}\n")
    writer.put("t/_spark_metadata/0", "v1\n")
    writer.put("t/_checkpoints/commits/0", "v1\n")
    writer.put("t/.part-0.json.crc", "crc")
    writer.put("t/_hidden.json", "{}\n")
    writer.put("t/.cache/x.json", "{}\n")
    writer.put("t/empty.json", b"")
    writer.put("t/sub_$folder$", b"")
    lister = make_lister(lake, writer.uri(), workers=2)
    objects, _ = listed(lister)
    assert objects == {"t/part-0.json"}
    reasons = set(lister.stats.skipped)
    assert {
        "Spark _SUCCESS marker",
        "Spark/Hadoop _temporary folder",
        "zero-byte object",
        "S3 folder marker ($folder$)",
    } <= reasons
    assert any("hidden" in r for r in reasons)


def test_exclusions_skip_objects_and_whole_folders(lake: Any, writer: Any) -> None:
    for i in range(3):
        writer.put(f"logs/2024/{i}.json", "{}\n")
    writer.put("data/a.json", "{}\n")
    writer.put("data/a.tmp", "x\n")
    writer.put("top.csv", "a,b\n")
    lister = make_lister(lake, writer.uri(), ExclusionSet(["logs/**", "**.tmp", "*.csv"]), workers=2)
    objects, _ = listed(lister)
    assert objects == {"data/a.json"}
    assert lister.stats.skipped["excluded by 'logs/**'"] == 1  # the folder, not its 3 objects
    assert lister.stats.listed == 3  # data/a.json, data/a.tmp, top.csv


def test_delta_log_marks_a_table_root(lake: Any, writer: Any) -> None:
    writer.put_delta("d", pa.table({"x": [1, 2], "p": ["a", "b"]}), partition_by=["p"])
    writer.put("j/a.json", "{}\n")
    index = FolderIndex(5)
    for item in make_lister(lake, writer.uri(), workers=2).walk():
        index.add(item)
    index.finish()
    assert index.delta_roots == {"d"}
    assert set(index.folders) == {"j"}


def test_known_folders_are_skipped_and_their_parents_walked(lake: Any, writer: Any) -> None:
    for d in ("dt=1", "dt=2", "dt=3"):
        writer.put(f"t/{d}/a.json", "{}\n")
    asked: list[str] = []

    def decide(rel: str) -> str:
        asked.append(rel)
        if rel in ("t/dt=1", "t/dt=2"):
            return "skip"
        return "walk" if rel == "t" else "full"

    lister = make_lister(lake, writer.uri(), workers=2)
    objects, _ = listed(lister, decide)
    assert objects == {"t/dt=3/a.json"}
    assert lister.stats.listed == 1
    assert set(asked) == {"t", "t/dt=1", "t/dt=2", "t/dt=3"}


@pytest.mark.moto
def test_s3_listing_is_paginated_and_concurrent_without_losing_or_repeating_keys(moto_lake: Any, helpers: Any) -> None:
    writer = helpers.LakeWriter(moto_lake)
    expected = set()
    for f in range(40):
        for i in range(3):
            expected.add(writer.put(f"t/k={f:02d}/part-{i}.json", "{}\n").rpartition(moto_lake.lake_uri + "/")[2])
    expected.add(writer.put("t/direct.json", "{}\n").rpartition(moto_lake.lake_uri + "/")[2])
    writer.put("t/_SUCCESS", b"")
    lister = S3Lister(s3_client(moto_lake, 4), moto_lake.lake_uri, workers=4, page_size=7)
    objects, _ = listed(lister)
    assert objects == expected
    assert lister.stats.listed == 122
    assert lister.stats.requests > 122 // 7  # pages, in several key ranges


def test_a_missing_include_path_is_a_listing_error(tmp_path: Any, moto_endpoint: str) -> None:
    from lake.storage import LocalProfile, moto_profile
    from lake.storage.errors import BucketNotFoundError

    with pytest.raises(ListingError, match="no such directory"):
        list(make_lister(LocalProfile(tmp_path), str(tmp_path / "nope")).walk())
    profile = moto_profile(moto_endpoint, "s3://no-such-bucket-here/x")
    with pytest.raises(BucketNotFoundError, match="bucket 'no-such-bucket-here' does not exist"):
        list(make_lister(profile, profile.lake_uri).walk())
