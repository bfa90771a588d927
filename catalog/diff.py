"""What changed between two definitions (e.g. two versions) of a catalog table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.model import Column, Table

__all__ = ["TableDiff", "diff_tables"]


@dataclass(frozen=True)
class TableDiff:
    """Differences from ``old`` to ``new``; empty collections / ``None`` mean unchanged."""

    columns_added: tuple[Column, ...] = ()
    columns_removed: tuple[Column, ...] = ()
    types_changed: tuple[tuple[str, str, str], ...] = ()  # (column, old type, new type)
    partition_keys: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
    location: tuple[str | None, str | None] | None = None
    table_type: tuple[str | None, str | None] | None = None
    view_text: tuple[str | None, str | None] | None = None
    parameters_added: dict[str, str] = field(default_factory=dict)
    parameters_removed: dict[str, str] = field(default_factory=dict)
    parameters_changed: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (
            self.columns_added
            or self.columns_removed
            or self.types_changed
            or self.partition_keys
            or self.location
            or self.table_type
            or self.view_text
            or self.parameters_added
            or self.parameters_removed
            or self.parameters_changed
        )

    def to_json(self) -> dict[str, Any]:
        def pair(value: tuple[Any, Any] | None) -> dict[str, Any] | None:
            return None if value is None else {"old": value[0], "new": value[1]}

        return {
            "columns_added": [c.to_glue() for c in self.columns_added],
            "columns_removed": [c.to_glue() for c in self.columns_removed],
            "types_changed": [{"Name": n, "old": o, "new": w} for n, o, w in self.types_changed],
            "partition_keys": pair(self.partition_keys),
            "location": pair(self.location),
            "table_type": pair(self.table_type),
            "view_text": pair(self.view_text),
            "parameters_added": self.parameters_added,
            "parameters_removed": self.parameters_removed,
            "parameters_changed": {
                k: {"old": o, "new": n} for k, (o, n) in self.parameters_changed.items()
            },
            "changed": not self.is_empty,
        }


def diff_tables(old: Table, new: Table) -> TableDiff:
    """Compare data columns by name, partition keys as a list, and the table's Parameters."""
    old_cols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in new.columns}
    changed = tuple(
        (name, old_cols[name].type, new_cols[name].type)
        for name in new_cols
        if name in old_cols and old_cols[name].type != new_cols[name].type
    )
    old_keys = [c.to_glue() for c in old.partition_keys]
    new_keys = [c.to_glue() for c in new.partition_keys]
    old_p, new_p = dict(old.parameters), dict(new.parameters)
    old_view = (old.view_original_text, old.view_expanded_text)
    new_view = (new.view_original_text, new.view_expanded_text)
    return TableDiff(
        columns_added=tuple(c for n, c in new_cols.items() if n not in old_cols),
        columns_removed=tuple(c for n, c in old_cols.items() if n not in new_cols),
        types_changed=changed,
        partition_keys=(old_keys, new_keys) if old_keys != new_keys else None,
        location=(old.location, new.location) if old.location != new.location else None,
        table_type=(old.table_type, new.table_type) if old.table_type != new.table_type else None,
        view_text=(old.view_original_text, new.view_original_text)
        if old_view != new_view
        else None,
        parameters_added={k: v for k, v in new_p.items() if k not in old_p},
        parameters_removed={k: v for k, v in old_p.items() if k not in new_p},
        parameters_changed={
            k: (old_p[k], v) for k, v in new_p.items() if k in old_p and old_p[k] != v
        },
    )
