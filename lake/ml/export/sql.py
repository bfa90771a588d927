"""The shape of a ``SQLTransformer`` statement: ``SELECT *, <expr> AS <name>, … FROM __THIS__``.

Only that shape is exportable (row-wise expressions added to every column); anything that
filters, aggregates, joins or drops columns is refused with the reason. Parsing uses sqlglot's
Spark dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lake.ml.errors import ExportError

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["SqlProjection", "parse_projection"]

_STAGE = "SQLTransformer"
_REFUSED_CLAUSES = ("where", "group", "having", "order", "limit", "joins", "qualify", "distinct", "windows")


@dataclass(frozen=True)
class SqlProjection:
    """The added columns of a ``SELECT *, …`` statement, as (output name, expression) pairs."""

    statement: str
    items: tuple[tuple[str, exp.Expression], ...]

    @property
    def outputs(self) -> list[str]:
        return [name for name, _ in self.items]

    @property
    def inputs(self) -> list[str]:
        """Every column the expressions read, in first-use order."""
        from sqlglot import exp

        seen: list[str] = []
        for _, expression in self.items:
            for column in expression.find_all(exp.Column):
                if column.name not in seen:
                    seen.append(column.name)
        return seen

    def reads(self, name: str) -> list[str]:
        """The outputs whose expression reads column ``name``."""
        from sqlglot import exp

        return [out for out, e in self.items if any(c.name == name for c in e.find_all(exp.Column))]


def parse_projection(statement: str) -> SqlProjection:
    """Parse ``statement``; raise :class:`ExportError` unless it is ``SELECT *, expr AS name, … FROM __THIS__``."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(statement, read="spark")
    except sqlglot.errors.ParseError as exc:
        raise ExportError(stage=_STAGE, reason=f"cannot parse {statement!r}: {str(exc).splitlines()[0]}") from None
    if not isinstance(tree, exp.Select):
        raise ExportError(stage=_STAGE, reason=f"{statement!r} is not a SELECT")
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None or source.this.name != "__THIS__" or not isinstance(source.this, exp.Table):
        raise ExportError(stage=_STAGE, reason=f"{statement!r} must select FROM __THIS__ only")
    for clause in _REFUSED_CLAUSES:
        if tree.args.get(clause):
            raise ExportError(stage=_STAGE, reason=f"{statement!r} uses {clause.upper()}; only row-wise "
                              "SELECT *, <expression> AS <name> statements can be exported")
    projections = list(tree.expressions)
    if not projections or not isinstance(projections[0], exp.Star):
        raise ExportError(stage=_STAGE, reason=f"{statement!r} must start with SELECT * (it would drop columns)")
    items: list[tuple[str, exp.Expression]] = []
    for projection in projections[1:]:
        if not isinstance(projection, exp.Alias):
            raise ExportError(stage=_STAGE, reason=f"{projection.sql('spark')!r} in {statement!r} needs an "
                              "AS <name> alias")
        items.append((projection.alias, projection.this))
    return SqlProjection(statement, tuple(items))
