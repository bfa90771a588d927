"""Hive-style partition directories and Delta partition-value strings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HIVE_NULL",
    "data_file_name",
    "escape_path_name",
    "partition_dir",
    "partition_value_string",
]

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# The characters Spark/Hive escape in partition directory names (ExternalCatalogUtils).
_ESCAPE = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(1, 32)}


def escape_path_name(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPE else ch for ch in value)


def partition_value_string(value: Any) -> str | None:
    """Delta's string form of a partition value (``None`` for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def partition_dir(columns: Sequence[str], values: Mapping[str, str | None]) -> str:
    """``a=1/b=x`` for the given partition values (Hive escaping, null as Hive's default)."""
    parts = []
    for col in columns:
        val = values.get(col)
        parts.append(f"{escape_path_name(col)}={HIVE_NULL if val is None else escape_path_name(val)}")
    return "/".join(parts)


def data_file_name(task: int) -> str:
    return f"part-{task:05d}-{uuid.uuid4()}.c000.snappy.parquet"


