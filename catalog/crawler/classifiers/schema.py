"""Columns from an Arrow schema (Parquet, ORC and Delta footers/logs), Glue-named."""

from __future__ import annotations

import pyarrow as pa

from catalog.crawler.inference import column_name
from catalog.crawler.widening import Trace, widen
from catalog.types import GlueType, from_arrow, parse_type

__all__ = ["arrow_columns"]


def arrow_columns(schema: pa.Schema) -> tuple[list[tuple[str, GlueType]], list[str]]:
    """``([(lower-cased name, Glue type)], notes)``; names equal after lower-casing merge."""
    trace = Trace()
    columns: dict[str, GlueType] = {}
    for f in schema:
        name = column_name(f.name)
        t = parse_type(from_arrow(f.type))
        columns[name] = widen(columns[name], t, name, trace) if name in columns else t
    return list(columns.items()), trace.lines
