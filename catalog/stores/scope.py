"""Which embedded catalog a process uses: one per lake, unless ``[catalog] path`` shares one.

A catalog records *locations*, so it belongs to one lake: a name registered for the local
lake means nothing to the moto lake, and sharing one file between them is how a job on one
profile silently re-pointed another profile's tables. So by default each (profile, lake)
pair gets its own SQLite file under the lakeforge home::

    <home>/catalogs/<profile>-<lake folder or bucket>-<hash of profile + lake URI>/catalog.db

The file lives in the home, not inside the lake, for every profile alike: an S3 lake cannot
hold a SQLite file, and a local lake's folders stay pure data (crawlers, imports and VACUUM
never meet catalog files). A ``scope.json`` next to each file names its profile and lake.

``[catalog] path = "…"`` (``LAKEFORGE_CATALOG__PATH``) uses one file for every lake and
profile on purpose; registrations still never re-point a table silently
(:class:`~catalog.errors.LocationConflictError`).

Before per-lake catalogs, every lake shared ``<home>/catalog.db``. That file is used only when
``catalog.path`` points at it; otherwise it is reported (``lake status``, and a one-line
notice on stderr when the catalog is opened), never silently ignored or deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lake.storage import DEFAULT_MOTO_LAKE, StorageError, UnknownProfileError, get_profile, uris

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.storage import StorageProfile

__all__ = [
    "CATALOGS_DIR",
    "CATALOG_FILE_NAME",
    "SCOPE_FILE_NAME",
    "CatalogScope",
    "catalog_scope",
    "lake_slug",
    "warn_legacy_once",
]

CATALOG_FILE_NAME = "catalog.db"
CATALOGS_DIR = "catalogs"
SCOPE_FILE_NAME = "scope.json"
_log = logging.getLogger(__name__)
_warned: set[Path] = set()


@dataclass(frozen=True)
class CatalogScope:
    """The embedded catalog file of one lake (``kind="lake"``) or the configured shared one."""

    path: Path
    kind: str  # "lake": one per (profile, lake); "configured": [catalog] path
    profile: str
    lake: str
    legacy_path: Path | None = None

    @property
    def notice(self) -> str | None:
        """One line about an old shared catalog that is not in use (``None`` if there is none)."""
        if self.legacy_path is None:
            return None
        return (
            f"notice: the old shared catalog {self.legacy_path} is not used; this lake's catalog is "
            f"{self.path}. Set [catalog] path = \"{self.legacy_path}\" (LAKEFORGE_CATALOG__PATH) "
            "to keep using it, or move it away to silence this"
        )

    def describe(self) -> dict[str, Any]:
        return {
            "store": "embedded",
            "scope": self.kind,
            "path": str(self.path),
            "profile": self.profile,
            "lake": self.lake,
            "legacy_catalog": str(self.legacy_path) if self.legacy_path else None,
        }

    def record(self) -> None:
        """Write ``scope.json`` next to a per-lake catalog file (once; it names profile and lake)."""
        if self.kind != "lake":
            return
        marker = self.path.parent / SCOPE_FILE_NAME
        if marker.exists():
            return
        marker.parent.mkdir(parents=True, exist_ok=True)
        body = {"profile": self.profile, "lake": self.lake,
                "created": datetime.now(UTC).isoformat(timespec="seconds")}
        marker.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def lake_slug(profile: str, lake_uri: str) -> str:
    """``<profile>-<lake folder or bucket>-<hash>``: readable, unique per (profile, lake URI)."""
    lake = _normal(lake_uri)
    digest = hashlib.sha256(f"{profile}\n{lake}".encode()).hexdigest()[:10]
    tail = lake.rstrip("/").rsplit("/", 1)[-1] or "root"
    readable = re.sub(r"[^A-Za-z0-9._]+", "-", f"{profile}-{tail}").strip("-.")[:48]
    return f"{readable}-{digest}"


def _normal(lake_uri: str) -> str:
    return uris.to_native(lake_uri).rstrip("/") or "/"


def _profile_and_lake(settings: Settings, profile: StorageProfile | None) -> tuple[str, str]:
    if profile is not None:
        return profile.name, _normal(profile.lake_uri)
    try:
        built = get_profile(settings)
    except UnknownProfileError:
        raise
    except StorageError:
        # the moto profile needs a running server to be built, but its lake is known without one
        opts = settings.profile_options()
        if str(opts.get("kind") or settings.profile) != "moto":
            raise
        return settings.profile, _normal(str(settings.lake or opts.get("lake") or DEFAULT_MOTO_LAKE))
    return built.name, _normal(built.lake_uri)


def catalog_scope(settings: Settings, profile: StorageProfile | None = None) -> CatalogScope:
    """The embedded catalog for ``profile``'s lake (the active profile by default)."""
    name, lake = _profile_and_lake(settings, profile)
    legacy = settings.home / CATALOG_FILE_NAME
    if settings.catalog_path is not None:
        path, kind = settings.catalog_path, "configured"
    else:
        path, kind = settings.home / CATALOGS_DIR / lake_slug(name, lake) / CATALOG_FILE_NAME, "lake"
    unused = legacy if legacy.is_file() and legacy.resolve() != path.resolve() else None
    return CatalogScope(path=path, kind=kind, profile=name, lake=lake, legacy_path=unused)


def warn_legacy_once(scope: CatalogScope) -> None:
    """Log :attr:`CatalogScope.notice` once per process (stderr when logging is unconfigured)."""
    if scope.legacy_path is None or scope.legacy_path in _warned:
        return
    _warned.add(scope.legacy_path)
    _log.warning(scope.notice)
