"""Delta Lake tables with Spark doing the data work and ``deltalake`` committing."""

from lake.delta._scan import Filter, ScanPlan
from lake.delta.errors import (
    ConcurrentCommitError,
    DeltaStoreError,
    InvalidWriteError,
    MergeError,
    SchemaMismatchError,
    TableExistsError,
    TableNotFoundError,
)
from lake.delta.store import DeltaTableStore, WriteMode, WriteResult

__all__ = [
    "ConcurrentCommitError",
    "DeltaStoreError",
    "DeltaTableStore",
    "Filter",
    "InvalidWriteError",
    "MergeError",
    "ScanPlan",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
    "WriteMode",
    "WriteResult",
]
