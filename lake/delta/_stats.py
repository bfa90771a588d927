"""Per-file Delta statistics (numRecords, minValues, maxValues, nullCount) from Arrow data."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["StatsAccumulator"]

_MAX_STRING = 32  # Delta keeps string prefixes; a longer max cannot be truncated safely


def _eligible(t: pa.DataType) -> bool:
    return (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
    )


def _json_value(value: Any, *, is_max: bool) -> Any:
    """Delta's JSON form of a min/max value; ``None`` when it must not be recorded."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, str):
        if len(value) <= _MAX_STRING:
            return value
        return None if is_max else value[:_MAX_STRING]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if is_max and value.microsecond % 1000:
            value = value + dt.timedelta(microseconds=1000 - value.microsecond % 1000)
        else:
            value = value.replace(microsecond=value.microsecond - value.microsecond % 1000)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class StatsAccumulator:
    """Merges min/max/null counts over the batches written into one file."""

    def __init__(self, schema: pa.Schema) -> None:
        self.rows = 0
        self._nested = {f.name for f in schema if pa.types.is_nested(f.type)}
        self._columns = [f.name for f in schema if _eligible(f.type)]
        self._nulls: dict[str, int] = {f.name: 0 for f in schema if f.name not in self._nested}
        self._min: dict[str, Any] = {}
        self._max: dict[str, Any] = {}

    def update(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for name in self._nulls:
            self._nulls[name] += table.column(name).null_count
        for name in self._columns:
            column = table.column(name)
            if column.null_count == len(column):
                continue
            if pa.types.is_floating(column.type):
                column = pc.drop_null(pc.if_else(pc.is_nan(column), None, column))
                if len(column) == 0:
                    continue
            mm = pc.min_max(column).as_py()
            lo, hi = mm["min"], mm["max"]
            if lo is not None and (name not in self._min or lo < self._min[name]):
                self._min[name] = lo
            if hi is not None and (name not in self._max or hi > self._max[name]):
                self._max[name] = hi

    def to_json(self) -> str:
        mins = {k: v for k, v in ((k, _json_value(v, is_max=False)) for k, v in self._min.items()) if v is not None}
        maxs = {k: v for k, v in ((k, _json_value(v, is_max=True)) for k, v in self._max.items()) if v is not None}
        return json.dumps(
            {"numRecords": self.rows, "minValues": mins, "maxValues": maxs, "nullCount": self._nulls},
            separators=(",", ":"),
        )
