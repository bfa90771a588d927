"""Newline-delimited JSON (optionally gzip/bzip2): every sampled line must be an object.

Reads at most the first 1 MiB of the object; a line cut off by that limit is ignored.
Certainty is 1.0 when every complete non-empty line parses as a JSON object, and at most
0.5 (the share of lines that do) when only some do, so a file with a few bad lines stays
JSON unless another classifier is certain.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.crawler.classifiers.base import Verdict, decode_text
from catalog.crawler.inference import json_record_columns
from catalog.crawler.sampling import Sample
from catalog.crawler.widening import Trace

__all__ = ["JsonClassifier"]


class JsonClassifier:
    name = "json"

    def classify(self, sample: Sample) -> Verdict:
        text, compression, truncated, ratio, why_not = decode_text(sample)
        if text is None:
            return Verdict(self.name, "json", 0.0, why_not, compression=compression)
        records: list[dict[str, Any]] = []
        record_chars = 0
        lines = 0
        first_error = ""
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            lines += 1
            try:
                value = json.loads(line)
            except ValueError as exc:
                if not first_error:
                    first_error = f"line {number}: {exc.args[0] if exc.args else exc}"
                continue
            if not isinstance(value, dict):
                if not first_error:
                    first_error = f"line {number}: a JSON {type(value).__name__}, not an object"
                continue
            records.append(value)
            record_chars += len(line.encode("utf-8")) + 1
        if not lines:
            return Verdict(self.name, "json", 0.0, "no complete line in the sample")
        if not records:
            reason = f"not newline-delimited JSON objects ({first_error})"
            if _whole_document(text):
                reason = "a multi-line JSON document; only newline-delimited JSON (one object per line) is supported"
            return Verdict(self.name, "json", 0.0, reason, compression=compression)
        trace = Trace()
        columns = json_record_columns(records, trace)
        bad = lines - len(records)
        if bad:
            certainty = 0.5 * len(records) / lines
            explanation = f"{len(records)} of {lines} lines are JSON objects; first bad {first_error}"
        else:
            certainty = 1.0
            explanation = f"{lines} newline-delimited JSON objects, {len(columns)} top-level keys"
        if compression != "none":
            explanation += f" ({compression})"
        return Verdict(
            self.name,
            "json",
            certainty,
            explanation,
            columns=columns,
            compression=compression,
            records=len(records),
            record_bytes=record_chars * ratio,
            exact_records=None if truncated else len(records),
            widening=trace.lines,
        )


def _whole_document(text: str) -> bool:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True
