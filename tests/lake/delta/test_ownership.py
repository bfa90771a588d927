"""A table owns only the files its log references: it is never created over other files (unless
asked), and VACUUM and PURGE never delete a file it did not write."""

from __future__ import annotations

import time

import pyarrow.fs as pafs
import pytest

from lake.delta import LocationNotEmptyError
from lake.delta._paths import data_file_name


def _put(lake, rel: str, data: bytes = b"x") -> str:  # type: ignore[no-untyped-def]
    """Write a file at ``rel`` under the lake root; returns its pyarrow path."""
    fs, path = lake.filesystem(), lake.fs_path(lake.resolve(rel))
    if lake.kind == "local":
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as out:
        out.write(data)
    return path


def _exists(lake, path: str) -> bool:  # type: ignore[no-untyped-def]
    return lake.filesystem().get_file_info(path).type != pafs.FileType.NotFound


def _listing(lake, rel: str) -> set[str]:  # type: ignore[no-untyped-def]
    root = lake.fs_path(lake.resolve(rel))
    infos = lake.filesystem().get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    return {i.path[len(root) + 1:] for i in infos if i.is_file}


@pytest.mark.parametrize("mode", ["create", "append", "overwrite"])
def test_creating_a_table_over_other_files_is_refused_naming_them(store, events, lake, mode: str) -> None:
    for name in ("readme.txt", "a.csv", "b.csv", "c.csv", "sub/people.csv"):
        _put(lake, f"folder/{name}")
    with pytest.raises(LocationNotEmptyError) as caught:
        store.write(events(0, 10), "folder", mode=mode)
    err = caught.value
    assert err.count == 5 and err.files == ["a.csv", "b.csv", "c.csv"]
    assert "found a.csv, b.csv, c.csv and 2 more" in str(err) and "\n" not in str(err)
    assert not store.exists("folder")
    assert _listing(lake, "folder") == {"readme.txt", "a.csv", "b.csv", "c.csv", "sub/people.csv"}


def test_an_empty_folder_or_a_lone_file_location(store, events, lake) -> None:
    if lake.kind == "local":
        lake.filesystem().create_dir(lake.fs_path(lake.resolve("empty")), recursive=True)
    assert store.write(events(0, 5), "empty", mode="create").version == 0
    _put(lake, "afile")
    with pytest.raises(LocationNotEmptyError, match="found afile"):
        store.write(events(0, 5), "afile")


def test_vacuum_of_a_table_created_over_other_files_never_deletes_them(store, events, lake) -> None:
    before = data_file_name(0)  # named like our writer's files, but there before the table
    for rel in ("readme.txt", "sub/people.csv", before):
        _put(lake, f"t/{rel}")
    store.write(events(0, 30), "t", allow_non_empty=True)
    first = set(store.snapshot("t").get_add_actions(flatten=True).column("path").to_pylist())
    store.write(events(100, 30), "t", mode="overwrite")
    res = store.vacuum("t", retain_hours=0, force=True)
    assert set(res.files) == first and res.orphans == []  # the overwritten files only
    assert {"readme.txt", "sub/people.csv", before} <= _listing(lake, "t")
    assert store.read("t").count() == 30


def test_vacuum_deletes_our_writers_orphans_written_after_the_table(store, events, lake) -> None:
    store.write(events(0, 30), "t", partition_by=["event_date"])
    time.sleep(1.1)  # S3 modification times have whole seconds
    orphan = f"event_date=2026-03-01/{data_file_name(3)}"
    hidden = f"_tmp/{data_file_name(4)}"  # under a hidden folder: not ours to judge
    for rel in (orphan, "notes.txt", hidden):
        _put(lake, f"t/{rel}", b"half a parquet file")
    assert store.vacuum("t", retain_hours=1, force=True).files == []  # too young
    dry = store.vacuum("t", retain_hours=0, force=True, dry_run=True)
    assert dry.files == [orphan] and dry.orphans == [orphan]
    store.vacuum("t", retain_hours=0, force=True)
    remaining = _listing(lake, "t")
    assert orphan not in remaining and {"notes.txt", hidden} <= remaining
    assert store.read("t").count() == 30


def test_a_first_write_killed_before_committing_does_not_block_the_retry(store, events, lake) -> None:
    leftovers = sorted([data_file_name(0), f"event_date=2026-03-01/{data_file_name(1)}"])
    for rel in leftovers:
        _put(lake, f"t/{rel}", b"half a parquet file")
    note = _put(lake, "t/event_date=2026-03-01/notes.txt")
    with pytest.raises(LocationNotEmptyError, match=r"found event_date=2026-03-01/, part-"):
        store.write(events(0, 30), "t", partition_by=["event_date"])
    lake.filesystem().delete_file(note)
    store.write(events(0, 30), "t", partition_by=["event_date"])  # only our writer's files: the retry
    assert store.history("t")[-1]["lakeforge.createdIn"] == "writer-files"
    res = store.vacuum("t", retain_hours=0, force=True)
    assert res.orphans == leftovers  # written before the first commit, yet provably ours
    assert store.read("t").count() == 30


def test_purge_deletes_the_logged_files_and_the_log_only(store, events, lake) -> None:
    store.write(events(0, 30), "t", partition_by=["event_date"])
    store.write(events(100, 30), "t", mode="overwrite")  # removed files count too
    data = {p for p in _listing(lake, "t") if not p.startswith("_delta_log/")}
    _put(lake, "t/precious.csv")
    res = store.purge("t")
    assert res.log_deleted and res.files == len(data)
    assert _listing(lake, "t") == {"precious.csv"}
    assert not store.exists("t")
    assert store.purge("t").log_deleted is False  # nothing left to purge


def test_purge_finds_files_in_checkpoints_when_old_commits_are_gone(store, events, lake, delta_rs) -> None:
    store.write(events(0, 20), "t")
    store.write(events(50, 20), "t", mode="overwrite")
    delta_rs(store.uri("t")).create_checkpoint()
    store.write(events(100, 5), "t")
    data = {p for p in _listing(lake, "t") if not p.startswith("_delta_log/")}
    log = f"{lake.fs_path(store.uri('t'))}/_delta_log"
    for version in (0, 1):  # as log clean-up does: the checkpoint now holds their adds and removes
        lake.filesystem().delete_file(f"{log}/{version:020d}.json")
    assert store.purge("t").files == len(data)
    assert _listing(lake, "t") == set()
