"""Import CSV, JSON and Parquet files into Delta tables: checked before Spark starts, nothing lost."""

from lake.importing.errors import (
    EmptySourceError,
    FileImportError,
    ImportOptionError,
    RaggedRowError,
    SourceEncodingError,
    SourceReadError,
)
from lake.importing.importer import ImportProgress, ImportResult, import_file
from lake.importing.options import BadRows, CsvOptions, SourceFormat

__all__ = [
    "BadRows",
    "CsvOptions",
    "EmptySourceError",
    "FileImportError",
    "ImportOptionError",
    "ImportProgress",
    "ImportResult",
    "RaggedRowError",
    "SourceEncodingError",
    "SourceFormat",
    "SourceReadError",
    "import_file",
]
