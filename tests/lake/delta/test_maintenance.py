"""History, OPTIMIZE and VACUUM."""

from __future__ import annotations


def test_history_lists_every_commit_newest_first(store, events) -> None:
    store.write(events(0, 10), "t")
    store.write(events(10, 10), "t")
    hist = store.history("t")
    assert [h["version"] for h in hist] == [1, 0]
    assert hist[0]["lakeforge.operation"] == "WRITE"


def test_optimize_bin_packs_in_one_commit_without_changing_data(store, events, delta_rs) -> None:
    for i in range(6):
        store.write(events(i * 15, 15), "t", partition_by=["event_date"])
    before = sorted(r.id for r in store.read("t").collect())
    files_before = len(store.plan_scan("t").files)
    v = store.snapshot("t").version()
    res = store.optimize("t", target_size_mb=64)
    assert res.version == v + 1 and res.files_removed == files_before
    assert len(store.plan_scan("t").files) == 3  # one per partition
    assert sorted(r.id for r in store.read("t").collect()) == before
    assert delta_rs(store.uri("t")).to_pyarrow_table().num_rows == 90


def test_vacuum_dry_run_lists_then_vacuum_removes(store, events, lake) -> None:
    store.write(events(0, 30), "t")
    store.write(events(100, 30), "t", mode="overwrite")
    dry = store.vacuum("t", retain_hours=0, dry_run=True)
    assert dry.dry_run and len(dry.files) >= 1
    fs = lake.filesystem()
    root = lake.fs_path(store.uri("t"))
    assert all(fs.get_file_info(f"{root}/{f}").is_file for f in dry.files)
    done = store.vacuum("t", retain_hours=0, force=True)
    assert done.files == dry.files
    assert not any(fs.get_file_info(f"{root}/{f}").is_file for f in dry.files)
    assert store.read("t").count() == 30


def test_vacuum_keeps_recent_files_within_retention(store, events) -> None:
    store.write(events(0, 30), "t")
    store.write(events(100, 30), "t", mode="overwrite")
    assert store.vacuum("t", retain_hours=24, dry_run=True).files == []
