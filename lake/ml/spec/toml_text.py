"""The spec as TOML text (what a run logs as ``spec.toml``): ``TrainSpec.to_dict()`` written back."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from lake.ml.spec.model import TrainSpec

__all__ = ["spec_toml", "toml_text"]


def spec_toml(spec: TrainSpec) -> str:
    """``spec`` as a TOML document that :func:`~lake.ml.spec.load_spec` reads back to an equal spec."""
    return toml_text(spec.to_dict())


def toml_text(data: Mapping[str, Any]) -> str:
    """A TOML document of ``data`` (strings, numbers, booleans, lists and nested tables)."""
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not _is_table(v)}
    tables = {k: v for k, v in data.items() if _is_table(v)}
    if path and (scalars or not tables):
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _table(value, [*path, str(key)], lines)


def _is_table(value: Any) -> bool:
    """Mappings become ``[sections]`` (ranges of ``tune.space`` too: ``[tune.space.learning_rate]``)."""
    return isinstance(value, Mapping)


def _key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "_-" for c in key)
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
