"""Idempotent commits: (app id, version) already committed → no-op."""

from __future__ import annotations

import pytest

from lake.delta import InvalidWriteError


def test_replayed_app_version_is_a_noop(store, events, delta_rs) -> None:
    first = store.write(events(0, 30), "t", app_id="ingest", app_version=0)
    again = store.write(events(0, 30), "t", app_id="ingest", app_version=0)
    assert first.committed and not again.committed
    nxt = store.write(events(30, 30), "t", app_id="ingest", app_version=1)
    assert nxt.committed and store.read("t").count() == 60
    assert delta_rs(store.uri("t")).transaction_version("ingest") == 1


def test_older_app_version_is_also_a_noop(store, events) -> None:
    store.write(events(0, 30), "t", app_id="a", app_version=5)
    assert not store.write(events(0, 30), "t", app_id="a", app_version=3).committed


def test_app_ids_are_independent(store, events) -> None:
    store.write(events(0, 30), "t", app_id="a", app_version=0)
    assert store.write(events(30, 30), "t", app_id="b", app_version=0).committed


def test_app_id_needs_version(store, events) -> None:
    with pytest.raises(InvalidWriteError, match="go together"):
        store.write(events(), "t", app_id="a")
