"""How a source file is read: format, CSV dialect, encoding, schema and the bad-row policy."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from enum import StrEnum

from lake.importing.errors import ImportOptionError

__all__ = ["BadRows", "CsvOptions", "SourceFormat"]


class SourceFormat(StrEnum):
    """File formats ``lake table import`` reads."""

    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"

    @classmethod
    def for_path(cls, path: str) -> SourceFormat:
        """The format named by ``path``'s extension (``.csv``, ``.json``/``.ndjson``, ``.parquet``)."""
        suffix = path.rstrip("/").rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        suffix = {"ndjson": "json", "jsonl": "json", "tsv": "csv", "pq": "parquet"}.get(suffix, suffix)
        try:
            return cls(suffix)
        except ValueError:
            valid = ", ".join(f.value for f in cls)
            raise ImportOptionError(
                "--format", f"cannot tell the format of {path} from its extension; pass one of {valid}"
            ) from None


class BadRows(StrEnum):
    """What happens to CSV rows whose field count differs from the header's."""

    ERROR = "error"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class CsvOptions:
    """CSV dialect and decoding. Quoted fields may span lines (RFC 4180)."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    escape: str | None = None
    header: bool = True
    null_values: tuple[str, ...] = ("",)
    schema: str | None = None
    bad_rows: BadRows = BadRows.ERROR

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ImportOptionError("--encoding", f"unknown encoding {self.encoding!r}") from None
        for option, value in (("--delimiter", self.delimiter), ("--quote", self.quote)):
            if len(value) != 1:
                raise ImportOptionError(option, f"expected one character, got {value!r}")
        if self.escape is not None and len(self.escape) != 1:
            raise ImportOptionError("--escape", f"expected one character, got {self.escape!r}")
        if self.delimiter in (self.quote, self.escape, "\n", "\r"):
            raise ImportOptionError("--delimiter", f"{self.delimiter!r} clashes with the quote/escape or a newline")
