"""CSV by Glue's rule, parsed with Python's ``csv`` module (quotes, embedded delimiters/newlines).

Delimiters tried: ``,`` ``|`` tab ``;`` ``\\x01``. A delimiter fits when every record of the
sample has the same number of fields, at least 2, and there are at least 2 records; among
fitting delimiters the one giving the most columns wins (the earlier one on a tie).

The first record is a header only if (Glue's heuristic):

1. every value in it is a non-empty string (not a number, boolean, date or timestamp);
2. every value is a valid column name (fewer than 150 characters except the last column,
   no control characters, unique after lower-casing);
3. at least one value in the data records has a non-string type — otherwise the first row
   is not distinguishable from data, so an all-string file gets ``col0``, ``col1``, ….

A last column that is empty in every record (trailing delimiter) is dropped.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import re
from collections.abc import Sequence

from catalog.crawler.classifiers.base import CsvFormat, Verdict, decode_text
from catalog.crawler.inference import column_name, infer_text_value
from catalog.crawler.sampling import Sample
from catalog.crawler.widening import NULL, STRING, Trace, resolve_nulls, widen
from catalog.types import GlueType

__all__ = ["DELIMITERS", "CsvClassifier", "detect_header"]

DELIMITERS = (",", "|", "\t", ";", "\x01")
_MAX_NAME = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
csv.field_size_limit(16 << 20)


def _show(delimiter: str) -> str:
    return {"\t": "tab", "\x01": "\\x01"}.get(delimiter, repr(delimiter))


def _parse(text: str, delimiter: str, truncated: bool) -> list[list[str]]:
    rows = [
        row
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        if row and any(v.strip() for v in row)
    ]
    if truncated and rows:
        rows.pop()  # may be cut short by the sample limit
    return rows


def _mostly_json(text: str, probe: int = 100) -> bool:
    """True when most of the first ``probe`` non-empty lines are JSON objects."""
    lines = list(itertools.islice((x for x in text.split("\n") if x.strip()), probe))
    objects = 0
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            with contextlib.suppress(ValueError):
                objects += isinstance(json.loads(stripped), dict)
    return bool(lines) and objects * 2 > len(lines)


def _valid_name(value: str, last: bool) -> str | None:
    name = value.strip()
    if not name:
        return "is empty"
    if len(name) >= _MAX_NAME and not last:
        return f"has {len(name)} characters (names need fewer than {_MAX_NAME})"
    if len(name) > 255:
        return f"has {len(name)} characters (at most 255)"
    if _CONTROL.search(name):
        return "contains control characters"
    return None


def detect_header(rows: Sequence[Sequence[str]]) -> tuple[bool, str]:
    """Glue's header rule on parsed records: (is the first record a header, why).

    A trailing-delimiter column must already be dropped from ``rows``.
    """
    first = rows[0]
    for i, value in enumerate(first):
        t = infer_text_value(value)
        if t == NULL:
            return False, f"no header: first-row value {i + 1} is empty"
        if t != STRING:
            return False, f"no header: first-row value {i + 1} ({value!r}) is {t}, not a string"
    seen: set[str] = set()
    for i, value in enumerate(first):
        problem = _valid_name(value, i == len(first) - 1)
        if problem:
            return False, f"no header: first-row value {i + 1} ({value[:40]!r}) {problem}"
        name = column_name(value)
        if name in seen:
            return False, f"no header: column name {name!r} appears twice"
        seen.add(name)
    for row in rows[1:]:
        for i, value in enumerate(row):
            t = infer_text_value(value)
            if t not in (NULL, STRING):
                return True, (
                    "header: every first-row value is a string and a valid name, and data "
                    f"value {value!r} in column {first[i].strip()!r} is {t}"
                )
    return False, (
        "no header: every value in the sample is a string, so the first row is not "
        "distinguishable from data (Glue rule) — columns are named col0, col1, …"
    )


class CsvClassifier:
    name = "csv"

    def classify(self, sample: Sample) -> Verdict:
        text, compression, truncated, ratio, why_not = decode_text(sample)
        if text is None:
            return Verdict(self.name, "csv", 0.0, why_not, compression=compression)
        if _mostly_json(text):
            return Verdict(
                self.name,
                "csv",
                0.0,
                "most lines are JSON objects, not delimited text",
                compression=compression,
            )
        tried: list[str] = []
        best: tuple[str, list[list[str]]] | None = None
        for delimiter in DELIMITERS:
            rows = _parse(text, delimiter, truncated)
            widths = {len(r) for r in rows}
            if len(rows) < 2:
                tried.append(f"{_show(delimiter)}: {len(rows)} record(s)")
                continue
            if len(widths) != 1:
                tried.append(f"{_show(delimiter)}: records have {min(widths)}-{max(widths)} fields")
                continue
            width = widths.pop()
            if width < 2:
                tried.append(f"{_show(delimiter)}: 1 column")
                continue
            tried.append(f"{_show(delimiter)}: {width} columns x {len(rows)} records")
            if best is None or width > len(best[1][0]):
                best = (delimiter, rows)
        if best is None:
            return Verdict(
                self.name,
                "csv",
                0.0,
                "no delimiter gives ≥ 2 columns and ≥ 2 records of equal width (" + "; ".join(tried) + ")",
                compression=compression,
            )
        delimiter, rows = best
        return self._verdict(text, delimiter, rows, compression, ratio, tried, truncated)

    def _verdict(
        self,
        text: str,
        delimiter: str,
        rows: list[list[str]],
        compression: str,
        ratio: float,
        tried: list[str],
        truncated: bool,
    ) -> Verdict:
        width = len(rows[0])
        if all(not r[-1].strip() for r in rows):  # trailing delimiter on every line
            width -= 1
            rows = [r[:width] for r in rows]
        header, reason = detect_header(rows)
        data = rows[1:] if header else rows
        if header:
            names = [column_name(v) or f"col{i}" for i, v in enumerate(rows[0])]
        else:
            names = [f"col{i}" for i in range(width)]
        trace = Trace()
        types: list[GlueType] = [NULL] * width
        for row in data:
            for i, value in enumerate(row):
                types[i] = widen(types[i], infer_text_value(value), names[i], trace)
        quoted = bool(re.search(rf'(?:^|{re.escape(delimiter)})"', text, re.MULTILINE))
        text_bytes = len(text.encode("utf-8"))
        if header:
            text_bytes -= len(text.split("\n", 1)[0].encode("utf-8")) + 1
        explanation = (
            f"delimiter {_show(delimiter)}: {width} columns x {len(rows)} records"
            f"{', quoted fields' if quoted else ''}; {reason}"
        )
        if len(tried) > 1:
            explanation += f" [tried {'; '.join(tried)}]"
        return Verdict(
            self.name,
            "csv",
            1.0,
            explanation,
            columns=[(n, resolve_nulls(t)) for n, t in zip(names, types, strict=True)],
            compression=compression,
            records=len(data),
            record_bytes=max(text_bytes, 0) * ratio,
            exact_records=None if truncated else len(data),
            csv=CsvFormat(delimiter, header, quoted, reason),
            widening=trace.lines,
        )
