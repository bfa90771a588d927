"""What every classifier returns, and Glue's rule for choosing among their verdicts.

Classifiers run in a fixed order. The first verdict with certainty 1.0 wins and the rest
are not consulted; otherwise the verdict with the highest certainty above 0.0 wins (the
earlier classifier on a tie); if every certainty is 0.0 the object is ``UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from catalog.crawler.sampling import Sample
from catalog.types import GlueType

__all__ = [
    "UNKNOWN",
    "Classifier",
    "CsvFormat",
    "Verdict",
    "choose",
    "decode_text",
]

UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class CsvFormat:
    """How a CSV object is laid out, and why the header was (not) taken."""

    delimiter: str
    header: bool
    quoted: bool
    header_reason: str


@dataclass
class Verdict:
    """One classifier's answer for one object.

    ``records``/``record_bytes`` describe the records seen in the sample (``record_bytes``
    as stored, so compressed objects count compressed bytes); ``exact_records`` is the
    object's full record count when its metadata says (Parquet/ORC footers).
    """

    classifier: str
    classification: str
    certainty: float
    explanation: str
    columns: list[tuple[str, GlueType]] = field(default_factory=list)
    compression: str = "none"
    records: int = 0
    record_bytes: float = 0.0
    exact_records: int | None = None
    csv: CsvFormat | None = None
    widening: list[str] = field(default_factory=list)

    @property
    def avg_record_size(self) -> float | None:
        return self.record_bytes / self.records if self.records else None

    def summary(self) -> str:
        return f"{self.classifier}: certainty {self.certainty:.2f} — {self.explanation}"


class Classifier(Protocol):
    """Looks at one sample and says how sure it is that it can read it."""

    name: str

    def classify(self, sample: Sample) -> Verdict: ...


def choose(sample: Sample, classifiers: Sequence[Classifier]) -> tuple[Verdict, list[Verdict]]:
    """Run ``classifiers`` in order on ``sample``: (the chosen verdict, every verdict run)."""
    verdicts: list[Verdict] = []
    for classifier in classifiers:
        verdict = classifier.classify(sample)
        verdicts.append(verdict)
        if verdict.certainty >= 1.0:
            return verdict, verdicts
    best = max(verdicts, key=lambda v: v.certainty, default=None)
    if best is not None and best.certainty > 0.0:
        return best, verdicts
    unknown = Verdict("none", UNKNOWN, 0.0, "no classifier recognised the content (every certainty 0.0)")
    return unknown, verdicts


def decode_text(sample: Sample) -> tuple[str | None, str, bool, float, str]:
    """``(text, compression, truncated, stored bytes per text byte, reason if not text)``.

    A truncated head is cut after its last newline so no partial line remains.
    """
    data, compression, truncated = sample.text()
    ratio = len(sample.head) / len(data) if data else 1.0
    if truncated:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
    if b"\x00" in data:
        return None, compression, truncated, ratio, "binary content (NUL bytes)"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, compression, truncated, ratio, f"not UTF-8 text (byte {exc.start})"
    return text, compression, truncated, ratio, ""
