"""Parquet: the schema, row count and codec from the footer (the ``PAR1`` tail only)."""

from __future__ import annotations

import pyarrow.parquet as pq

from catalog.crawler.classifiers.base import Verdict
from catalog.crawler.classifiers.schema import arrow_columns
from catalog.crawler.sampling import Sample

__all__ = ["ParquetClassifier"]

_CODECS = {
    "UNCOMPRESSED": "none",
    "GZIP": "gzip",
    "SNAPPY": "snappy",
    "ZSTD": "zstd",
    "LZ4": "lz4",
    "LZ4_RAW": "lz4",
    "BROTLI": "brotli",
    "LZO": "lzo",
}


class ParquetClassifier:
    name = "parquet"

    def classify(self, sample: Sample) -> Verdict:
        if not sample.head.startswith(b"PAR1") or sample.size < 12:
            return Verdict(self.name, "parquet", 0.0, "no PAR1 magic bytes")
        try:
            meta = pq.ParquetFile(sample.open()).metadata
            schema = meta.schema.to_arrow_schema()
        except Exception as exc:  # pyarrow raises several types for corrupt footers
            return Verdict(self.name, "parquet", 0.0, f"PAR1 magic but unreadable footer: {exc}")
        codec = "none"
        if meta.num_row_groups and meta.num_columns:
            codec = _CODECS.get(meta.row_group(0).column(0).compression, "none")
        columns, notes = arrow_columns(schema)
        return Verdict(
            self.name,
            "parquet",
            1.0,
            f"Parquet footer: {len(columns)} columns, {meta.num_rows} rows, "
            f"{meta.num_row_groups} row groups, codec {codec}",
            columns=columns,
            compression=codec,
            records=meta.num_rows,
            record_bytes=float(sample.size),
            exact_records=meta.num_rows,
            widening=notes,
        )
