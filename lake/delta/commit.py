"""Delta commits: one transaction of add and remove actions, app transactions, the version it got.

:func:`commit_files` is the store's public ``commit``: data files written with
``write_files`` and removals of files a scan plan named, committed at once. The lower-level
helpers (:func:`create_table`, :func:`commit_actions`) serve ``write``, ``merge`` and ``delete``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, Transaction, create_table_with_add_actions

from lake.delta._ownership import CREATED_IN, check_new_location
from lake.delta._paths import partition_value_string
from lake.delta._schema import delta_arrow_schema
from lake.delta._txn import AppTransactions, all_done, transaction_list
from lake.delta.errors import ConcurrentCommitError, InvalidWriteError, TableExistsError
from lake.delta.read import open_snapshot, table_root, try_snapshot
from lake.delta.translate import first_line
from lake.storage import StorageProfile

if TYPE_CHECKING:
    from lake.delta.store import DeltaTableStore

__all__ = [
    "MODES",
    "DataFiles",
    "WriteResult",
    "add_columns",
    "commit_actions",
    "commit_error",
    "commit_files",
    "commit_properties",
    "create_table",
    "removes_for_files",
    "removes_for_partitions",
]

MODES = ("append", "overwrite", "create", "error")


@dataclass(frozen=True)
class WriteResult:
    """What a commit did (``committed=False``: a no-op, e.g. its app transactions were there).

    ``rows`` counts the rows in the files added.
    """

    table: str
    version: int | None
    committed: bool
    files_added: int = 0
    files_removed: int = 0
    rows: int = 0


@dataclass(frozen=True)
class DataFiles:
    """Data files written under a table root and not committed yet (files not in the log don't exist).

    ``schema`` and ``partition_by`` are the files' (a commit that creates the table uses them);
    ``created_in`` is what was at a new table's location before the files were written
    (recorded in the first commit, see :mod:`lake.delta._ownership`), ``None`` for an existing table.
    """

    adds: list[AddAction]
    rows: int
    schema: pa.Schema | None = None
    partition_by: tuple[str, ...] = ()
    created_in: str | None = None


def commit_files(
    store: DeltaTableStore,
    table: str | DeltaTable,
    adds: DataFiles | Sequence[AddAction],
    removes: Collection[str],
    *,
    mode: str,
    schema: pa.Schema | None,
    partition_by: Sequence[str] | None,
    app_transactions: AppTransactions | None,
    commit_metadata: dict[str, Any] | None,
    operation: str,
) -> WriteResult:
    """Commit ``adds`` and the removal of the files ``removes`` (URIs) in one transaction; see
    :meth:`~lake.delta.store.DeltaTableStore.commit`."""
    uri = table_root(table) if isinstance(table, DeltaTable) else store.uri(table)
    if mode not in MODES:
        raise InvalidWriteError(uri, f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
    if mode == "overwrite" and removes:
        raise InvalidWriteError(uri, "mode='overwrite' removes every file already; give no removes")
    txns = transaction_list(uri, None, None, app_transactions)
    files = adds if isinstance(adds, DataFiles) else DataFiles(list(adds), _rows(adds))
    planned = table if isinstance(table, DeltaTable) else try_snapshot(store.profile, uri)
    if planned is None:
        if removes:
            open_snapshot(store.profile, uri)  # raises why there is no table
        return _create(store, uri, files, mode=mode, schema=schema, partition_by=partition_by, txns=txns,
                       commit_metadata=commit_metadata, operation=operation)
    if mode in ("create", "error"):
        raise TableExistsError(uri)
    return _commit_to(store, uri, planned, files, removes, mode=mode, schema=schema, partition_by=partition_by,
                      txns=txns, commit_metadata=commit_metadata, operation=operation,
                      owned=not isinstance(table, DeltaTable))


def _commit_to(
    store: DeltaTableStore, uri: str, planned: DeltaTable, files: DataFiles, removes: Collection[str], *,
    mode: str, schema: pa.Schema | None, partition_by: Sequence[str] | None, txns: AppTransactions,
    commit_metadata: dict[str, Any] | None, operation: str, owned: bool, hooked: bool = False,
) -> WriteResult:
    """Commit to the existing table ``planned`` (``owned``: ours to move to the latest version)."""
    removed = removes_for_files(planned, set(removes))
    if len(removed) != len(set(removes)):
        root = table_root(planned)
        unknown = sorted(set(removes) - {f"{root}/{r.path}" for r in removed})
        raise InvalidWriteError(uri, f"{len(unknown)} files to remove are not in version {planned.version()} "
                                     f"of the table (e.g. {unknown[0]})")
    pcols = list(planned.metadata().partition_columns)
    if partition_by is not None and list(partition_by) != pcols:
        raise InvalidWriteError(uri, f"table is partitioned by {pcols}, the commit says {list(partition_by)}",
                                columns=list(partition_by))
    existing = delta_arrow_schema(planned.schema())
    wanted = _evolved(uri, existing, schema) if schema is not None else existing
    if not files.adds and not removed and not txns and mode == "append":
        return WriteResult(uri, planned.version(), committed=False)
    if store.before_commit is not None and not hooked:
        store.before_commit(uri, files.adds)
    latest = planned if owned else open_snapshot(store.profile, uri)
    if owned:
        latest.update_incremental()
    if all_done(latest, txns):
        return WriteResult(uri, latest.version(), committed=False)
    _check_still_there(uri, latest, removed)
    if wanted is not existing:
        add_columns(latest, existing, wanted)
    props = commit_properties(operation, mode, commit_metadata, txns)
    version = commit_actions(store.profile, latest, uri, [*files.adds, *removed],
                             "overwrite" if mode == "overwrite" else "append", wanted, pcols, props)
    return WriteResult(uri, version, True, len(files.adds), len(removed), files.rows)


def _create(
    store: DeltaTableStore, uri: str, files: DataFiles, *, mode: str, schema: pa.Schema | None,
    partition_by: Sequence[str] | None, txns: AppTransactions, commit_metadata: dict[str, Any] | None,
    operation: str,
) -> WriteResult:
    """The commit that creates the table (another writer creating it first: commit to theirs)."""
    table_schema = schema if schema is not None else files.schema
    if table_schema is None:
        raise InvalidWriteError(uri, "a commit that creates the table needs its schema (or files from write_files)")
    pcols = list(partition_by if partition_by is not None else files.partition_by)
    created_in = files.created_in or check_new_location(store.profile, uri)
    if store.before_commit is not None:
        store.before_commit(uri, files.adds)
    props = commit_properties(operation, mode, {**(commit_metadata or {}), CREATED_IN: created_in}, txns)
    version = create_table(store.profile, uri, table_schema, files.adds, pcols, props, mode)
    if version is None:
        return _commit_to(store, uri, open_snapshot(store.profile, uri), files, (), mode=mode, schema=schema,
                          partition_by=partition_by, txns=txns, commit_metadata=commit_metadata,
                          operation=operation, owned=True, hooked=True)
    return WriteResult(uri, version, True, len(files.adds), 0, files.rows)


def _rows(adds: Sequence[AddAction]) -> int:
    return sum(int(json.loads(a.stats).get("numRecords", 0)) if a.stats else 0 for a in adds)


def _evolved(uri: str, existing: pa.Schema, wanted: pa.Schema) -> pa.Schema:
    """``wanted`` when it is the table's schema plus new nullable columns (else an error); the
    existing schema object itself when nothing changes."""
    if wanted.equals(existing):
        return existing
    kept = pa.schema([wanted.field(n) for n in existing.names]) if set(existing.names) <= set(wanted.names) else None
    added = [f for f in wanted if f.name not in existing.names]
    if kept is None or not kept.equals(existing) or not all(f.nullable for f in added):
        raise InvalidWriteError(uri, "a commit may only add nullable columns to the table's schema "
                                     "(other changes: write with schema_mode='overwrite')")
    return wanted


def _check_still_there(uri: str, latest: DeltaTable, removed: list[RemoveAction]) -> None:
    """A concurrent commit that removed a file we remove (OPTIMIZE, DELETE …) is a conflict."""
    if not removed:
        return
    present = {unquote(p) for p in pa.table(latest.get_add_actions(flatten=False)).column("path").to_pylist()}
    gone = [r.path for r in removed if r.path not in present]
    if gone:
        raise ConcurrentCommitError(uri, latest.version(), f"{len(gone)} files this commit removes were removed "
                                                           f"by another commit (e.g. {gone[0]}); plan it again")


def commit_properties(
    operation: str, mode: str, extra: dict[str, Any] | None, txns: AppTransactions = ()
) -> CommitProperties:
    """Commit metadata (operation, mode, a unique commit id) and the app transactions to record."""
    meta: dict[str, Any] = {"lakeforge.operation": operation, "lakeforge.mode": mode,
                            "lakeforge.commitId": uuid.uuid4().hex}
    meta.update(extra or {})
    actions = [Transaction(app, version) for app, version in txns] or None
    return CommitProperties(custom_metadata=meta, app_transactions=actions, max_commit_retries=50)


def commit_error(uri: str, version: int | None, exc: Exception) -> Exception:
    """By type: delta-rs raises ``CommitFailedError`` for conflicts, existing versions and exhausted retries."""
    if isinstance(exc, CommitFailedError):
        return ConcurrentCommitError(uri, version, first_line(exc))
    return InvalidWriteError(uri, f"commit failed: {first_line(exc)}")


def create_table(
    profile: StorageProfile, uri: str, schema: pa.Schema, adds: list[AddAction], partition_by: Sequence[str],
    props: CommitProperties, mode: str,
) -> int | None:
    """Commit version 0 with ``adds``; ``None`` when another writer created the table first and
    ``mode`` lets us commit to theirs (append, overwrite)."""
    from deltalake import Schema

    options = profile.storage_options()
    try:
        create_table_with_add_actions(
            uri, Schema.from_arrow(schema), adds, mode="error",
            partition_by=list(partition_by) or None, storage_options=options, commit_properties=props,
        )
    except DeltaError as exc:
        if DeltaTable.is_deltatable(uri, storage_options=options):  # another writer created it first
            if mode in ("append", "overwrite"):
                return None
            raise TableExistsError(uri) from None
        raise commit_error(uri, None, exc) from None
    return 0


def commit_actions(
    profile: StorageProfile, dt: DeltaTable, uri: str, actions: list[Any], mode: str, schema: pa.Schema,
    partition_by: Sequence[str], props: CommitProperties,
) -> int:
    """Commit ``actions`` on top of ``dt``'s version; returns the version the commit got."""
    read_version = dt.version()
    try:
        dt.create_write_transaction(actions, mode, schema, partition_by=list(partition_by) or None,
                                    commit_properties=props)
    except (CommitFailedError, DeltaError) as exc:
        raise commit_error(uri, dt.version(), exc) from None
    return _committed_version(profile, uri, props, read_version)


def _committed_version(profile: StorageProfile, uri: str, props: CommitProperties, read_version: int) -> int:
    """The version our commit got: concurrent writers may have committed before or after it.

    Reads the commit files themselves (``history()`` can misnumber entries while other
    writers are mid-commit) and matches our ``lakeforge.commitId``.
    """
    token = (props.custom_metadata or {}).get("lakeforge.commitId")
    latest = DeltaTable(uri, storage_options=profile.storage_options()).version()
    fs = profile.filesystem()
    log = f"{profile.fs_path(uri)}/_delta_log"
    for version in range(latest, read_version, -1):
        with fs.open_input_stream(f"{log}/{version:020d}.json") as fh:
            for line in fh.read().decode().splitlines():
                info = json.loads(line).get("commitInfo")
                if info is not None:
                    if info.get("lakeforge.commitId") == token:
                        return version
                    break
    raise ConcurrentCommitError(uri, latest, "committed, but the commit was not found in the log")


def add_columns(dt: DeltaTable, existing: pa.Schema, wanted: pa.Schema) -> None:
    """Schema evolution: add the new (nullable) columns to the table's metadata."""
    from deltalake import Schema

    new = pa.schema([f for f in wanted if f.name not in existing.names])
    dt.alter.add_columns(list(Schema.from_arrow(new).fields))
    dt.update_incremental()


def _removes_where(dt: DeltaTable, matches: Callable[[str, dict[str, str | None]], bool]) -> list[RemoveAction]:
    """Remove actions for the snapshot's files for which ``matches(uri, partition values)``."""
    root = table_root(dt)
    now = int(time.time() * 1000)
    out = []
    for row in pa.table(dt.get_add_actions(flatten=False)).to_pylist():
        path = unquote(row["path"])
        values = _partition_strings(row.get("partition"))
        if matches(f"{root}/{path}", values or {}):
            out.append(RemoveAction(path, True, now, row["size_bytes"], values))
    return out


def removes_for_files(dt: DeltaTable, files: Collection[str]) -> list[RemoveAction]:
    """Remove actions for the files (URIs) of ``dt`` among ``files``."""
    return _removes_where(dt, lambda uri, _values: uri in files)


def removes_for_partitions(dt: DeltaTable, pcols: Sequence[str], adds: list[AddAction]) -> list[RemoveAction]:
    """Remove actions for every file of ``dt`` in a partition that ``adds`` write to."""
    wanted = {tuple(a.partition_values.get(c) for c in pcols) for a in adds}
    return _removes_where(dt, lambda _uri, values: tuple(values.get(c) for c in pcols) in wanted)


def _partition_strings(values: dict[str, Any] | None) -> dict[str, str | None] | None:
    if values is None:
        return None
    return {k: partition_value_string(v) for k, v in values.items()}
