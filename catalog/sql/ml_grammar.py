"""BigQuery ML's surface in ``lake sql``: the grammar (what sqlglot cannot parse), read before sqlglot sees the text.

Statements::

    CREATE [OR REPLACE] MODEL [IF NOT EXISTS] ml.name OPTIONS (model_type='logistic_reg', …) AS SELECT …
    DROP MODEL [IF EXISTS] ml.name
    SHOW MODELS [LIKE 'pattern']

Table functions, anywhere a table can stand in a query::

    ML.PREDICT(MODEL ml.name, TABLE db.t)            ML.PREDICT(MODEL ml.name, (SELECT …))
    ML.EVALUATE(MODEL ml.name [, TABLE … | (SELECT …)])
    ML.CONFUSION_MATRIX(MODEL ml.name, TABLE … | (SELECT …))
    ML.ROC_CURVE(MODEL ml.name, TABLE … | (SELECT …))

A model reference is ``MODEL ml.name`` (the ``champion`` alias if the model has one, else its
latest version), ``MODEL ml.name VERSION 3``, ``MODEL ml.name ALIAS challenger``, or the
registry reference backquoted: ``MODEL `ml.name@challenger```, ``MODEL `ml.name:3```. Models live
in the ``ml`` namespace; the database may be left out. Each table-function call is replaced by a
placeholder table (``_lf_ml.call_<i>``) and the rest of the query is parsed by sqlglot in the
statement's dialect (spark or athena), so the surrounding SQL is ordinary SQL of that dialect.

Athena's SageMaker functions, before a query::

    USING EXTERNAL FUNCTION risk(age DOUBLE, resting_bp DOUBLE) RETURNS DOUBLE SAGEMAKER 'heart-risk'
    [, EXTERNAL FUNCTION …] SELECT risk(age, resting_bp) FROM …

name a running ``lake serve`` endpoint; the declarations are taken off the query
(:class:`ExternalFunction`) and the functions are registered for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from catalog.names import TableName
from catalog.sql.errors import SqlSyntaxError, UnsupportedSqlError
from catalog.sql.statements import Statement, StatementKind, StatementText

__all__ = ["FUNCTIONS", "MODEL_DATABASE", "PLACEHOLDER_DATABASE", "RETURN_TYPES", "ExternalFunction", "MlCall",
           "ModelName", "parse_ml_statement"]

MODEL_DATABASE = "ml"
PLACEHOLDER_DATABASE = "_lf_ml"
FUNCTIONS = ("PREDICT", "EVALUATE", "CONFUSION_MATRIX", "ROC_CURVE")
_FLAGS = re.IGNORECASE | re.DOTALL
_IDENT = r"(?:`[^`]+`|[A-Za-z_][\w-]*)"
_CREATE = re.compile(rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?MODEL\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
                     rf"(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*(?P<rest>.*)$", _FLAGS)
_DROP = re.compile(rf"^DROP\s+MODEL\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*$", _FLAGS)
_SHOW = re.compile(r"^SHOW\s+MODELS(?:\s+(?:LIKE\s+)?'(?P<like>[^']*)')?\s*$", _FLAGS)
_CALL = re.compile(r"\bML\s*\.\s*(?P<fn>[A-Za-z_]+)\s*\(", _FLAGS)
_MODEL_ARG = re.compile(rf"^MODEL\s+(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)"
                        r"(?:\s+(?P<kind>VERSION|ALIAS)\s+(?P<which>[\w-]+))?$", _FLAGS)
_USING = re.compile(r"^USING\s+(?=EXTERNAL\s+FUNCTION\b)", _FLAGS)
_EXTERNAL = re.compile(
    r"^\s*EXTERNAL\s+FUNCTION\s+(?P<name>[A-Za-z_]\w*)\s*\((?P<params>[^)]*)\)\s*RETURNS\s+(?P<returns>[A-Za-z]+)"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?\s+SAGEMAKER\s+'(?P<endpoint>[^']+)'\s*(?P<comma>,)?", _FLAGS)
RETURN_TYPES = {"double": "double", "real": "float", "float": "float", "bigint": "bigint", "integer": "int",
                "int": "int", "smallint": "smallint", "tinyint": "tinyint", "varchar": "string", "string": "string",
                "char": "string", "boolean": "boolean"}
_TABLE_ARG = re.compile(rf"^TABLE\s+(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)$", _FLAGS)


@dataclass(frozen=True)
class ModelName:
    """A model reference: the registry name plus a version, an alias, or neither (champion, else latest)."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        suffix = f":{self.version}" if self.version is not None else f"@{self.alias}" if self.alias else ""
        return f"{MODEL_DATABASE}.{self.name}{suffix}"


@dataclass(frozen=True)
class MlCall:
    """One ``ML.<FUNCTION>(MODEL …, input)`` call and the placeholder table standing for it."""

    function: str
    model: ModelName
    placeholder: TableName
    table: str | None = None
    query: str | None = None
    text: str = ""


@dataclass(frozen=True)
class ExternalFunction:
    """``EXTERNAL FUNCTION name(params) RETURNS type SAGEMAKER 'endpoint'`` (Athena)."""

    name: str
    params: tuple[tuple[str, str], ...]
    returns: str
    endpoint: str


@dataclass
class _Scan:
    """Positions in ``text`` outside string literals, quoted identifiers and comments."""

    text: str
    code: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        text, n, i = self.text, len(self.text), 0
        self.code = [True] * n
        while i < n:
            ch = text[i]
            if ch in "'\"`":
                j = i + 1
                while j < n and not (text[j] == ch and (j + 1 >= n or text[j + 1] != ch)):
                    j += 2 if text[j] == ch else 1
                self._mask(i, j + 1)
                i = j + 1
            elif text.startswith("--", i):
                j = text.find("\n", i)
                j = n if j < 0 else j
                self._mask(i, j)
                i = j
            elif text.startswith("/*", i):
                j = text.find("*/", i + 2)
                j = n if j < 0 else j + 2
                self._mask(i, j)
                i = j
            else:
                i += 1

    def _mask(self, start: int, end: int) -> None:
        for k in range(start, min(end, len(self.code))):
            self.code[k] = False

    def closing(self, open_at: int) -> int:
        """Index of the parenthesis closing the one at ``open_at`` (-1 if unbalanced)."""
        depth = 0
        for k in range(open_at, len(self.text)):
            if not self.code[k]:
                continue
            if self.text[k] == "(":
                depth += 1
            elif self.text[k] == ")":
                depth -= 1
                if depth == 0:
                    return k
        return -1

    def split(self, start: int, end: int) -> list[tuple[int, int]]:
        """``[start, end)`` split at top-level commas."""
        parts, depth, begin = [], 0, start
        for k in range(start, end):
            if not self.code[k]:
                continue
            ch = self.text[k]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append((begin, k))
                begin = k + 1
        parts.append((begin, end))
        return parts


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if part.startswith("`") and part.endswith("`") else part


def model_name(text: str, kind: str | None = None, which: str | None = None) -> ModelName:
    """``ml.name`` / ``name`` / ```ml.name@alias``` / ```ml.name:3``` (+ VERSION n | ALIAS a) → :class:`ModelName`."""
    tokens = re.findall(r"`[^`]+`|[^.`\s]+", text.strip())
    if len(tokens) == 1 and tokens[0].startswith("`"):
        inner = _unquote(tokens[0])
        prefix = f"{MODEL_DATABASE}."
        parts = [MODEL_DATABASE, inner[len(prefix):]] if inner.lower().startswith(prefix) else [inner]
    else:
        parts = [_unquote(t) for t in tokens]
    if len(parts) == 2:
        database, name = parts
        if database.lower() != MODEL_DATABASE:
            raise UnsupportedSqlError(f"model {text.strip()}", f"models live in the {MODEL_DATABASE!r} namespace: "
                                      f"write MODEL {MODEL_DATABASE}.{name}")
    else:
        name = parts[0]
    version: int | None = None
    alias: str | None = None
    if "@" in name:
        name, alias = name.split("@", 1)
    elif ":" in name:
        name, number = name.split(":", 1)
        version = _version(number)
    if kind is not None and which is not None:
        if version is not None or alias is not None:
            raise UnsupportedSqlError(f"model {text.strip()}", "give a version or alias once")
        if kind.upper() == "VERSION":
            version = _version(which)
        else:
            alias = which
    if not name:
        raise UnsupportedSqlError(f"model {text.strip()}", "a model name is missing")
    return ModelName(name, version, alias)


def _version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UnsupportedSqlError(f"model version {text!r}", "a version is a whole number from 1")
    return int(text)


def parse_ml_statement(src: StatementText, dialect: str, default_database: str) -> Statement | None:
    """The ML statement ``src`` is, or ``None`` when it is not one (then sqlglot parses it)."""
    text = src.text.strip()
    if m := _CREATE.match(text):
        return _create_model(src, dialect, m)
    if m := _DROP.match(text):
        return Statement(StatementKind.DROP_MODEL, src, dialect,
                         options={"model": model_name(m["name"]), "if_exists": bool(m["ie"])})
    if m := _SHOW.match(text):
        return Statement(StatementKind.SHOW_MODELS, src, dialect, options={"like": m["like"]})
    external: list[ExternalFunction] = []
    if m := _USING.match(text):
        src, external = _external_functions(src, m.end())
    scan = _Scan(src.text)
    calls = [m for m in _CALL.finditer(src.text) if scan.code[m.start()]]
    if not calls and not external:
        return None
    return _ml_query(src, dialect, default_database, scan, calls, external)


def _external_functions(src: StatementText, start: int) -> tuple[StatementText, list[ExternalFunction]]:
    """The declarations after ``USING`` and the query that follows them."""
    text = src.text.strip()
    found: list[ExternalFunction] = []
    rest, offset = text[start:], start
    while True:
        m = _EXTERNAL.match(rest)
        if m is None:
            raise SqlSyntaxError("expected EXTERNAL FUNCTION name(param TYPE, …) RETURNS TYPE SAGEMAKER 'endpoint'",
                                 *src.position(offset))
        returns = m["returns"].lower()
        if returns not in RETURN_TYPES:
            raise UnsupportedSqlError(f"RETURNS {m['returns']}", f"supported: {', '.join(sorted(RETURN_TYPES))}",
                                      *src.position(offset))
        params = []
        for part in (p.strip() for p in m["params"].split(",") if p.strip()):
            pieces = part.split()
            if len(pieces) < 2:
                raise SqlSyntaxError(f"parameter {part!r} needs a name and a type", *src.position(offset))
            params.append((pieces[0], " ".join(pieces[1:]).lower()))
        found.append(ExternalFunction(m["name"].lower(), tuple(params), RETURN_TYPES[returns], m["endpoint"]))
        rest, offset = rest[m.end():], offset + m.end()
        if not m["comma"]:
            break
    names = [f.name for f in found]
    if len(set(names)) != len(names):
        raise SqlSyntaxError(f"external functions declared twice: {sorted({n for n in names if names.count(n) > 1})}",
                             *src.position(start))
    line, column = src.position(offset + (len(rest) - len(rest.lstrip())))
    return StatementText(rest.strip(), src.index, line, column), found


def _create_model(src: StatementText, dialect: str, m: re.Match[str]) -> Statement:
    rest, options = m["rest"], {}
    offset = src.text.find(rest) if rest else len(src.text)
    if re.match(r"^OPTIONS\s*\(", rest, _FLAGS):
        scan = _Scan(rest)
        open_at = rest.index("(")
        close = scan.closing(open_at)
        if close < 0:
            raise SqlSyntaxError("OPTIONS ( is not closed", *src.position(offset + open_at))
        options = parse_options(rest, scan, open_at + 1, close, src, offset)
        rest = rest[close + 1:].lstrip()
    query = re.match(r"^AS\s+(?P<q>.+)$", rest, _FLAGS)
    if query is None:
        raise SqlSyntaxError("CREATE MODEL needs AS SELECT … (the training data)", *src.position(offset))
    return Statement(StatementKind.CREATE_MODEL, src, dialect, options={
        "model": model_name(m["name"]), "replace": bool(m["replace"]), "if_not_exists": bool(m["ine"]),
        "options": options, "query": query["q"].strip().rstrip(";"),
    })


def parse_options(text: str, scan: _Scan, start: int, end: int, src: StatementText, offset: int) -> dict[str, Any]:
    """``key = value, …`` → a dict (strings, numbers, booleans, lists of those)."""
    out: dict[str, Any] = {}
    for begin, stop in scan.split(start, end):
        item = text[begin:stop].strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not re.match(r"^[a-z_][a-z0-9_]*$", key):
            raise SqlSyntaxError(f"OPTIONS entries are key = value, got {item!r}", *src.position(offset + begin))
        if key in out:
            raise SqlSyntaxError(f"option {key} is given twice", *src.position(offset + begin))
        out[key] = _value(value.strip(), src, offset + begin)
    return out


def _value(text: str, src: StatementText, at: int) -> Any:
    upper = text.upper()
    if upper.startswith("ARRAY[") or text.startswith("["):
        inner = text[text.index("[") + 1:]
        if not inner.endswith("]"):
            raise SqlSyntaxError(f"unclosed list {text!r}", *src.position(at))
        body = inner[:-1]
        scan = _Scan(body)
        return [_value(body[a:b].strip(), src, at) for a, b in scan.split(0, len(body)) if body[a:b].strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace(text[0] * 2, text[0])
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise SqlSyntaxError(f"option value {text!r} is not a string, number, boolean or list",
                             *src.position(at)) from None


def _ml_query(src: StatementText, dialect: str, default_database: str, scan: _Scan,
              matches: list[re.Match[str]], external: list[ExternalFunction]) -> Statement:
    from catalog.sql.dialect import parse_sql

    text = src.text
    pieces: list[str] = []
    calls: list[MlCall] = []
    cursor = 0
    for m in matches:
        if m.start() < cursor:
            raise UnsupportedSqlError("nested ML functions", "an ML function's input cannot call another one; "
                                      "write the inner call to a table or use a CTE-free subquery")
        function = m["fn"].upper()
        if function not in FUNCTIONS:
            raise UnsupportedSqlError(f"ML.{m['fn']}", f"supported: {', '.join('ML.' + f for f in FUNCTIONS)}",
                                      *src.position(m.start()))
        open_at = m.end() - 1
        close = scan.closing(open_at)
        if close < 0:
            raise SqlSyntaxError(f"ML.{function}( is not closed", *src.position(open_at))
        placeholder = TableName(PLACEHOLDER_DATABASE, f"call_{len(calls)}")
        calls.append(_call(function, text, scan, open_at + 1, close, placeholder, src))
        pieces += [text[cursor:m.start()], f"{placeholder.database}.{placeholder.table}"]
        cursor = close + 1
    pieces.append(text[cursor:])
    rewritten = "".join(pieces)
    ast = parse_sql(rewritten, dialect)
    from sqlglot import exp

    if not isinstance(ast, exp.Query):
        raise UnsupportedSqlError("ML functions outside a query", "use ML.* functions in SELECT … FROM")
    return Statement(StatementKind.ML_QUERY, StatementText(rewritten, src.index, src.line, src.column), dialect,
                     ast=ast, options={"calls": calls, "external": external, "original": src.text})


def _call(function: str, text: str, scan: _Scan, start: int, end: int, placeholder: TableName,
          src: StatementText) -> MlCall:
    args = [(a, b) for a, b in scan.split(start, end)]
    first = text[args[0][0]:args[0][1]].strip()
    m = _MODEL_ARG.match(first)
    if m is None:
        raise SqlSyntaxError(f"ML.{function} takes MODEL ml.name first, got {first[:60]!r}",
                             *src.position(args[0][0]))
    model = model_name(m["name"], m["kind"], m["which"])
    if len(args) > 2:
        raise UnsupportedSqlError(f"ML.{function} with {len(args)} arguments",
                                  "give MODEL and one input (TABLE db.t or (SELECT …)); thresholds and "
                                  "STRUCT options are not supported", *src.position(args[2][0]))
    table = query = None
    if len(args) == 2:
        arg = text[args[1][0]:args[1][1]].strip()
        if t := _TABLE_ARG.match(arg):
            table = ".".join(_unquote(p) for p in re.split(r"\s*\.\s*", t["name"]))
        elif arg.startswith("(") and arg.endswith(")"):
            query = arg[1:-1].strip()
        else:
            raise SqlSyntaxError(f"ML.{function}'s input is TABLE db.t or (SELECT …), got {arg[:60]!r}",
                                 *src.position(args[1][0]))
    elif function != "EVALUATE":
        raise UnsupportedSqlError(f"ML.{function} without input", "give the data: TABLE db.t or (SELECT …)",
                                  *src.position(start))
    return MlCall(function, model, placeholder, table, query, text[start:end])
