"""One data folder after sampling: its classification, merged schema and statistics.

A folder's classification is the one most of its sampled objects got (ties go to the
earlier classifier in the fixed order); objects classified otherwise are reported and left
out of the schema. Columns are widened over the samples that agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from catalog.crawler.classifiers import UNKNOWN, CsvFormat, DeltaSnapshot, Verdict
from catalog.crawler.explain import Explain
from catalog.crawler.folders import FolderStats
from catalog.crawler.widening import Trace, merge_columns
from catalog.types import GlueType

__all__ = ["Compat", "Leaf", "SampledObject", "summarize_leaf"]

_ORDER = ("delta", "parquet", "orc", "avro", "json", "csv", UNKNOWN)


@dataclass(frozen=True)
class Compat:
    """What must match for folders to share one table (one SerDe, one header setting)."""

    classification: str
    delimiter: str | None = None
    header: bool | None = None

    def __str__(self) -> str:
        if self.classification != "csv":
            return self.classification
        shown = {"\t": "tab", "\x01": "\\x01"}.get(self.delimiter or ",", repr(self.delimiter))
        return f"csv (delimiter {shown}, {'header' if self.header else 'no header'})"


@dataclass
class SampledObject:
    """One sampled object with the verdict chosen and every verdict consulted."""

    rel: str
    size: int
    verdict: Verdict
    consulted: list[Verdict]


@dataclass
class Leaf:
    """A folder holding data objects directly (or a Delta table root)."""

    rel: str
    uri: str
    objects: int
    size: int
    compat: Compat
    columns: list[tuple[str, GlueType]] = field(default_factory=list)
    compression: str = "none"
    csv: CsvFormat | None = None
    records: int | None = None
    avg_record_size: float | None = None
    delta: DeltaSnapshot | None = None

    @property
    def classification(self) -> str:
        return self.compat.classification

    @property
    def depth(self) -> int:
        return self.rel.count("/") + 1 if self.rel else 0


def _rank(classification: str) -> int:
    return _ORDER.index(classification) if classification in _ORDER else len(_ORDER)


def summarize_leaf(stats: FolderStats, uri: str, sampled: list[SampledObject], explain: Explain) -> Leaf:
    """Combine the samples of one folder into a :class:`Leaf`."""
    where = stats.rel or "<include path>"
    votes = Counter(_compat(s.verdict) for s in sampled)
    if not votes:
        return Leaf(stats.rel, uri, stats.objects, stats.size, Compat(UNKNOWN))
    compat = min(votes, key=lambda c: (-votes[c], _rank(c.classification), str(c)))
    agreeing = [s for s in sampled if _compat(s.verdict) == compat]
    for s in sampled:
        if _compat(s.verdict) != compat:
            explain.add(
                "classification",
                f"{s.rel}: {_compat(s.verdict)} differs from folder {where} ({compat}); left out of the schema",
            )
    if len(votes) > 1:
        explain.add(
            "classification",
            f"folder {where}: samples disagree "
            f"({', '.join(f'{c} x{n}' for c, n in votes.items())}); "
            f"the majority {compat} is used",
        )
    trace = Trace()
    columns = merge_columns((s.verdict.columns for s in agreeing), trace)
    for line in trace.lines:
        explain.add("widening", f"folder {where} (across files): {line}")
    compressions = Counter(s.verdict.compression for s in agreeing)
    compression = compressions.most_common(1)[0][0]
    records, avg = _estimate_records(stats, agreeing)
    csv_fmt = next((s.verdict.csv for s in agreeing if s.verdict.csv is not None), None)
    if csv_fmt is not None and any(s.verdict.csv and s.verdict.csv.quoted for s in agreeing):
        csv_fmt = CsvFormat(csv_fmt.delimiter, csv_fmt.header, True, csv_fmt.header_reason)
    return Leaf(
        rel=stats.rel,
        uri=uri,
        objects=stats.objects,
        size=stats.size,
        compat=compat,
        columns=columns,
        compression=compression,
        csv=csv_fmt,
        records=records,
        avg_record_size=avg,
    )


def _estimate_records(stats: FolderStats, samples: list[SampledObject]) -> tuple[int | None, float | None]:
    """(records, average stored bytes per record): exact counts of wholly read samples plus
    the other objects' bytes divided by the samples' average record size."""
    seen_records = sum(s.verdict.records for s in samples)
    seen_bytes = sum(s.verdict.record_bytes for s in samples)
    if not seen_records or not seen_bytes:
        return None, None
    avg = seen_bytes / seen_records
    exact = [s for s in samples if s.verdict.exact_records is not None]
    counted = sum(s.verdict.exact_records or 0 for s in exact)
    rest = max(0, stats.size - sum(s.size for s in exact))
    return counted + round(rest / avg), avg


def _compat(verdict: Verdict) -> Compat:
    if verdict.csv is not None:
        return Compat("csv", verdict.csv.delimiter, verdict.csv.header)
    return Compat(verdict.classification)
