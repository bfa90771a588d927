"""Lineage: exactly what a training run read, so ``--reproduce`` can read it again.

A :class:`Lineage` names the source (catalog table or view, or inline SQL), the view's SQL with
every name expanded, and every underlying table with its URI and Delta version (``None`` for raw,
non-Delta tables, which record the partitions read instead, as Hive-style paths
``year=2026/month=11``). It is stored with the run as ``lineage.json`` (the authority) and
summarised in run and model-version tags (for display and search).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LINEAGE_ARTIFACT", "LINEAGE_FORMAT", "Lineage", "TableVersion"]

LINEAGE_ARTIFACT = "lineage.json"
LINEAGE_FORMAT = 1
_TABLES_TAG_LIMIT = 4000


def _version(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what}: expected a Delta version (integer >= 0) or None, got {value!r}")
    return value


@dataclass(frozen=True)
class TableVersion:
    """One table a run read: catalog name, storage URI, Delta version (or raw partitions)."""

    name: str
    uri: str
    version: int | None
    partitions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", _version(self.version, f"table {self.name}"))
        if self.partitions is not None:
            object.__setattr__(self, "partitions", tuple(str(p) for p in self.partitions))

    @property
    def label(self) -> str:
        """``name@version`` (Delta) or ``name[N partitions]`` (raw) or ``name`` (raw, all files)."""
        if self.version is not None:
            return f"{self.name}@{self.version}"
        if self.partitions is not None:
            return f"{self.name}[{len(self.partitions)} partitions]"
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uri": self.uri,
            "version": self.version,
            "partitions": list(self.partitions) if self.partitions is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableVersion:
        partitions = data.get("partitions")
        return cls(
            name=str(data["name"]),
            uri=str(data["uri"]),
            version=data.get("version"),
            partitions=tuple(partitions) if partitions is not None else None,
        )


@dataclass(frozen=True)
class Lineage:
    """What one training run read: source, expanded SQL, tables with versions, source version."""

    source: str
    expanded_sql: str | None
    tables: tuple[TableVersion, ...] = field(default=())
    source_version: int | None = None

    def __post_init__(self) -> None:
        tables: Iterable[TableVersion | Mapping[str, Any]] = self.tables or ()
        object.__setattr__(
            self,
            "tables",
            tuple(t if isinstance(t, TableVersion) else TableVersion.from_dict(t) for t in tables),
        )
        object.__setattr__(self, "source_version", _version(self.source_version, "source_version"))

    @property
    def sql_sha256(self) -> str | None:
        if self.expanded_sql is None:
            return None
        return hashlib.sha256(self.expanded_sql.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": LINEAGE_FORMAT,
            "source": self.source,
            "source_version": self.source_version,
            "expanded_sql": self.expanded_sql,
            "tables": [t.to_dict() for t in self.tables],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lineage:
        fmt = data.get("format", LINEAGE_FORMAT)
        if fmt != LINEAGE_FORMAT:
            raise ValueError(f"lineage format {fmt!r} is not supported (expected {LINEAGE_FORMAT})")
        return cls(
            source=str(data["source"]),
            expanded_sql=data.get("expanded_sql"),
            tables=tuple(TableVersion.from_dict(t) for t in data.get("tables") or ()),
            source_version=data.get("source_version"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Lineage:
        return cls.from_dict(json.loads(text))

    def tags(self) -> dict[str, str]:
        """A compact summary as ``lakeforge.lineage.*`` tags (the JSON artifact holds everything)."""
        tables = ",".join(t.label for t in self.tables)
        if len(tables) > _TABLES_TAG_LIMIT:
            tables = tables[:_TABLES_TAG_LIMIT] + f"… ({len(self.tables)} tables; see {LINEAGE_ARTIFACT})"
        tags = {"lakeforge.lineage.source": self.source, "lakeforge.lineage.tables": tables}
        if self.source_version is not None:
            tags["lakeforge.lineage.source_version"] = str(self.source_version)
        if self.sql_sha256 is not None:
            tags["lakeforge.lineage.sql_sha256"] = self.sql_sha256
        return tags
