"""Errors of file import: each names the file and, where known, the line and byte offset."""

from __future__ import annotations

from lake.errors import LakeforgeError

__all__ = [
    "EmptySourceError",
    "FileImportError",
    "ImportOptionError",
    "RaggedRowError",
    "SourceEncodingError",
    "SourceReadError",
]


class FileImportError(LakeforgeError):
    """Base of file-import errors."""


class SourceReadError(FileImportError):
    """An import source is missing or cannot be parsed."""

    template = "cannot read {path}: {reason}"
    path: str
    reason: str


class EmptySourceError(FileImportError):
    """The source file has no bytes at all."""

    template = "{path} is empty (0 bytes): nothing to import"
    path: str


class SourceEncodingError(FileImportError):
    """Bytes that are invalid in the chosen encoding (never replaced silently)."""

    template = "{path}: line {line}, byte offset {offset}: {shown} is not valid {encoding}{hint}"
    path: str
    line: int
    offset: int
    bad_bytes: bytes
    encoding: str

    @property
    def shown(self) -> str:
        return "byte " + " ".join(f"0x{b:02x}" for b in self.bad_bytes[:4])

    @property
    def hint(self) -> str:
        if self.encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
            return " (pass --encoding, e.g. --encoding latin-1 or cp1252, if the file is not UTF-8)"
        return ""


class RaggedRowError(FileImportError):
    """A CSV row with a different number of fields than the header."""

    template = (
        "{path}: line {line} has {found} fields, expected {expected}"
        " (fix the row, or pass --bad-rows quarantine to set such rows aside)"
    )
    path: str
    line: int
    found: int
    expected: int


class ImportOptionError(FileImportError):
    """An import option has an invalid value."""

    template = "{option}: {reason}"
    option: str
    reason: str
