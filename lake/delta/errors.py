"""Errors of the Delta table store."""

from __future__ import annotations

from collections.abc import Sequence

from lake.errors import TerminalError, TransientError

__all__ = [
    "ConcurrentCommitError",
    "DeltaStoreError",
    "InvalidWriteError",
    "MergeError",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
]


class DeltaStoreError(TerminalError):
    """Base of every table-store error."""


class TableNotFoundError(DeltaStoreError):
    """No Delta table (no ``_delta_log``) at the given location."""

    def __init__(self, table: str):
        self.table = table
        super().__init__(f"no Delta table at {table}")


class TableExistsError(DeltaStoreError):
    """``mode="create"`` on a location that already holds a Delta table."""

    def __init__(self, table: str):
        self.table = table
        super().__init__(f"a Delta table already exists at {table}")


class SchemaMismatchError(DeltaStoreError):
    """The data's schema does not fit the table's and evolution was not requested."""

    def __init__(
        self,
        table: str,
        column: str,
        from_type: str | None,
        to_type: str | None,
        reason: str,
    ):
        self.table = table
        self.column = column
        self.from_type = from_type
        self.to_type = to_type
        self.reason = reason
        super().__init__(
            f"{table}: column {column!r} {reason} (data type {from_type or '-'}, "
            f"table type {to_type or '-'})"
        )


class InvalidWriteError(DeltaStoreError):
    """The write request itself is inconsistent (mode, partitioning, predicate)."""

    def __init__(self, table: str, reason: str, *, columns: Sequence[str] = ()):
        self.table = table
        self.reason = reason
        self.columns = list(columns)
        super().__init__(f"{table}: {reason}")


class MergeError(DeltaStoreError):
    """A MERGE cannot be applied (e.g. several source rows match one target row)."""

    def __init__(self, table: str, reason: str):
        self.table = table
        self.reason = reason
        super().__init__(f"MERGE into {table}: {reason}")


class ConcurrentCommitError(TransientError):
    """Another writer committed a conflicting change first; the operation may be retried."""

    def __init__(self, table: str, version: int | None, reason: str):
        self.table = table
        self.version = version
        self.reason = reason
        super().__init__(f"{table}: concurrent commit conflict at version {version}: {reason}")
