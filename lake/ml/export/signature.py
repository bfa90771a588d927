"""What a served model takes and returns: ordered input fields with types, and its outputs.

The signature travels with the ONNX bytes (in the model's ``metadata_props``) so a server needs
nothing else to validate requests. Field types are logical (``double``, ``long``, ``boolean``,
``string``…); on the ONNX side every number and boolean is a ``double`` tensor ``[N, 1]`` and
every string a ``string`` tensor ``[N, 1]``. A missing value is NaN for numbers and
:data:`NULL_STRING` for strings (Spark's ``null``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FIELD_TYPES",
    "METADATA_KEY",
    "NULL_STRING",
    "Field",
    "Signature",
    "field_type_of",
    "spark_type_of",
]

METADATA_KEY = "lakeforge.signature"
NULL_STRING = "\ue000lakeforge:null\ue000"
"""The string fed to ONNX for a missing categorical value (private-use characters: never a real category;
onnxruntime truncates strings at NUL, so no NUL bytes)."""

FIELD_TYPES = ("double", "float", "long", "integer", "short", "byte", "boolean", "string")
_INTEGRAL = frozenset({"long", "integer", "short", "byte"})
_SPARK_NAMES = {"double": "DoubleType", "float": "FloatType", "long": "LongType", "integer": "IntegerType",
                "short": "ShortType", "byte": "ByteType", "boolean": "BooleanType", "string": "StringType"}


def field_type_of(spark_type: Any) -> str | None:
    """The logical field type of a Spark ``DataType`` (decimals are doubles), or None if unsupported."""
    name = type(spark_type).__name__
    for logical, spark_name in _SPARK_NAMES.items():
        if name == spark_name:
            return logical
    if name == "DecimalType":
        return "double"
    return None


def spark_type_of(field_type: str) -> Any:
    """The Spark ``DataType`` of a logical field type."""
    from pyspark.sql import types as T

    return getattr(T, _SPARK_NAMES[field_type])()


@dataclass(frozen=True)
class Field:
    """One input column: its name, logical type, whether null is accepted, and the ONNX input it feeds.

    ``categories`` lists the only accepted values of a string column whose indexer refuses
    unseen values (``handleInvalid="error"``); None means any string is accepted.
    """

    name: str
    type: str
    nullable: bool = True
    onnx_name: str = ""
    categories: tuple[str, ...] | None = None

    @property
    def is_string(self) -> bool:
        return self.type == "string"

    @property
    def is_integral(self) -> bool:
        return self.type in _INTEGRAL

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "nullable": self.nullable,
                               "onnx_name": self.onnx_name or self.name}
        if self.categories is not None:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Field:
        cats = data.get("categories")
        return cls(name=str(data["name"]), type=str(data["type"]), nullable=bool(data.get("nullable", True)),
                   onnx_name=str(data.get("onnx_name") or data["name"]),
                   categories=tuple(str(c) for c in cats) if cats is not None else None)


@dataclass(frozen=True)
class Signature:
    """Ordered input fields and the outputs of a served model.

    ``prediction_type`` is ``double`` (classes and regression, as Spark's ``prediction``),
    ``string`` (labels mapped back by ``IndexToString``), ``long`` (cluster ids) or ``vector``
    (a projection). ``classes`` are the labels in probability order when the model gives
    probabilities.
    """

    fields: tuple[Field, ...]
    prediction_type: str = "double"
    probability: bool = False
    classes: tuple[Any, ...] | None = None
    prediction_column: str = "prediction"
    probability_column: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": [f.to_dict() for f in self.fields],
            "prediction_type": self.prediction_type,
            "probability": self.probability,
            "classes": list(self.classes) if self.classes is not None else None,
            "prediction_column": self.prediction_column,
            "probability_column": self.probability_column,
            "extra": dict(self.extra),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        classes = data.get("classes")
        return cls(
            fields=tuple(Field.from_dict(f) for f in data["fields"]),
            prediction_type=str(data.get("prediction_type", "double")),
            probability=bool(data.get("probability", False)),
            classes=tuple(classes) if classes is not None else None,
            prediction_column=str(data.get("prediction_column", "prediction")),
            probability_column=data.get("probability_column"),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Signature:
        return cls.from_dict(json.loads(text))

    def spark_schema(self) -> Any:
        """The Spark ``StructType`` of the input fields (for the Spark scoring path)."""
        from pyspark.sql import types as T

        return T.StructType([T.StructField(f.name, spark_type_of(f.type), True) for f in self.fields])

    def with_fields(self, fields: Sequence[Field]) -> Signature:
        return Signature(tuple(fields), self.prediction_type, self.probability, self.classes,
                         self.prediction_column, self.probability_column, self.extra)
