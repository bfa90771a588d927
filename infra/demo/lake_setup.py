"""The demo's lake: the embedded default (a moto server it starts if none runs) made ready to use.

moto keeps its state in memory only, so a moto server this call starts holds an empty bucket.
The embedded catalog (SQLite in the home) outlives the server: entries it still holds for that
lake describe data that is gone. They are pruned exactly as ``lake catalog check --prune``
does — only entries whose data is missing; views are left for ``CREATE OR REPLACE`` — whenever
the lake turns out to be empty. The server is left running afterwards (``lake down`` stops it),
so every table, model and report stays inspectable with the other ``lake`` commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow.fs as pafs

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.storage import StorageProfile

__all__ = ["LakeSetup", "lake_is_empty", "prepare_lake"]


@dataclass(frozen=True)
class LakeSetup:
    """The lake the demo runs on and what preparing it did."""

    profile: StorageProfile
    started_moto: bool = False
    moto_endpoint: str | None = None
    was_empty: bool = False
    pruned: tuple[str, ...] = field(default_factory=tuple)


def lake_is_empty(profile: StorageProfile) -> bool:
    """True when nothing at all is stored under the lake root."""
    fs = profile.filesystem()
    root = profile.fs_path(profile.lake_uri).rstrip("/")
    return not fs.get_file_info(pafs.FileSelector(root, allow_not_found=True, recursive=False))


def prepare_lake(settings: Settings) -> LakeSetup:
    """Start moto (the lake of a moto profile, the stream of a local one) if none runs, create the lake, and
    prune a stale catalog of an empty lake."""
    from catalog.check import check_catalog
    from catalog.stores import get_catalog
    from infra.services.moto import start_moto
    from lake.storage import get_profile

    started = False
    endpoint = None
    kind = settings.profile_options().get("kind") or settings.profile
    if kind in ("moto", "local") and not settings.profile_options().get("endpoint_url"):  # local: Kinesis on moto
        result = start_moto(settings.home)
        started, endpoint = result.started, str(result.entry["endpoint"])
    profile = get_profile(settings)
    profile.ensure_lake()
    empty = lake_is_empty(profile)
    pruned: tuple[str, ...] = ()
    if empty:
        store = get_catalog(settings, profile)
        try:
            pruned = tuple(check_catalog(store, profile, prune=True).pruned)
        finally:
            store.close()
    return LakeSetup(profile, started_moto=started, moto_endpoint=endpoint, was_empty=empty, pruned=pruned)
