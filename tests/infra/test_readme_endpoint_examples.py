"""The SQL endpoint examples (docs/sql.md) query tables the example SQL library (infra/sql/) creates."""

from __future__ import annotations

import re
from pathlib import Path

import sqlglot
from sqlglot import exp

from catalog.sql.library import load_library

REPO = Path(__file__).resolve().parents[2]
SECTION = "## SQL endpoint"
_SQL_IN_CODE = re.compile(r"""(?:-e\s+|execute\()\s*(["'])((?:SELECT|WITH)\b.*?)\1""", re.IGNORECASE | re.DOTALL)


def _endpoint_code_blocks() -> list[str]:
    text = (REPO / "docs" / "sql.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    section = text[start : end if end != -1 else None]
    return re.findall(r"```[a-z]*\n(.*?)```", section, re.DOTALL)


def _example_queries() -> list[str]:
    return [m.group(2) for block in _endpoint_code_blocks() for m in _SQL_IN_CODE.finditer(block)]


def _tables(sql: str) -> set[str]:
    return {f"{t.db}.{t.name}".lower() for t in sqlglot.parse_one(sql, read="spark").find_all(exp.Table) if t.db}


def test_the_endpoint_section_has_sql_examples() -> None:
    assert len(_example_queries()) >= 2


def test_every_table_in_the_endpoint_examples_is_created_by_the_example_library() -> None:
    created = {str(name).lower() for f in load_library(REPO / "infra" / "sql") for name in f.creates}
    used = set().union(*(_tables(q) for q in _example_queries()))
    assert used, "no db.table names found in the README's endpoint examples"
    assert used <= created, f"README examples query {sorted(used - created)}; the library creates {sorted(created)}"
