"""Classifiers in their fixed order, and Glue's rule for choosing among their verdicts.

File classifiers run in :data:`FILE_CLASSIFIERS` order — Parquet, ORC, Avro (binary formats,
recognised by magic bytes), then JSON, then CSV; a folder with ``_delta_log/`` is classified
by :class:`DeltaClassifier` from its log before any of them.
"""

from __future__ import annotations

from catalog.crawler.classifiers.avro_orc import AvroClassifier, OrcClassifier
from catalog.crawler.classifiers.base import UNKNOWN, Classifier, CsvFormat, Verdict, choose
from catalog.crawler.classifiers.csv import CsvClassifier, detect_header
from catalog.crawler.classifiers.delta import DeltaClassifier, DeltaSnapshot
from catalog.crawler.classifiers.json import JsonClassifier
from catalog.crawler.classifiers.parquet import ParquetClassifier

__all__ = [
    "FILE_CLASSIFIERS",
    "UNKNOWN",
    "AvroClassifier",
    "Classifier",
    "CsvClassifier",
    "CsvFormat",
    "DeltaClassifier",
    "DeltaSnapshot",
    "JsonClassifier",
    "OrcClassifier",
    "ParquetClassifier",
    "Verdict",
    "choose",
    "detect_header",
]

FILE_CLASSIFIERS: tuple[Classifier, ...] = (
    ParquetClassifier(),
    OrcClassifier(),
    AvroClassifier(),
    JsonClassifier(),
    CsvClassifier(),
)
