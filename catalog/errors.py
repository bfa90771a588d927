"""Typed errors of the catalog: each carries the entity kind and name it is about."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from lake.errors import TerminalError, TransientError

__all__ = [
    "AlreadyExistsError",
    "CatalogError",
    "CatalogUnavailableError",
    "ConcurrentModificationError",
    "EntityNotFoundError",
    "InvalidInputError",
    "InvalidTypeError",
    "UnknownStoreError",
]


class CatalogError(TerminalError):
    """Base of every terminal catalog error."""


class EntityNotFoundError(CatalogError):
    """A database, table, partition, version or document does not exist.

    ``kind`` is ``database``, ``table``, ``partition``, ``table version``, ``crawler``,
    ``saved query`` …; ``suggestions`` are the closest existing names (difflib).
    """

    def __init__(self, kind: str, name: str, candidates: Iterable[str] = ()):
        self.kind = kind
        self.name = name
        self.suggestions = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
        hint = (
            f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
            if self.suggestions
            else ""
        )
        super().__init__(f"{kind} {name!r} not found{hint}")


class AlreadyExistsError(CatalogError):
    """Creating an entity whose name is taken."""

    def __init__(self, kind: str, name: str):
        self.kind = kind
        self.name = name
        super().__init__(f"{kind} {name!r} already exists")


class InvalidInputError(CatalogError):
    """An argument violates the Glue data model (bad name, type, shape)."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None):
        self.field = field
        self.value = value
        super().__init__(f"{field}: {message}" if field else message)


class InvalidTypeError(InvalidInputError):
    """A Glue type string does not parse; ``position`` is the offending character index."""

    def __init__(self, type_string: str, reason: str, position: int | None = None):
        self.type_string = type_string
        self.reason = reason
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(
            f"invalid Glue type {type_string!r}: {reason}{where}", field=None, value=type_string
        )


class UnknownStoreError(CatalogError):
    """``catalog.store`` names no known backend."""

    def __init__(self, name: str, known: Iterable[str]):
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown catalog store {name!r}; valid stores: {', '.join(self.known)}")


class ConcurrentModificationError(TransientError):
    """Another writer changed the entity first (version mismatch); re-read and retry."""

    def __init__(self, kind: str, name: str, detail: str = ""):
        self.kind = kind
        self.name = name
        super().__init__(
            f"{kind} {name!r} was modified concurrently{': ' + detail if detail else ''}"
        )


class CatalogUnavailableError(TransientError):
    """The catalog backend did not answer (endpoint down, throttled, database locked)."""

    def __init__(self, store: str, reason: str):
        self.store = store
        self.reason = reason
        super().__init__(f"catalog store {store!r} unavailable: {reason}")
