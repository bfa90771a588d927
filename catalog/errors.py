"""Typed errors of the catalog: each carries the entity kind and name it is about."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from lake.errors import LakeforgeError, Transient

__all__ = [
    "AlreadyExistsError",
    "CatalogError",
    "CatalogUnavailableError",
    "ConcurrentModificationError",
    "EntityNotFoundError",
    "InvalidInputError",
    "InvalidTypeError",
    "LocationConflictError",
    "UnknownStoreError",
    "did_you_mean",
]


def did_you_mean(suggestions: Iterable[str]) -> str:
    """``"; did you mean 'a', 'b'?"`` or ``""``."""
    shown = list(suggestions)
    return f"; did you mean {', '.join(repr(s) for s in shown)}?" if shown else ""


class CatalogError(LakeforgeError):
    """Base of every catalog error."""


class EntityNotFoundError(CatalogError):
    """A database, table, partition, version or document does not exist.

    ``kind`` is ``database``, ``table``, ``partition``, ``table version``, ``crawler``,
    ``saved query`` …; ``suggestions`` are the closest existing names (difflib).
    """

    template = "{kind} {name!r} not found{hint}"
    kind: str
    name: str
    suggestions: list[str]

    def __init__(self, kind: str, name: str, candidates: Iterable[str] = ()) -> None:
        close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
        super().__init__(kind=kind, name=name, suggestions=close)

    @property
    def hint(self) -> str:
        return did_you_mean(self.suggestions)


class AlreadyExistsError(CatalogError):
    """Creating an entity whose name is taken."""

    template = "{kind} {name!r} already exists"
    kind: str
    name: str


class InvalidInputError(CatalogError):
    """An argument violates the Glue data model (bad name, type, shape)."""

    template = "{prefix}{message}"
    message: str
    field: str | None = None
    value: object = None

    @property
    def prefix(self) -> str:
        return f"{self.field}: " if self.field else ""


class InvalidTypeError(InvalidInputError):
    """A Glue type string does not parse; ``position`` is the offending character index."""

    template = "invalid Glue type {type_string!r}: {reason}{where}"
    type_string: str
    reason: str
    position: int | None = None

    def __init__(self, type_string: str, reason: str, position: int | None = None) -> None:
        super().__init__(
            type_string=type_string, reason=reason, position=position, value=type_string
        )

    @property
    def where(self) -> str:
        return f" at position {self.position}" if self.position is not None else ""


class LocationConflictError(CatalogError):
    """A name is already registered at another location; moving it needs ``replace``."""

    template = "{table} is registered at {existing}, not {new}; {hint}"
    table: str
    existing: str
    new: str
    hint: str = "pass --replace to re-point it on purpose (no data is moved or deleted)"


class UnknownStoreError(CatalogError):
    """``catalog.store`` names no known backend."""

    template = "unknown catalog store {name!r}; valid stores: {known_list}"
    name: str
    known: list[str]

    @property
    def known_list(self) -> str:
        return ", ".join(sorted(self.known))


class ConcurrentModificationError(Transient, CatalogError):
    """Another writer changed the entity first (version mismatch); re-read and retry."""

    template = "{kind} {name!r} was modified concurrently{suffix}"
    kind: str
    name: str
    detail: str = ""

    @property
    def suffix(self) -> str:
        return f": {self.detail}" if self.detail else ""


class CatalogUnavailableError(Transient, CatalogError):
    """The catalog backend did not answer (endpoint down, throttled, database locked)."""

    template = "catalog store {store!r} unavailable: {reason}"
    store: str
    reason: str
