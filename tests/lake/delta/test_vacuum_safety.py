"""VACUUM protects time travel: a short retention needs force, and a vacuumed version says so."""

from __future__ import annotations

import pytest

from lake.delta import (
    DataFilesMissingError,
    DeltaTableStore,
    RetentionTooShortError,
    VersionVacuumedError,
)
from lake.errors import InvalidOptionError


@pytest.fixture
def overwritten(store, events):  # type: ignore[no-untyped-def]
    """``t``: version 0 (ids 0-29), version 1 overwrites it (ids 100-129)."""
    store.write(events(0, 30), "t")
    store.write(events(100, 30), "t", mode="overwrite")
    return "t"


def test_retention_below_the_minimum_is_refused_without_force(store, overwritten) -> None:
    with pytest.raises(RetentionTooShortError) as caught:
        store.vacuum(overwritten, retain_hours=0)
    message = str(caught.value)
    assert "retention of 0 h is below the minimum of 168 h" in message and "--force" in message
    assert "\n" not in message
    assert store.read(overwritten, version=0).count() == 30  # nothing was deleted
    assert store.vacuum(overwritten, retain_hours=0, dry_run=True).files  # a dry run may look
    assert store.vacuum(overwritten, retain_hours=0, force=True).files


def test_negative_retention_is_a_one_line_option_error(store, overwritten) -> None:
    with pytest.raises(InvalidOptionError, match=r"^retain_hours: expected a number of hours >= 0, got -1$"):
        store.vacuum(overwritten, retain_hours=-1, force=True)


def test_the_minimum_is_the_stores_setting(spark, lake, events) -> None:
    relaxed = DeltaTableStore(spark, lake, vacuum_min_retention_hours=0)
    relaxed.write(events(0, 10), "t")
    relaxed.write(events(10, 10), "t", mode="overwrite")
    assert relaxed.vacuum("t", retain_hours=0).files
    with pytest.raises(RetentionTooShortError, match="minimum of 2 h"):
        DeltaTableStore(spark, lake, vacuum_min_retention_hours=2).vacuum("t", retain_hours=1)


def test_vacuum_is_recorded_and_reading_a_vacuumed_version_says_so(store, events, overwritten) -> None:
    store.write(events(200, 5), overwritten)  # version 2
    store.vacuum(overwritten, retain_hours=0, force=True)
    ops = [(h["version"], h["operation"]) for h in store.history(overwritten)[:2]]
    assert ops == [(4, "VACUUM END"), (3, "VACUUM START")]
    start = store.history(overwritten)[1]
    assert start["lakeforge.vacuum.retainHours"] == "0" and start["lakeforge.vacuum.forced"] == "true"
    with pytest.raises(VersionVacuumedError) as caught:
        store.read(overwritten, version=0)
    err = caught.value
    assert (err.version, err.oldest_readable, err.retention_hours) == (0, 1, 0)
    assert f"version 0 of {store.uri(overwritten)}: its data files were removed by VACUUM at " in str(err)
    assert str(err).endswith("(retention 0 h); versions from 1 on are readable")
    assert store.read(overwritten, version=1).count() == 30
    assert store.read(overwritten, version=2).count() == 35


def test_data_files_deleted_outside_the_lake_are_named(store, lake, overwritten) -> None:
    old = store.plan_scan(overwritten, version=0).files
    lake.filesystem().delete_file(lake.fs_path(old[0]))
    with pytest.raises(DataFilesMissingError, match=r"^version 0 of .*: 1 of its data files are missing \(part-"):
        store.read(overwritten, version=0)
