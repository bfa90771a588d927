"""delta-rs errors (and the storage and Spark errors met on the way) as table-store errors.

By exception type only: delta-rs' ``TableNotFoundError`` is a missing table — or, after one
probe, a missing bucket, a path that is a file, or a folder of files without a log;
``CommitFailedError`` a concurrent commit (transient); ``SchemaMismatchError`` and
``DeltaProtocolError`` their store counterparts. ``OSError`` (delta-rs' object store and
pyarrow) goes to :mod:`lake.storage.translate`, pyspark/Py4J errors to
:mod:`lake.spark.translate`. Anything else is left as it is.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError, DeltaProtocolError
from deltalake.exceptions import SchemaMismatchError as _DeltaSchemaMismatch
from deltalake.exceptions import TableNotFoundError as _DeltaMissing

from lake.delta.errors import (
    ConcurrentCommitError,
    InvalidWriteError,
    NotADeltaTableError,
    SchemaMismatchError,
    TableNotFoundError,
    TableProtocolError,
    VersionNotFoundError,
)
from lake.errors import LakeforgeError, reraise_translated
from lake.spark.translate import translate_spark_error
from lake.storage import uris
from lake.storage.translate import translate_storage_error

if TYPE_CHECKING:
    from lake.storage import StorageProfile

__all__ = [
    "delta_errors", "first_line", "missing_table", "time_travel_error", "translate_delta_error", "translating",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PLAIN = frozenset({"uri"})  # methods that touch no storage
T = TypeVar("T")


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message without terminal colours (for display only)."""
    text = _ANSI.sub("", str(exc)).strip()
    return text.splitlines()[0].strip()[:300] if text else type(exc).__name__


def missing_table(profile: StorageProfile, uri: str) -> LakeforgeError:
    """Why there is no Delta table at ``uri``: the storage, a folder of other files, or nothing there."""
    problem = profile.diagnose(uri)
    if problem is not None:
        return problem
    fs, path = profile.filesystem(), profile.fs_path(uri).rstrip("/")
    try:
        listed = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    except OSError:
        listed = []
    if any(info.base_name != "_delta_log" for info in listed):
        return NotADeltaTableError(uri)
    return TableNotFoundError(uri)


def translate_delta_error(exc: BaseException, profile: StorageProfile, uri: str) -> LakeforgeError | None:
    """The lakeforge error for a foreign exception raised while using the table at ``uri``, or ``None``."""
    if isinstance(exc, LakeforgeError):
        return exc
    if isinstance(exc, _DeltaMissing):
        return missing_table(profile, uri)
    if isinstance(exc, CommitFailedError):
        return ConcurrentCommitError(uri, None, first_line(exc))
    if isinstance(exc, _DeltaSchemaMismatch):
        return SchemaMismatchError(uri, None, None, None, first_line(exc))
    if isinstance(exc, DeltaProtocolError):
        return TableProtocolError(uri, first_line(exc))
    if isinstance(exc, OSError) or type(exc).__module__.startswith("botocore"):
        return translate_storage_error(exc, profile, uri)
    return translate_spark_error(exc, profile, uri)


def time_travel_error(
    profile: StorageProfile, uri: str, version: int | None, timestamp: object, exc: BaseException
) -> LakeforgeError:
    """Why loading ``version`` (or the version at ``timestamp``) of the table at ``uri`` failed."""
    from deltalake import DeltaTable

    if version is not None:
        with delta_errors(profile, uri):
            latest = DeltaTable(uri, storage_options=profile.storage_options() or None, without_files=True).version()
        if version > latest or version < 0:
            return VersionNotFoundError(uri, version, latest)
    return InvalidWriteError(uri, f"cannot time travel to {version if version is not None else timestamp}: "
                                  f"{first_line(exc)}")


@contextmanager
def delta_errors(profile: StorageProfile, uri: str) -> Iterator[None]:
    """Re-raise foreign exceptions inside the block as table-store or storage errors where they can be named."""
    with reraise_translated(lambda exc: translate_delta_error(exc, profile, uri)):
        yield


def _target(store: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The table a store method works on: ``table=``, else its first name/URI or snapshot argument."""
    candidates = [kwargs["table"]] if "table" in kwargs else list(args)
    table = next((a for a in candidates if isinstance(a, str | DeltaTable)), None)
    if isinstance(table, str):
        return str(store.profile.resolve(table))
    if isinstance(table, DeltaTable):
        return uris.to_native(str(table.table_uri)).rstrip("/")
    return str(store.profile.lake_uri)


def translating(cls: type[T]) -> type[T]:
    """Class decorator: every public method of a table store raises lakeforge errors only.

    The method's table (``table=``, else its first name, URI or open snapshot argument) is the
    location errors are reported at; the store's ``profile`` probes it when an error needs that.
    """
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or name in _PLAIN or not inspect.isfunction(member):
            continue
        setattr(cls, name, _translated(member))
    return cls


def _translated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with reraise_translated(lambda exc: translate_delta_error(exc, self.profile, _target(self, args, kwargs))):
            return method(self, *args, **kwargs)

    return wrapper
