"""Partition keys and values from the folders between a table root and its data folders.

At each level below the table root, if every folder name there is ``key=value`` with the
same key, the partition column is named ``key`` (lower-cased) and the value is the
URL-decoded ``value`` (Hive style). Otherwise the column is ``partition_<level>`` (from 0)
and the whole folder name is the value. Partition columns are typed ``string``, as Glue's
crawler types them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["PartitionSpec", "partition_spec", "split_hive"]

_BAD_CHARS = re.compile(r"[^a-z0-9_]")


@dataclass
class PartitionSpec:
    """Partition column names, and the values of each data folder (by relative path)."""

    keys: list[str]
    values: dict[str, tuple[str, ...]]
    styles: list[str]


def split_hive(name: str) -> tuple[str, str] | None:
    """``"year=2024"`` → ``("year", "2024")``; None when not ``key=value``."""
    key, sep, value = name.partition("=")
    if not sep or not key:
        return None
    return key, unquote(value)


def _key_name(raw: str) -> str:
    return _BAD_CHARS.sub("_", raw.strip().lower()) or "partition"


def partition_spec(root: str, folders: Sequence[str], depth: int) -> PartitionSpec:
    """Partition keys and per-folder values for data ``folders`` ``depth`` levels below ``root``."""
    offset = len(root) + 1 if root else 0
    parts = {rel: rel[offset:].split("/") if depth else [] for rel in folders}
    keys: list[str] = []
    styles: list[str] = []
    use_hive: list[bool] = []
    for level in range(depth):
        names = {p[level] for p in parts.values()}
        split = [split_hive(n) for n in names]
        hive_keys = {s[0] for s in split if s is not None}
        if all(s is not None for s in split) and len(hive_keys) == 1:
            key = _key_name(hive_keys.pop())
            if key in keys:
                key = f"partition_{level}"
                styles.append(f"level {level}: key=value folders, name already used → {key}")
            else:
                styles.append(f"level {level}: key=value folders → {key}")
            use_hive.append(True)
        else:
            key = f"partition_{level}"
            styles.append(f"level {level}: plain folder names → {key}")
            use_hive.append(False)
        keys.append(key)
    values: dict[str, tuple[str, ...]] = {}
    for rel, p in parts.items():
        row = []
        for level in range(depth):
            name = p[level]
            hive = split_hive(name) if use_hive[level] else None
            row.append(hive[1] if hive else unquote(name))
        values[rel] = tuple(row)
    return PartitionSpec(keys, values, styles)
