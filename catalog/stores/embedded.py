"""The ``embedded`` catalog store: one SQLite file, persistent and multi-process safe.

Every entity is stored as its Glue API JSON (``to_glue()`` with ISO times), so what the
embedded store returns is shaped exactly like what the Glue API returns. The file runs in
WAL mode with a busy timeout; every write is one ``BEGIN IMMEDIATE`` transaction, so
several processes (a crawler, a streaming job, the SQL shell) can write concurrently
without "database is locked" failures — they queue for the write lock instead.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.errors import (
    AlreadyExistsError,
    CatalogUnavailableError,
    ConcurrentModificationError,
    EntityNotFoundError,
    InvalidInputError,
)
from catalog.model import Database, Partition, Table, TableVersion, glue_json
from catalog.stores.base import (
    StoreBase,
    check_document,
    check_values,
    db_name,
    kind_name,
    partition_name,
    sort_partitions,
    table_name,
    values_filter,
    values_key,
)
from catalog.validation import validate_table

__all__ = ["EmbeddedStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS databases (
    name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tables (
    database TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (database, name));
CREATE TABLE IF NOT EXISTS table_versions (
    database TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (database, name, version));
CREATE TABLE IF NOT EXISTS partitions (
    database TEXT NOT NULL, table_name TEXT NOT NULL, vkey TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (database, table_name, vkey));
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, updated TEXT NOT NULL,
    PRIMARY KEY (collection, name));
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, key TEXT NOT NULL,
    body TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_key ON events (collection, key, seq);
"""
_BUSY_TIMEOUT_MS = 60_000
_LOCK_RETRIES = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _dump(value: Mapping[str, Any]) -> str:
    return json.dumps(glue_json(value), sort_keys=True)


_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _is_lock_contention(exc: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED (and their extended codes): another writer holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _LOCK_CODES


class EmbeddedStore(StoreBase):
    """A Glue-shaped catalog in a SQLite file (default ``<home>/catalog.db``)."""

    name = "embedded"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = _BUSY_TIMEOUT_MS):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL"))
        self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._write() as cur:
            for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                cur.execute(statement)

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ transactions
    def _retry(self, func: Any) -> Any:
        for attempt in range(_LOCK_RETRIES):
            try:
                return func()
            except sqlite3.OperationalError as exc:
                if not _is_lock_contention(exc):
                    raise
                if attempt == _LOCK_RETRIES - 1:
                    raise CatalogUnavailableError(self.name, f"{self.path}: {exc}") from None
                time.sleep(0.05 * 2**attempt)
        return None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        with self._lock:
            cur = self._conn.cursor()
            self._retry(lambda: cur.execute("BEGIN IMMEDIATE"))
            try:
                yield cur
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._retry(lambda: cur.execute("COMMIT"))

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Cursor]:
        """A consistent snapshot for several SELECTs."""
        with self._lock:
            cur = self._conn.cursor()
            self._retry(lambda: cur.execute("BEGIN"))
            try:
                yield cur
            finally:
                self._conn.rollback()

    # ------------------------------------------------------------------ lookups
    @staticmethod
    def _database_names(cur: sqlite3.Cursor) -> list[str]:
        return [r[0] for r in cur.execute("SELECT name FROM databases ORDER BY name")]

    def _require_database(self, cur: sqlite3.Cursor, name: str) -> None:
        if cur.execute("SELECT 1 FROM databases WHERE name = ?", (name,)).fetchone() is None:
            raise EntityNotFoundError("database", name, self._database_names(cur))

    def _load_table(self, cur: sqlite3.Cursor, database: str, name: str) -> Table:
        self._require_database(cur, database)
        row = cur.execute(
            "SELECT body FROM tables WHERE database = ? AND name = ?", (database, name)
        ).fetchone()
        if row is None:
            names = [
                f"{database}.{r[0]}"
                for r in cur.execute("SELECT name FROM tables WHERE database = ?", (database,))
            ]
            raise EntityNotFoundError("table", f"{database}.{name}", names)
        return Table.from_glue(json.loads(row[0]))

    # ------------------------------------------------------------------ databases
    def create_database(self, database: Database | str, *, exist_ok: bool = False) -> Database:
        db = Database(database) if isinstance(database, str) else database
        db = replace(db, name=db_name(db.name), create_time=db.create_time or _now())
        with self._write() as cur:
            row = cur.execute("SELECT body FROM databases WHERE name = ?", (db.name,)).fetchone()
            if row is not None:
                if exist_ok:
                    return Database.from_glue(json.loads(row[0]))
                raise AlreadyExistsError("database", db.name)
            cur.execute(
                "INSERT INTO databases (name, body) VALUES (?, ?)", (db.name, _dump(db.to_glue()))
            )
        return db

    def get_database(self, name: str) -> Database:
        name = db_name(name)
        with self._read() as cur:
            row = cur.execute("SELECT body FROM databases WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise EntityNotFoundError("database", name, self._database_names(cur))
        return Database.from_glue(json.loads(row[0]))

    def list_databases(self) -> list[Database]:
        with self._read() as cur:
            rows = cur.execute("SELECT body FROM databases ORDER BY name").fetchall()
        return [Database.from_glue(json.loads(r[0])) for r in rows]

    def delete_database(self, name: str) -> None:
        name = db_name(name)
        with self._write() as cur:
            self._require_database(cur, name)
            for tbl in ("tables", "table_versions"):
                cur.execute(f"DELETE FROM {tbl} WHERE database = ?", (name,))
            cur.execute("DELETE FROM partitions WHERE database = ?", (name,))
            cur.execute("DELETE FROM databases WHERE name = ?", (name,))

    # ------------------------------------------------------------------ tables
    def create_table(self, table: Table) -> Table:
        table = validate_table(table)
        now = _now()
        stored = replace(
            table, create_time=table.create_time or now, update_time=None, version_id="0"
        )
        with self._write() as cur:
            self._require_database(cur, table.database_name)
            exists = cur.execute(
                "SELECT 1 FROM tables WHERE database = ? AND name = ?",
                (table.database_name, table.name),
            ).fetchone()
            if exists:
                raise AlreadyExistsError("table", table.qualified_name)
            body = _dump(stored.to_glue())
            cur.execute(
                "INSERT INTO tables VALUES (?, ?, 0, ?)", (table.database_name, table.name, body)
            )
            cur.execute(
                "INSERT INTO table_versions VALUES (?, ?, 0, ?)",
                (table.database_name, table.name, body),
            )
        return stored

    def get_table(self, database: str, name: str) -> Table:
        with self._read() as cur:
            return self._load_table(cur, db_name(database), table_name(name))

    def list_tables(self, database: str) -> list[Table]:
        database = db_name(database)
        with self._read() as cur:
            self._require_database(cur, database)
            rows = cur.execute(
                "SELECT body FROM tables WHERE database = ? ORDER BY name", (database,)
            ).fetchall()
        return [Table.from_glue(json.loads(r[0])) for r in rows]

    def update_table(self, table: Table, *, expected_version: str | None = None) -> Table:
        table = validate_table(table)
        with self._write() as cur:
            current = self._load_table(cur, table.database_name, table.name)
            if expected_version is not None and expected_version != current.version_id:
                raise ConcurrentModificationError(
                    "table",
                    table.qualified_name,
                    f"expected version {expected_version}, found {current.version_id}",
                )
            version = int(current.version_id or 0) + 1
            stored = replace(
                table, create_time=current.create_time, update_time=_now(), version_id=str(version)
            )
            body = _dump(stored.to_glue())
            cur.execute(
                "UPDATE tables SET version = ?, body = ? WHERE database = ? AND name = ?",
                (version, body, table.database_name, table.name),
            )
            cur.execute(
                "INSERT INTO table_versions VALUES (?, ?, ?, ?)",
                (table.database_name, table.name, version, body),
            )
        return stored

    def delete_table(self, database: str, name: str) -> None:
        database, name = db_name(database), table_name(name)
        with self._write() as cur:
            self._load_table(cur, database, name)
            cur.execute("DELETE FROM tables WHERE database = ? AND name = ?", (database, name))
            cur.execute(
                "DELETE FROM table_versions WHERE database = ? AND name = ?", (database, name)
            )
            cur.execute(
                "DELETE FROM partitions WHERE database = ? AND table_name = ?", (database, name)
            )

    def get_table_versions(self, database: str, name: str) -> list[TableVersion]:
        database, name = db_name(database), table_name(name)
        with self._read() as cur:
            self._load_table(cur, database, name)
            rows = cur.execute(
                "SELECT version, body FROM table_versions WHERE database = ? AND name = ? "
                "ORDER BY version DESC",
                (database, name),
            ).fetchall()
        return [TableVersion(str(v), Table.from_glue(json.loads(b))) for v, b in rows]

    def get_table_version(self, database: str, name: str, version_id: str) -> TableVersion:
        database, name = db_name(database), table_name(name)
        try:
            number = int(version_id)
        except (TypeError, ValueError):
            raise InvalidInputError(
                "must be an integer string", field="version id", value=version_id
            ) from None
        with self._read() as cur:
            self._load_table(cur, database, name)
            row = cur.execute(
                "SELECT body FROM table_versions WHERE database = ? AND name = ? AND version = ?",
                (database, name, number),
            ).fetchone()
            if row is None:
                known = [
                    str(r[0])
                    for r in cur.execute(
                        "SELECT version FROM table_versions WHERE database = ? AND name = ?",
                        (database, name),
                    )
                ]
                raise EntityNotFoundError(f"version of {database}.{name}", str(version_id), known)
        return TableVersion(str(number), Table.from_glue(json.loads(row[0])))

    # ------------------------------------------------------------------ partitions
    def _stamp(self, table: Table, partition: Partition) -> Partition:
        return replace(
            partition,
            values=check_values(table, partition.values),
            database_name=table.database_name,
            table_name=table.name,
            creation_time=partition.creation_time or _now(),
        )

    def create_partition(self, database: str, table: str, partition: Partition) -> Partition:
        self.batch_create_partitions(database, table, [partition])
        return self.get_partition(database, table, partition.values)

    def batch_create_partitions(
        self, database: str, table: str, partitions: Sequence[Partition], *, exist_ok: bool = False
    ) -> int:
        database, table = db_name(database), table_name(table)
        created = 0
        with self._write() as cur:
            tbl = self._load_table(cur, database, table)
            for partition in partitions:
                stamped = self._stamp(tbl, partition)
                key = values_key(stamped.values)
                exists = cur.execute(
                    "SELECT 1 FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                    (database, table, key),
                ).fetchone()
                if exists:
                    if exist_ok:
                        continue
                    raise AlreadyExistsError("partition", partition_name(tbl, stamped.values))
                cur.execute(
                    "INSERT INTO partitions VALUES (?, ?, ?, ?)",
                    (database, table, key, _dump(stamped.to_glue())),
                )
                created += 1
        return created

    def get_partition(self, database: str, table: str, values: Sequence[str]) -> Partition:
        database, table = db_name(database), table_name(table)
        with self._read() as cur:
            tbl = self._load_table(cur, database, table)
            vals = check_values(tbl, values)
            row = cur.execute(
                "SELECT body FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                (database, table, values_key(vals)),
            ).fetchone()
            if row is None:
                known = [
                    partition_name(tbl, json.loads(r[0]))
                    for r in cur.execute(
                        "SELECT vkey FROM partitions WHERE database = ? AND table_name = ?",
                        (database, table),
                    )
                ]
                raise EntityNotFoundError("partition", partition_name(tbl, vals), known)
        return Partition.from_glue(json.loads(row[0]))

    def list_partitions(
        self,
        database: str,
        table: str,
        *,
        expression: str | None = None,
        values: Mapping[str, str] | None = None,
    ) -> list[Partition]:
        database, table = db_name(database), table_name(table)
        with self._read() as cur:
            tbl = self._load_table(cur, database, table)
            rows = cur.execute(
                "SELECT body FROM partitions WHERE database = ? AND table_name = ?",
                (database, table),
            ).fetchall()
        keep = values_filter(tbl, expression, values)
        parts = [Partition.from_glue(json.loads(r[0])) for r in rows]
        return sort_partitions(tbl, [p for p in parts if keep(p.values)])

    def update_partition(
        self, database: str, table: str, values: Sequence[str], partition: Partition
    ) -> Partition:
        database, table = db_name(database), table_name(table)
        with self._write() as cur:
            tbl = self._load_table(cur, database, table)
            old = check_values(tbl, values)
            row = cur.execute(
                "SELECT body FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                (database, table, values_key(old)),
            ).fetchone()
            if row is None:
                raise EntityNotFoundError("partition", partition_name(tbl, old))
            previous = Partition.from_glue(json.loads(row[0]))
            stamped = self._stamp(tbl, replace(partition, creation_time=previous.creation_time))
            if stamped.values != old:
                clash = cur.execute(
                    "SELECT 1 FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                    (database, table, values_key(stamped.values)),
                ).fetchone()
                if clash:
                    raise AlreadyExistsError("partition", partition_name(tbl, stamped.values))
            cur.execute(
                "DELETE FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                (database, table, values_key(old)),
            )
            cur.execute(
                "INSERT INTO partitions VALUES (?, ?, ?, ?)",
                (database, table, values_key(stamped.values), _dump(stamped.to_glue())),
            )
        return stamped

    def delete_partition(self, database: str, table: str, values: Sequence[str]) -> None:
        database, table = db_name(database), table_name(table)
        with self._write() as cur:
            tbl = self._load_table(cur, database, table)
            vals = check_values(tbl, values)
            cur.execute(
                "DELETE FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                (database, table, values_key(vals)),
            )
            if cur.rowcount == 0:
                raise EntityNotFoundError("partition", partition_name(tbl, vals))

    def batch_delete_partitions(
        self, database: str, table: str, values_list: Sequence[Sequence[str]]
    ) -> int:
        database, table = db_name(database), table_name(table)
        deleted = 0
        with self._write() as cur:
            tbl = self._load_table(cur, database, table)
            for values in values_list:
                cur.execute(
                    "DELETE FROM partitions WHERE database = ? AND table_name = ? AND vkey = ?",
                    (database, table, values_key(check_values(tbl, values))),
                )
                deleted += cur.rowcount
        return deleted

    # ------------------------------------------------------------------ meta collections
    def put_document(self, collection: str, name: str, payload: Mapping[str, Any]) -> None:
        body = check_document(collection, name, payload)
        with self._write() as cur:
            cur.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?) ON CONFLICT (collection, name) "
                "DO UPDATE SET body = excluded.body, updated = excluded.updated",
                (collection, name, body, _now().isoformat()),
            )

    def get_document(self, collection: str, name: str) -> dict[str, Any]:
        check_document(collection, name)
        with self._read() as cur:
            row = cur.execute(
                "SELECT body FROM documents WHERE collection = ? AND name = ?", (collection, name)
            ).fetchone()
            if row is None:
                known = [
                    r[0]
                    for r in cur.execute(
                        "SELECT name FROM documents WHERE collection = ?", (collection,)
                    )
                ]
                raise EntityNotFoundError(kind_name(collection), name, known)
        result: dict[str, Any] = json.loads(row[0])
        return result

    def list_documents(self, collection: str) -> dict[str, dict[str, Any]]:
        check_document(collection, "-")
        with self._read() as cur:
            rows = cur.execute(
                "SELECT name, body FROM documents WHERE collection = ? ORDER BY name",
                (collection,),
            ).fetchall()
        return {name: json.loads(body) for name, body in rows}

    def delete_document(self, collection: str, name: str) -> None:
        check_document(collection, name)
        with self._write() as cur:
            cur.execute(
                "DELETE FROM documents WHERE collection = ? AND name = ?", (collection, name)
            )
            if cur.rowcount == 0:
                known = [
                    r[0]
                    for r in cur.execute(
                        "SELECT name FROM documents WHERE collection = ?", (collection,)
                    )
                ]
                raise EntityNotFoundError(kind_name(collection), name, known)

    def append_event(self, collection: str, key: str, payload: Mapping[str, Any]) -> None:
        body = check_document(collection, key, payload)
        with self._write() as cur:
            cur.execute(
                "INSERT INTO events (collection, key, body, created) VALUES (?, ?, ?, ?)",
                (collection, key, body, _now().isoformat()),
            )

    def list_events(
        self, collection: str, key: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        check_document(collection, key)
        sql = "SELECT body FROM events WHERE collection = ? AND key = ? ORDER BY seq DESC"
        params: tuple[Any, ...] = (collection, key)
        if limit is not None:
            sql += " LIMIT ?"
            params += (int(limit),)
        with self._read() as cur:
            rows = cur.execute(sql, params).fetchall()
        return [json.loads(r[0]) for r in reversed(rows)]
