"""``CREATE OR REFRESH TABLE``: the head of an ETL table declaration, parsed before sqlglot sees the query.

Grammar (Delta Live Tables' order, plus a key; KEY and PARTITIONED BY may come in either order)::

    CREATE OR REFRESH TABLE [db.]name
      [( CONSTRAINT c EXPECT (expr) [ON VIOLATION DROP ROW | ON VIOLATION FAIL UPDATE], … )]
      [KEY (col, …)]
      [PARTITIONED BY (col, …)]
    AS query

The head is read from sqlglot's tokens (so strings, quoted names and comments are handled as
in any statement); each EXPECT expression and the query are then parsed by sqlglot in the
statement's dialect. Every error names the script line and column of the offending token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from catalog.names import TableName
from catalog.sql.dialect import parse_sql, sqlglot_dialect, to_spark_sql
from catalog.sql.errors import SqlSyntaxError
from catalog.sql.statements import Statement, StatementKind, StatementText, table_name_of

__all__ = ["Constraint", "EtlTableStatement", "parse_etl_table"]

_ACTIONS = {"DROP": "drop", "FAIL": "fail"}


@dataclass(frozen=True)
class Constraint:
    """``CONSTRAINT name EXPECT (expression) [ON VIOLATION …]``: a row rule (Spark SQL expression)."""

    name: str
    expression: str
    action: str = "warn"
    written: str = ""  # the expression as written, in the statement's dialect
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "expression": self.expression, "action": self.action, "written": self.written}


@dataclass(frozen=True)
class EtlTableStatement:
    """A parsed declaration: target, row rules, key, partitioning and the query."""

    name: TableName
    constraints: tuple[Constraint, ...]
    key: tuple[str, ...]
    partitioned_by: tuple[str, ...]
    query: exp.Expression  # an exp.Query
    query_source: StatementText


class _Head:
    """A cursor over the tokens of the statement's head."""

    def __init__(self, src: StatementText, tokens: list[Token]) -> None:
        self.src = src
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def where(self, token: Token | None = None) -> tuple[int, int]:
        token = token if token is not None else self.tok
        if token is None:
            return self.src.position(len(self.src.text))
        return self.src.position(token.start)

    def error(self, reason: str, token: Token | None = None) -> SqlSyntaxError:
        return SqlSyntaxError(reason, *self.where(token))

    def word(self, *words: str) -> bool:
        tok = self.tok
        return tok is not None and tok.token_type != TokenType.STRING and tok.text.upper() in words

    def take(self, *words: str, what: str | None = None) -> Token:
        tok = self.tok
        if not self.word(*words):
            found = f"{tok.text!r}" if tok is not None else "the end of the statement"
            raise self.error(f"expected {what or ' or '.join(words)}, found {found}")
        assert tok is not None
        self.i += 1
        return tok

    def type(self, kind: TokenType, what: str) -> Token:
        tok = self.tok
        if tok is None or tok.token_type != kind:
            found = f"{tok.text!r}" if tok is not None else "the end of the statement"
            raise self.error(f"expected {what}, found {found}")
        self.i += 1
        return tok

    def identifier(self, what: str) -> str:
        tok = self.tok
        if tok is None or tok.token_type == TokenType.STRING or not _is_name(tok):
            found = f"{tok.text!r}" if tok is not None else "the end of the statement"
            raise self.error(f"expected {what}, found {found}")
        self.i += 1
        return tok.text

    def columns(self, clause: str) -> tuple[str, ...]:
        self.type(TokenType.L_PAREN, f"'(' after {clause}")
        names: list[str] = []
        while True:
            token = self.tok
            name = self.identifier(f"a column name in {clause}")
            if name.lower() in (n.lower() for n in names):
                raise self.error(f"{clause} names the column {name!r} twice", token)
            names.append(name)
            if self.tok is None or self.tok.token_type != TokenType.COMMA:
                break
            self.i += 1
        self.type(TokenType.R_PAREN, f"',' or ')' in {clause}")
        return tuple(names)

    def balanced(self, what: str) -> tuple[Token, Token]:
        """The ``(`` … ``)`` group at the cursor: its first and last token."""
        opening = self.type(TokenType.L_PAREN, f"'(' {what}")
        depth = 1
        while self.tok is not None:
            tok = self.tok
            self.i += 1
            if tok.token_type == TokenType.L_PAREN:
                depth += 1
            elif tok.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    return opening, tok
        raise self.error(f"unbalanced parentheses {what}", opening)


def _is_name(tok: Token) -> bool:
    return tok.token_type in (TokenType.VAR, TokenType.IDENTIFIER) or (tok.text.replace("_", "").isalnum()
                                                                      and not tok.text[:1].isdigit())


def parse_etl_table(src: StatementText, dialect: str = "spark", default_database: str = "default") -> Statement:
    """Parse a ``CREATE OR REFRESH TABLE`` statement (see the module docstring)."""
    reader = sqlglot.Dialect.get_or_raise(sqlglot_dialect(dialect))
    try:
        tokens = reader.tokenize(src.text)
    except TokenError:
        raise SqlSyntaxError("cannot tokenize the statement", *src.position(0)) from None
    head = _Head(src, tokens)
    head.take("CREATE")
    head.take("OR")
    head.take("REFRESH")
    head.take("TABLE", what="TABLE (CREATE OR REFRESH TABLE db.name … AS SELECT …)")
    name = _name(head, default_database)
    constraints: tuple[Constraint, ...] = ()
    if head.tok is not None and head.tok.token_type == TokenType.L_PAREN:
        constraints = _constraints(head, dialect)
    key: tuple[str, ...] | None = None
    partitioned: tuple[str, ...] | None = None
    while head.tok is not None and not head.word("AS"):
        if head.word("KEY") and key is None:
            head.take("KEY")
            key = head.columns("KEY")
        elif head.tok.token_type == TokenType.PARTITION_BY and partitioned is None:
            head.i += 1
            partitioned = head.columns("PARTITIONED BY")
        elif head.word("PARTITIONED") and partitioned is None:
            head.take("PARTITIONED")
            head.take("BY")
            partitioned = head.columns("PARTITIONED BY")
        else:
            expected = [w for w, seen in (("KEY (…)", key), ("PARTITIONED BY (…)", partitioned)) if seen is None]
            raise head.error(f"expected {', '.join([*expected, 'AS'])}, found {head.tok.text!r}")
    as_token = head.take("AS", what="AS followed by the query")
    query, query_src = _query(src, as_token, dialect)
    statement = EtlTableStatement(name, constraints, key or (), partitioned or (), query, query_src)
    return Statement(StatementKind.CREATE_ETL_TABLE, src, dialect, ast=query, name=name,
                     options={"etl": statement})


def _name(head: _Head, default_database: str) -> TableName:
    start = head.tok
    parts = [head.identifier("the table name (db.name)")]
    while head.tok is not None and head.tok.token_type == TokenType.DOT:
        head.i += 1
        parts.append(head.identifier("a name after '.'"))
    if len(parts) > 3:
        raise head.error("a table name has at most three parts (catalog.db.name)", start)
    node = exp.to_table(".".join(f"`{p}`" for p in parts), dialect="spark")
    try:
        return table_name_of(node, default_database)
    except Exception as exc:
        raise head.error(str(exc), start) from None


def _constraints(head: _Head, dialect: str) -> tuple[Constraint, ...]:
    head.type(TokenType.L_PAREN, "'('")
    out: list[Constraint] = []
    while True:
        start = head.take("CONSTRAINT", what="CONSTRAINT name EXPECT (expression)")
        name = head.identifier("the constraint's name")
        head.take("EXPECT", what=f"EXPECT (expression) after CONSTRAINT {name}")
        opening, closing = head.balanced(f"around the EXPECT expression of {name}")
        written = head.src.text[opening.end + 1 : closing.start].strip()
        expression = _expression(head, written, opening, dialect, name)
        action = "warn"
        if head.word("ON"):
            head.take("ON")
            head.take("VIOLATION", what="VIOLATION after ON")
            verb = head.take("DROP", "FAIL", what="DROP ROW or FAIL UPDATE after ON VIOLATION")
            head.take("ROW" if verb.text.upper() == "DROP" else "UPDATE")
            action = _ACTIONS[verb.text.upper()]
        if any(c.name.lower() == name.lower() for c in out):
            raise head.error(f"two constraints are named {name!r}", start)
        line, column = head.where(start)
        out.append(Constraint(name, expression, action, written, line, column))
        if head.tok is not None and head.tok.token_type == TokenType.COMMA:
            head.i += 1
            continue
        head.type(TokenType.R_PAREN, "',' or ')' after a constraint")
        return tuple(out)


def _expression(head: _Head, written: str, opening: Token, dialect: str, name: str) -> str:
    """The EXPECT expression as Spark SQL; a syntax error points into the statement."""
    if not written:
        raise head.error(f"constraint {name}: the EXPECT expression is empty", opening)
    offset = head.src.text.index(written, opening.end)
    base = StatementText(written, head.src.index, *head.src.position(offset))
    try:
        parsed = parse_sql(written, dialect)
    except SqlSyntaxError as exc:
        line, column = base.shift(exc.line, exc.column) if exc.line is not None else base.position(0)
        raise SqlSyntaxError(f"constraint {name}: {exc.reason}", line, column) from None
    if isinstance(parsed, exp.Query) or not isinstance(parsed, exp.Expression):
        raise head.error(f"constraint {name}: EXPECT takes a boolean expression, not a query", opening)
    return to_spark_sql(parsed, dialect)


def _query(src: StatementText, as_token: Token, dialect: str) -> tuple[exp.Expression, StatementText]:
    offset = as_token.end + 1
    while offset < len(src.text) and src.text[offset].isspace():
        offset += 1
    text = src.text[offset:]
    query_src = StatementText(text, src.index, *src.position(offset))
    if not text.strip():
        raise SqlSyntaxError("expected a query after AS", *query_src.position(0))
    try:
        ast = parse_sql(text, dialect)
    except SqlSyntaxError as exc:
        line, column = query_src.shift(exc.line, exc.column)
        raise SqlSyntaxError(exc.reason, line, column) from None
    if not isinstance(ast, exp.Query):
        raise SqlSyntaxError("CREATE OR REFRESH TABLE … AS takes a query (SELECT …)", *query_src.position(0))
    return ast, query_src
