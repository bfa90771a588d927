"""Split a SQL script into statements and classify each one.

Splitting uses sqlglot's tokenizer, so ``;`` inside strings, quoted names and comments never
splits. Each statement keeps its position in the script, so errors can name line and column.
Statements sqlglot parses (queries, CREATE, INSERT, MERGE, DELETE, DROP, USE, DESCRIBE) are
classified by node type; SHOW …, EXPLAIN and MSCK REPAIR are recognised by their keywords;
``CREATE OR REFRESH TABLE`` (an ETL table) by its head (:mod:`catalog.sql.etl_grammar`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from catalog.errors import InvalidInputError
from catalog.names import TableName
from catalog.sql.dialect import parse_sql, sqlglot_dialect
from catalog.sql.errors import SqlError, SqlSyntaxError, UnsupportedSqlError
from catalog.validation import validate_name

__all__ = [
    "QUERY_TYPES",
    "Statement",
    "StatementKind",
    "StatementText",
    "parse_statement",
    "split_statements",
    "table_name_of",
]

# Catalog prefixes accepted (and ignored) in three-part names.
_CATALOG_PREFIXES = {"awsdatacatalog", "spark_catalog", "lakeforge"}
QUERY_TYPES = (exp.Query,)


class StatementKind(StrEnum):
    """What a statement does (its handler is chosen by this)."""

    QUERY = "QUERY"
    CREATE_VIEW = "CREATE_VIEW"
    DROP_VIEW = "DROP_VIEW"
    CREATE_TABLE_AS = "CREATE_TABLE_AS"
    CREATE_TABLE = "CREATE_TABLE"
    CREATE_ETL_TABLE = "CREATE_ETL_TABLE"
    DROP_TABLE = "DROP_TABLE"
    CREATE_DATABASE = "CREATE_DATABASE"
    DROP_DATABASE = "DROP_DATABASE"
    INSERT = "INSERT"
    MERGE = "MERGE"
    DELETE = "DELETE"
    USE = "USE"
    SHOW_DATABASES = "SHOW_DATABASES"
    SHOW_TABLES = "SHOW_TABLES"
    SHOW_COLUMNS = "SHOW_COLUMNS"
    SHOW_PARTITIONS = "SHOW_PARTITIONS"
    SHOW_CREATE = "SHOW_CREATE"
    DESCRIBE = "DESCRIBE"
    EXPLAIN = "EXPLAIN"
    MSCK_REPAIR = "MSCK_REPAIR"
    CREATE_MODEL = "CREATE_MODEL"  # BigQuery ML: catalog/sql/ml_grammar.py, ml_statements.py
    DROP_MODEL = "DROP_MODEL"
    SHOW_MODELS = "SHOW_MODELS"
    ML_QUERY = "ML_QUERY"  # a query calling ML.PREDICT / ML.EVALUATE / …

    @property
    def is_ddl(self) -> bool:
        return self in _DDL

    @property
    def writes(self) -> bool:
        """True for statements that change the catalog or table data."""
        return self in _DDL or self in (StatementKind.INSERT, StatementKind.MERGE,
                                        StatementKind.DELETE, StatementKind.MSCK_REPAIR)


_DDL = {
    StatementKind.CREATE_VIEW, StatementKind.DROP_VIEW, StatementKind.CREATE_TABLE_AS,
    StatementKind.CREATE_TABLE, StatementKind.DROP_TABLE, StatementKind.CREATE_DATABASE,
    StatementKind.DROP_DATABASE, StatementKind.CREATE_ETL_TABLE,
}


@dataclass(frozen=True)
class StatementText:
    """One statement's text, its index in the script and where it starts (1-based)."""

    text: str
    index: int = 0
    line: int = 1
    column: int = 1

    def position(self, offset: int) -> tuple[int, int]:
        """Script line/column of character ``offset`` of this statement's text."""
        before = self.text[:offset]
        rel_line = before.count("\n") + 1
        rel_col = offset - (before.rfind("\n") + 1) + 1
        if rel_line == 1:
            return self.line, self.column + rel_col - 1
        return self.line + rel_line - 1, rel_col

    def shift(self, line: int | None, column: int | None) -> tuple[int | None, int | None]:
        """Statement-relative line/column (as sqlglot reports them) → script line/column."""
        if line is None:
            return None, None
        if line == 1:
            return self.line, (self.column + column - 1) if column is not None else None
        return self.line + line - 1, column


@dataclass(frozen=True)
class Statement:
    """A classified statement: its kind, parsed form and the names it is about."""

    kind: StatementKind
    source: StatementText
    dialect: str
    ast: exp.Expression | None = None
    name: TableName | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    inner: Statement | None = None

    @property
    def text(self) -> str:
        return self.source.text


# --------------------------------------------------------------------------- splitting


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _unterminated(script: str) -> SqlSyntaxError:
    """Locate an unterminated string, quoted name or comment (the tokenizer gives no position)."""
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if script.startswith("/*", i):
            end = script.find("*/", i + 2)
            if end < 0:
                return SqlSyntaxError("unterminated comment", *_line_col(script, i))
            i = end + 2
            continue
        if ch in "'\"`":
            j = i + 1
            while j < n:
                if script[j] == "\\" and ch != "`":
                    j += 2
                    continue
                if script[j] == ch:
                    if j + 1 < n and script[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                what = "string" if ch == "'" else "quoted name"
                return SqlSyntaxError(f"unterminated {what}", *_line_col(script, i))
            i = j + 1
            continue
        i += 1
    return SqlSyntaxError("cannot tokenize the script")


def split_statements(script: str, dialect: str = "spark") -> list[StatementText]:
    """The non-empty ``;``-separated statements of ``script`` with their positions."""
    reader = sqlglot.Dialect.get_or_raise(sqlglot_dialect(dialect))
    try:
        tokens = reader.tokenize(script)
    except TokenError:
        raise _unterminated(script) from None
    out: list[StatementText] = []
    start: int | None = None
    end = 0
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if start is not None:
                line, col = _line_col(script, start)
                out.append(StatementText(script[start : end + 1].rstrip(), len(out), line, col))
            start = None
            continue
        if start is None:
            start = token.start
        end = token.end
    return out


# --------------------------------------------------------------------------- names

_NAME = r"(?:`[^`]+`|\"[^\"]+\"|[\w\-]+)"
_QUALIFIED = rf"{_NAME}(?:\s*\.\s*{_NAME}){{0,2}}"


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "`\"":
        return part[1:-1]
    return part


def _qualified(parts: list[str], default_database: str, text: str) -> TableName:
    parts = [p for p in parts if p]
    if len(parts) == 3:
        if parts[0].lower() not in _CATALOG_PREFIXES:
            raise UnsupportedSqlError(
                f"catalog {parts[0]!r} in {text!r}", "names are db.table (the lakeforge catalog)"
            )
        parts = parts[1:]
    if len(parts) == 1:
        parts = [default_database, parts[0]]
    try:
        return TableName(validate_name("database", parts[0]), validate_name("table", parts[1]))
    except InvalidInputError as exc:
        raise SqlError(f"invalid name {text!r}: {exc}") from None


def table_name_of(table: exp.Table, default_database: str) -> TableName:
    """The ``db.table`` a sqlglot Table node names (a bare name → ``default_database``)."""
    parts = [table.catalog, table.db, table.name]
    return _qualified([p for p in parts if p], default_database, table.sql())


def _name_from_text(text: str, default_database: str) -> TableName:
    parts = [_unquote(p) for p in re.findall(_NAME, text)]
    return _qualified(parts, default_database, text)


def _database_from_text(text: str) -> str:
    try:
        return validate_name("database", _unquote(text))
    except InvalidInputError as exc:
        raise SqlError(f"invalid database name {text!r}: {exc}") from None


# --------------------------------------------------------------------------- keyword statements

_FLAGS = re.IGNORECASE | re.DOTALL
_SHOW_DATABASES = re.compile(r"^SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'(?P<like>[^']*)')?\s*$", _FLAGS)
_SHOW_TABLES = re.compile(
    rf"^SHOW\s+(?P<what>TABLES|VIEWS)(?:\s+(?:IN|FROM)\s+(?P<db>{_NAME}))?"
    r"(?:\s+(?:LIKE\s+)?'(?P<like>[^']*)')?\s*$",
    _FLAGS,
)
_SHOW_COLUMNS = re.compile(rf"^SHOW\s+COLUMNS\s+(?:IN|FROM)\s+(?P<name>{_QUALIFIED})\s*$", _FLAGS)
_SHOW_PARTITIONS = re.compile(rf"^SHOW\s+PARTITIONS\s+(?P<name>{_QUALIFIED})\s*$", _FLAGS)
_SHOW_CREATE = re.compile(
    rf"^SHOW\s+CREATE\s+(?P<what>VIEW|TABLE)\s+(?P<name>{_QUALIFIED})\s*$", _FLAGS
)
_DESCRIBE = re.compile(
    rf"^(?:DESCRIBE|DESC)(?:\s+(?P<style>EXTENDED|FORMATTED))?(?:\s+TABLE)?\s+(?P<name>{_QUALIFIED})\s*$",
    _FLAGS,
)
_EXPLAIN = re.compile(
    r"^EXPLAIN(?:\s+(?P<mode>EXTENDED|FORMATTED|COST|CODEGEN|ANALYZE))?\s+(?P<rest>.+)$", _FLAGS
)
_MSCK = re.compile(rf"^MSCK\s+REPAIR\s+TABLE\s+(?P<name>{_QUALIFIED})\s*$", _FLAGS)
_SHOW_ANY = re.compile(r"^SHOW\b", _FLAGS)
_CREATE_OR_REFRESH = re.compile(r"^CREATE\s+OR\s+REFRESH\b", _FLAGS)


def _keyword_statement(
    src: StatementText, dialect: str, default_database: str
) -> Statement | None:
    text = src.text.strip()
    if _CREATE_OR_REFRESH.match(text):
        from catalog.sql.etl_grammar import parse_etl_table  # it builds on this module

        return parse_etl_table(src, dialect, default_database)
    from catalog.sql.ml_grammar import parse_ml_statement  # it builds on this module

    ml = parse_ml_statement(src, dialect, default_database)
    if ml is not None:
        return ml
    if m := _SHOW_DATABASES.match(text):
        return Statement(StatementKind.SHOW_DATABASES, src, dialect, options={"like": m["like"]})
    if m := _SHOW_TABLES.match(text):
        db = _database_from_text(m["db"]) if m["db"] else default_database
        return Statement(
            StatementKind.SHOW_TABLES, src, dialect,
            options={"database": db, "like": m["like"], "views_only": m["what"].upper() == "VIEWS"},
        )
    if m := _SHOW_COLUMNS.match(text):
        return Statement(StatementKind.SHOW_COLUMNS, src, dialect,
                         name=_name_from_text(m["name"], default_database))
    if m := _SHOW_PARTITIONS.match(text):
        return Statement(StatementKind.SHOW_PARTITIONS, src, dialect,
                         name=_name_from_text(m["name"], default_database))
    if m := _SHOW_CREATE.match(text):
        return Statement(StatementKind.SHOW_CREATE, src, dialect,
                         name=_name_from_text(m["name"], default_database),
                         options={"what": m["what"].upper()})
    if m := _DESCRIBE.match(text):
        return Statement(StatementKind.DESCRIBE, src, dialect,
                         name=_name_from_text(m["name"], default_database),
                         options={"extended": bool(m["style"])})
    if m := _MSCK.match(text):
        return Statement(StatementKind.MSCK_REPAIR, src, dialect,
                         name=_name_from_text(m["name"], default_database))
    if m := _EXPLAIN.match(text):
        offset = src.text.find(m["rest"])
        line, col = src.position(offset)
        inner_src = StatementText(m["rest"], src.index, line, col)
        inner = parse_statement(inner_src, dialect, default_database)
        if inner.kind != StatementKind.QUERY:
            raise UnsupportedSqlError(f"EXPLAIN {inner.kind.value}", "EXPLAIN takes a query")
        return Statement(StatementKind.EXPLAIN, src, dialect, ast=inner.ast, inner=inner,
                         options={"mode": (m["mode"] or "").upper()})
    if _SHOW_ANY.match(text):
        raise UnsupportedSqlError(
            f"statement {' '.join(text.split()[:3])!r}",
            "supported: SHOW DATABASES, SHOW TABLES [IN db], SHOW VIEWS, SHOW COLUMNS, "
            "SHOW PARTITIONS, SHOW CREATE VIEW|TABLE", *src.position(0),
        )
    return None


# --------------------------------------------------------------------------- parsed statements


def _database_name(ast: exp.Expression) -> str:
    """The database a CREATE/DROP DATABASE|SCHEMA names (sqlglot keeps SCHEMA's in ``db``)."""
    node = ast.this or (ast.args.get("tables") or [None])[0]
    name = (node.name or node.db) if isinstance(node, exp.Table) else (node.name if node is not None else "")
    return _database_from_text(name)


def _target(node: exp.Expression | None, default_database: str) -> TableName:
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise SqlError(f"expected a table name, got {node.sql() if node else 'nothing'!r}")
    return table_name_of(node, default_database)


def _classify(ast: exp.Expression, src: StatementText, dialect: str, default_database: str) -> Statement:
    if isinstance(ast, exp.Query):
        return Statement(StatementKind.QUERY, src, dialect, ast=ast)
    if isinstance(ast, exp.Create):
        kind = (ast.args.get("kind") or "").upper()
        if kind == "VIEW":
            return Statement(StatementKind.CREATE_VIEW, src, dialect, ast=ast,
                             name=_target(ast.this, default_database))
        if kind == "TABLE":
            target = _target(ast.this, default_database)
            if isinstance(ast.expression, exp.Query):
                return Statement(StatementKind.CREATE_TABLE_AS, src, dialect, ast=ast, name=target)
            if isinstance(ast.this, exp.Schema):
                return Statement(StatementKind.CREATE_TABLE, src, dialect, ast=ast, name=target)
            raise UnsupportedSqlError("CREATE TABLE without columns or AS SELECT", "", *src.position(0))
        if kind in ("DATABASE", "SCHEMA"):
            return Statement(StatementKind.CREATE_DATABASE, src, dialect, ast=ast,
                             options={"database": _database_name(ast)})
        raise UnsupportedSqlError(f"CREATE {kind}", "", *src.position(0))
    if isinstance(ast, exp.Drop):
        kind = (ast.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return Statement(StatementKind.DROP_DATABASE, src, dialect, ast=ast,
                             options={"database": _database_name(ast)})
        if kind in ("TABLE", "VIEW"):
            names = ast.args.get("tables") or [ast.this]
            if len(names) != 1:
                raise UnsupportedSqlError(f"DROP {kind} of several names", "drop one at a time")
            return Statement(
                StatementKind.DROP_TABLE if kind == "TABLE" else StatementKind.DROP_VIEW,
                src, dialect, ast=ast, name=_target(names[0], default_database),
            )
        raise UnsupportedSqlError(f"DROP {kind}", "", *src.position(0))
    if isinstance(ast, exp.Insert):
        return Statement(StatementKind.INSERT, src, dialect, ast=ast,
                         name=_target(ast.this, default_database))
    if isinstance(ast, exp.Merge):
        return Statement(StatementKind.MERGE, src, dialect, ast=ast,
                         name=_target(ast.this, default_database))
    if isinstance(ast, exp.Delete):
        return Statement(StatementKind.DELETE, src, dialect, ast=ast,
                         name=_target(ast.this, default_database))
    if isinstance(ast, exp.Use):
        return Statement(StatementKind.USE, src, dialect, ast=ast,
                         options={"database": _database_from_text(ast.this.name)})
    if isinstance(ast, exp.Describe):
        return Statement(StatementKind.DESCRIBE, src, dialect, ast=ast,
                         name=_target(ast.this, default_database),
                         options={"extended": bool(ast.args.get("style"))})
    words = " ".join(src.text.split()[:2]).upper()
    raise UnsupportedSqlError(f"statement {words!r}", "", *src.position(0))


def parse_statement(src: StatementText, dialect: str = "spark",
                    default_database: str = "default") -> Statement:
    """Classify and parse one statement (syntax errors carry script line/column)."""
    keyword = _keyword_statement(src, dialect, default_database)
    if keyword is not None:
        return keyword
    try:
        ast = parse_sql(src.text, dialect)
    except SqlSyntaxError as exc:
        line, col = src.shift(exc.line, exc.column)
        raise SqlSyntaxError(exc.reason, line, col) from None
    if isinstance(ast, exp.Command):
        words = " ".join(src.text.split()[:2]).upper()
        raise UnsupportedSqlError(f"statement {words!r}", "", *src.position(0))
    return _classify(ast, src, dialect, default_database)
