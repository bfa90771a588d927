"""One rule for every registration: a catalog name is never silently re-pointed.

Jobs, ``lake catalog register-delta``, CTAS and the crawler all register tables; each asks
:func:`check_location` first. The same location (spelled ``s3a://`` or ``s3://``, with or
without a trailing ``/``) is an update; another location is a :class:`LocationConflictError`
naming both, unless the caller moves the table on purpose (``replace=True``).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from catalog.errors import LocationConflictError
from lake.storage import uris

if TYPE_CHECKING:
    from catalog.model import Table
    from catalog.stores.base import CatalogStore

__all__ = ["check_location", "location_conflict", "normalize_location", "same_location"]


def normalize_location(location: str | None) -> str:
    """``location`` in one spelling: native scheme, no trailing ``/``, ``..`` folded for paths."""
    native = uris.to_native(location or "").rstrip("/")
    if native.startswith("/"):
        return posixpath.normpath(native)
    return native


def same_location(a: str | None, b: str | None) -> bool:
    """True when ``a`` and ``b`` name the same table root."""
    return bool(a) and bool(b) and normalize_location(a) == normalize_location(b)


def _describe(table: Table) -> str:
    if table.is_view:
        return "a view (no location)"
    return table.location or "no location"


def location_conflict(
    current: Table, location: str, *, replace: bool = False, hint: str | None = None
) -> LocationConflictError | None:
    """The error to raise when ``current`` lives elsewhere than ``location`` (``None`` if fine)."""
    if replace or same_location(current.location, location):
        return None
    fields = {"hint": hint} if hint else {}
    return LocationConflictError(current.qualified_name, _describe(current), location, **fields)


def check_location(
    store: CatalogStore,
    database: str,
    name: str,
    location: str,
    *,
    replace: bool = False,
    hint: str | None = None,
) -> Table | None:
    """The catalog's current ``database.name`` (``None`` if absent), checked against ``location``.

    Raises :class:`LocationConflictError` when it is registered at another location (or is a
    view) and ``replace`` is false.
    """
    if not store.table_exists(database, name):
        return None
    current = store.get_table(database, name)
    error = location_conflict(current, location, replace=replace, hint=hint)
    if error is not None:
        raise error
    return current
