"""``SQLTransformer`` row expressions compiled to ONNX.

Supported: columns, number and string literals, ``CAST(… AS DOUBLE|FLOAT)`` (text that is not
a number becomes NaN, like Spark's null — this is how a numeric label is restored after
``IndexToString``), ``COALESCE``, ``GREATEST`` / ``LEAST`` (nulls skipped, as Spark does), ``+ - *``,
unary minus and division by a non-zero literal. A null number is NaN and a null string is the
null sentinel, so ``COALESCE`` and ``GREATEST`` treat NaN as null. Anything else is refused
naming the expression.
"""

from __future__ import annotations

from typing import Any

from onnx import TensorProto

from lake.ml.errors import ExportError
from lake.ml.export.converters._graph import Graph
from lake.ml.export.signature import NULL_STRING
from lake.ml.export.stages import sql_projection

__all__ = ["convert_sql", "shape_sql"]

_STAGE = "SQLTransformer"
_NUMBER = r"\s*[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|NaN|Infinity)\s*"


def _refuse(expression: Any, why: str) -> ExportError:
    return ExportError(stage=_STAGE, reason=f"{expression.sql('spark')!r}: {why}")


class _Compiler:
    """Compiles one expression over the operator's input variables; values are (name, kind)."""

    def __init__(self, g: Graph, variables: dict[str, Any]) -> None:
        self.g = g
        self.variables = variables

    def compile(self, e: Any) -> tuple[str, str]:
        from sqlglot import exp

        if isinstance(e, exp.Paren):
            return self.compile(e.this)
        if isinstance(e, exp.Column):
            variable = self.variables[e.name]
            return variable.full_name, "string" if _is_string(variable) else "double"
        if isinstance(e, exp.Literal):
            if e.is_string:
                return self.g.string_const("literal", e.this), "string"
            return self.g.const("literal", float(e.this)), "double"
        if isinstance(e, exp.Cast):
            return self._cast(e)
        if isinstance(e, exp.Coalesce):
            return self._coalesce(e)
        if isinstance(e, exp.Greatest | exp.Least):
            return self._extreme(e, "Max" if isinstance(e, exp.Greatest) else "Min")
        if isinstance(e, exp.Neg):
            return self.g.op("Neg", [self._number(e.this)]), "double"
        if isinstance(e, exp.Add | exp.Sub | exp.Mul):
            op = {exp.Add: "Add", exp.Sub: "Sub", exp.Mul: "Mul"}[type(e)]
            return self.g.op(op, [self._number(e.this), self._number(e.expression)]), "double"
        if isinstance(e, exp.Div):
            if not (isinstance(e.expression, exp.Literal) and not e.expression.is_string
                    and float(e.expression.this) != 0.0):
                raise _refuse(e, "division is exportable only by a non-zero number literal")
            return self.g.op("Div", [self._number(e.this), self._number(e.expression)]), "double"
        raise _refuse(e, "this expression has no ONNX translation")

    def _number(self, e: Any) -> str:
        value, kind = self.compile(e)
        if kind != "double":
            raise _refuse(e, "expected a number")
        return value

    def _cast(self, e: Any) -> tuple[str, str]:
        if not e.to.is_type("double", "float"):
            raise _refuse(e, "only CAST(… AS DOUBLE) or FLOAT is exportable")
        value, kind = self.compile(e.this)
        if kind == "double":
            return value, "double"
        # Text that is not a number (or null) becomes NaN, as Spark's non-ANSI cast gives null.
        valid = self.g.op("RegexFullMatch", [value], pattern=_NUMBER)
        safe = self.g.op("Where", [valid, value, self.g.string_const("nan", "NaN")])
        return self.g.op("Cast", [safe], to=TensorProto.DOUBLE), "double"

    def _coalesce(self, e: Any) -> tuple[str, str]:
        args = [e.this, *e.expressions]
        compiled = [self.compile(a) for a in args]
        kinds = {k for _, k in compiled}
        if len(kinds) != 1:
            raise _refuse(e, "COALESCE of mixed text and numbers")
        kind = kinds.pop()
        result = compiled[-1][0]
        for value, _ in reversed(compiled[:-1]):
            missing = (self.g.op("IsNaN", [value]) if kind == "double" else
                       self.g.op("Equal", [value, self.g.string_const("null", NULL_STRING)]))
            result = self.g.op("Where", [missing, result, value])
        return result, kind

    def _extreme(self, e: Any, op: str) -> tuple[str, str]:
        values = [self._number(a) for a in [e.this, *e.expressions]]
        result = values[0]
        for value in values[1:]:
            both = self.g.op(op, [result, value])
            keep_value = self.g.op("Where", [self.g.op("IsNaN", [value]), result, both])
            result = self.g.op("Where", [self.g.op("IsNaN", [result]), value, keep_value])
        return result, "double"


def _is_string(variable: Any) -> bool:
    from onnxmltools.convert.common.data_types import StringTensorType

    return isinstance(variable.type, StringTensorType)


def _kinds(operator: Any) -> dict[str, str]:
    """Each output's kind without building nodes (for the shape calculator)."""
    from sqlglot import exp

    kinds: dict[str, str] = {}
    variables = {v.raw_name: v for v in operator.inputs}
    for name, expression in sql_projection(operator.raw_operator).items:
        e = expression
        while isinstance(e, exp.Paren | exp.Coalesce):
            e = e.this
        if isinstance(e, exp.Column):
            kinds[name] = "string" if _is_string(variables[e.name]) else "double"
        elif isinstance(e, exp.Literal):
            kinds[name] = "string" if e.is_string else "double"
        else:
            kinds[name] = "double"
    return kinds


def convert_sql(scope: Any, operator: Any, container: Any) -> None:
    g = Graph(scope, container)
    compiler = _Compiler(g, {v.raw_name: v for v in operator.inputs})
    outputs = {o.raw_name: o for o in operator.outputs}
    for name, expression in sql_projection(operator.raw_operator).items:
        value, _ = compiler.compile(expression)
        g.op("Identity", [value], outputs[name].full_name)


def shape_sql(operator: Any) -> None:
    from onnxmltools.convert.common.data_types import DoubleTensorType, StringTensorType

    rows = operator.inputs[0].type.shape[0] if operator.inputs else None
    kinds = _kinds(operator)
    for output in operator.outputs:
        kind = kinds[output.raw_name]
        output.type = StringTensorType([rows, 1]) if kind == "string" else DoubleTensorType([rows, 1])
