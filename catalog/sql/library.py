"""Saved queries (in the catalog) and SQL libraries applied in dependency order.

A saved query is a catalog document (collection ``saved_queries``) holding its SQL, dialect
and default database. A SQL library is a folder of ``.sql`` files (e.g. ``infra/sql/``):
each file's CREATE VIEW / CREATE TABLE targets and the tables it reads are found with
sqlglot, the files are ordered so every file runs after the files creating what it reads
(ties broken by path), and a cycle fails naming the files and tables involved. A file may
start with ``-- dialect: athena`` to be read as Athena SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from catalog.names import TableName
from catalog.sql.dialect import sqlglot_dialect
from catalog.sql.errors import DependencyCycleError, SqlError
from catalog.sql.query import referenced_tables
from catalog.sql.statements import StatementKind, parse_statement, split_statements

if TYPE_CHECKING:
    from catalog.sql.engine import QueryResult, SqlEngine
    from catalog.stores.base import CatalogStore

__all__ = [
    "LibraryFile",
    "SavedQuery",
    "apply_library",
    "delete_saved_query",
    "dependency_order",
    "get_saved_query",
    "list_saved_queries",
    "load_library",
    "save_query",
]

_DIALECT_COMMENT = re.compile(r"^\s*--\s*dialect\s*:\s*(\w+)", re.IGNORECASE)
_CREATES = {StatementKind.CREATE_VIEW, StatementKind.CREATE_TABLE_AS, StatementKind.CREATE_TABLE,
            StatementKind.CREATE_ETL_TABLE}


# --------------------------------------------------------------------------- saved queries


@dataclass(frozen=True)
class SavedQuery:
    """A named query stored in the catalog."""

    name: str
    sql: str
    dialect: str = "spark"
    database: str = "default"
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def save_query(store: CatalogStore, name: str, sql: str, *, dialect: str = "spark",
               database: str = "default", description: str | None = None) -> SavedQuery:
    """Store (or replace) the named query after checking that every statement parses."""
    sqlglot_dialect(dialect)
    texts = split_statements(sql, dialect)
    if not texts:
        raise SqlError(f"saved query {name!r} has no SQL statement")
    for text in texts:
        parse_statement(text, dialect, database)
    now = datetime.now(UTC).isoformat()
    created = now
    existing = store.list_saved_queries().get(name)
    if existing:
        created = existing.get("created_at", now)
    query = SavedQuery(name, sql, dialect, database, description, created, now)
    store.put_saved_query(name, query.to_json())
    return query


def get_saved_query(store: CatalogStore, name: str) -> SavedQuery:
    """The named query (EntityNotFoundError with suggestions if absent)."""
    return _saved(name, store.get_saved_query(name))


def list_saved_queries(store: CatalogStore) -> list[SavedQuery]:
    """Every saved query, sorted by name."""
    return [_saved(name, data) for name, data in store.list_saved_queries().items()]


def _saved(name: str, data: dict[str, Any]) -> SavedQuery:
    fields = {k: data[k] for k in SavedQuery.__dataclass_fields__ if k in data}
    fields.setdefault("name", name)
    return SavedQuery(**fields)


def delete_saved_query(store: CatalogStore, name: str) -> None:
    store.delete_saved_query(name)


# --------------------------------------------------------------------------- SQL libraries


@dataclass
class LibraryFile:
    """One ``.sql`` file of a library: what it creates and what it reads."""

    path: Path
    sql: str
    dialect: str
    creates: list[TableName] = field(default_factory=list)
    reads: list[TableName] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.path)


def _parse_file(path: Path, sql: str, dialect: str, database: str) -> LibraryFile:
    if m := _DIALECT_COMMENT.match(sql):
        dialect = m[1].lower()
    sqlglot_dialect(dialect)
    out = LibraryFile(path, sql, dialect)
    db = database
    for text in split_statements(sql, dialect):
        try:
            stmt = parse_statement(text, dialect, db)
        except SqlError as exc:
            raise SqlError(f"{path}: {exc}") from None
        if stmt.kind == StatementKind.USE:
            db = stmt.options["database"]
            continue
        if stmt.kind in _CREATES and stmt.name is not None and stmt.name not in out.creates:
            out.creates.append(stmt.name)
        query = stmt.ast.expression if stmt.kind in _CREATES and isinstance(stmt.ast, exp.Create) else stmt.ast
        if query is not None and stmt.kind != StatementKind.CREATE_TABLE:
            for name in referenced_tables(query, db):
                if name not in out.reads and name not in out.creates:
                    out.reads.append(name)
    return out


def load_library(folder: str | Path, *, dialect: str = "spark", database: str = "default") -> list[LibraryFile]:
    """Every ``*.sql`` file under ``folder`` (recursively), parsed, in path order."""
    root = Path(folder)
    if not root.is_dir():
        raise SqlError(f"SQL library folder {root} does not exist")
    files = sorted(p for p in root.rglob("*.sql") if p.is_file())
    if not files:
        raise SqlError(f"no .sql files under {root}")
    return [_parse_file(p, p.read_text(encoding="utf-8"), dialect, database) for p in files]


def dependency_order(files: Sequence[LibraryFile]) -> list[LibraryFile]:
    """``files`` ordered so each comes after the files creating what it reads."""
    creator: dict[TableName, LibraryFile] = {}
    for f in files:
        for name in f.creates:
            if name in creator and creator[name] is not f:
                raise SqlError(f"{name} is created by both {creator[name].path} and {f.path}")
            creator[name] = f
    by_name = {f.name: f for f in files}
    graph: TopologicalSorter[str] = TopologicalSorter()
    for f in sorted(files, key=lambda x: x.name):
        deps = sorted({creator[r].name for r in f.reads if r in creator and creator[r] is not f})
        graph.add(f.name, *deps)
    try:
        graph.prepare()
    except CycleError as exc:
        cycle = list(exc.args[1]) if len(exc.args) > 1 else []
        labelled = [f"{name} ({', '.join(str(t) for t in by_name[name].creates) or '-'})" for name in cycle]
        raise DependencyCycleError(labelled) from None
    ordered: list[str] = []
    while graph.is_active():
        ready = sorted(graph.get_ready())
        ordered.extend(ready)
        graph.done(*ready)
    return [by_name[n] for n in ordered]


def apply_library(
    engine: SqlEngine,
    folder: str | Path,
    *,
    on_file: Callable[[LibraryFile, list[QueryResult]], None] | None = None,
) -> list[tuple[LibraryFile, list[QueryResult]]]:
    """Run every file of the library in dependency order (stops at the first failure)."""
    files = dependency_order(load_library(folder, dialect=engine.dialect, database=engine.database))
    out = []
    for f in files:
        database, source_dir = engine.database, engine.source_dir
        engine.source_dir = f.path.parent  # ETL tables' rule files sit beside their .sql file
        try:
            results = engine.execute(f.sql, dialect=f.dialect, save_results=False)
        except SqlError as exc:
            raise SqlError(f"{f.path}: {exc}") from exc
        finally:
            engine.database, engine.source_dir = database, source_dir
        out.append((f, results))
        if on_file is not None:
            on_file(f, results)
    return out
