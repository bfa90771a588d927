"""Errors of incremental ETL: definitions, sources, bookmarks."""

from __future__ import annotations

from lake.errors import LakeforgeError

__all__ = ["EtlError", "EtlSpecError", "HistoryUnavailableError", "SourceMissingError"]


class EtlError(LakeforgeError):
    """Base of the ETL package's errors."""


class EtlSpecError(EtlError):
    """An ETL table's specification is inconsistent (names, sources, key, partitioning)."""

    template = "ETL table {table}: {reason}"
    table: str
    reason: str


class SourceMissingError(EtlError):
    """A source of an ETL table has no Delta table (yet) at its location."""

    template = "ETL table {table}: source {source} has no Delta table at {location}; write the source first"
    table: str
    source: str
    location: str


class HistoryUnavailableError(EtlError):
    """The commits after a bookmark can no longer be read (log cleaned up or files vacuumed)."""

    template = "{table}: cannot read the changes after version {since}: {reason}; run with --full-refresh"
    table: str
    since: int
    reason: str
