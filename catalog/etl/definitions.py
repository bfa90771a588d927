"""ETL table definitions in the catalog (collection ``etl_tables``) and their table-rule files.

A definition is what ``CREATE OR REFRESH TABLE`` declared: the query (as written and as
qualified Spark SQL), row rules, KEY, partitioning, where the table and its quarantine table
live, and the table rules read from the files beside the SQL when it was declared — stored
by content, so a run never depends on those files still being there.

Table-rule files are named after the table, in the folder of the ``.sql`` file:

- ``<db>.<table>.expectations.json`` / ``.yaml`` / ``.yml`` — a Great Expectations 1.x suite;
- ``<db>.<table>.dqdl`` — AWS Glue DQDL rules; a comment line ``# action: fail`` makes the
  whole ruleset stop the run (Glue has no per-rule actions; the default is ``warn``).

Both may exist; each becomes one GX suite run on what the run writes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from catalog.names import TableName, parse_table_name
from catalog.stores.base import CatalogStore
from lake.quality import RowRule, RuleAction, TableSuite, compile_dqdl, parse_suite

__all__ = [
    "COLLECTION",
    "EtlDefinition",
    "TableRuleFile",
    "delete_definition",
    "find_rule_files",
    "get_definition",
    "list_definitions",
    "put_definition",
]

COLLECTION = "etl_tables"
_SUITE_SUFFIXES = (".expectations.json", ".expectations.yaml", ".expectations.yml")
_DQDL_ACTION = re.compile(r"^\s*#\s*action\s*:\s*(\w+)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class TableRuleFile:
    """One table-rule file as declared: a GX suite (decoded) or DQDL text with its action."""

    kind: str  # "gx" | "dqdl"
    source: str
    suite: dict[str, Any] | None = None
    text: str | None = None
    action: str = "warn"

    def to_suite(self, table: TableName) -> TableSuite:
        """The GX suite this file stands for (checked against GX's registry)."""
        if self.kind == "dqdl":
            return compile_dqdl(self.text or "", name=f"{table.database}_{table.table}_dqdl",
                                action=self.action, source=self.source)
        return parse_suite(self.suite, source=self.source, default_name=f"{table.database}_{table.table}")


@dataclass(frozen=True)
class EtlDefinition:
    """A declared ETL table (one document of the ``etl_tables`` collection)."""

    name: str
    database: str
    dialect: str
    sql: str
    query: str
    query_spark: str
    location: str
    quarantine_location: str
    constraints: tuple[dict[str, str], ...] = ()
    key: tuple[str, ...] = ()
    partitioned_by: tuple[str, ...] = ()
    table_rules: tuple[TableRuleFile, ...] = ()
    shape: dict[str, Any] = field(default_factory=dict)
    declared_at: str = ""
    updated_at: str = ""
    query_id: str = ""

    @property
    def table_name(self) -> TableName:
        return parse_table_name(self.name)

    @property
    def definition_id(self) -> str:
        """A hash of everything that decides the table's content (a change → a full refresh)."""
        payload = {
            "query": self.query_spark, "constraints": list(self.constraints), "key": list(self.key),
            "partitioned_by": list(self.partitioned_by), "rules": [asdict(r) for r in self.table_rules],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def row_rules(self) -> tuple[RowRule, ...]:
        return tuple(RowRule(c["name"], c["expression"], RuleAction.parse(c["action"])) for c in self.constraints)

    def suites(self) -> tuple[TableSuite, ...]:
        return tuple(r.to_suite(self.table_name) for r in self.table_rules)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["definition_id"] = self.definition_id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EtlDefinition:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for key in ("constraints", "key", "partitioned_by"):
            fields[key] = tuple(fields.get(key) or ())
        fields["table_rules"] = tuple(TableRuleFile(**r) for r in data.get("table_rules") or ())
        return cls(**fields)


def find_rule_files(folder: Path | None, table: TableName) -> list[TableRuleFile]:
    """The table-rule files for ``table`` in ``folder`` (see the module docstring), checked."""
    if folder is None:
        return []
    out: list[TableRuleFile] = []
    stem = f"{table.database}.{table.table}"
    for suffix in _SUITE_SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            from lake.quality import load_suite

            suite = load_suite(path)  # validates against GX now, not at the first run
            out.append(TableRuleFile("gx", str(path), suite=suite.to_dict()))
    path = folder / f"{stem}.dqdl"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        match = _DQDL_ACTION.search(text)
        action = str(RuleAction.parse(match[1], allowed=(RuleAction.WARN, RuleAction.FAIL))) if match else "warn"
        rule = TableRuleFile("dqdl", str(path), text=text, action=action)
        rule.to_suite(table)  # a syntax error or unsupported rule fails the declaration
        out.append(rule)
    return out


def put_definition(store: CatalogStore, definition: EtlDefinition) -> None:
    store.put_document(COLLECTION, definition.name, definition.to_json())


def get_definition(store: CatalogStore, name: str | TableName) -> EtlDefinition:
    """The definition of ``db.table`` (EntityNotFoundError with suggestions when absent)."""
    key = str(name if isinstance(name, TableName) else parse_table_name(name))
    return EtlDefinition.from_json(store.get_document(COLLECTION, key))


def list_definitions(store: CatalogStore) -> list[EtlDefinition]:
    """Every declared ETL table, sorted by name."""
    return [EtlDefinition.from_json(d) for _, d in sorted(store.list_documents(COLLECTION).items())]


def delete_definition(store: CatalogStore, name: str | TableName) -> None:
    store.delete_document(COLLECTION, str(name))
