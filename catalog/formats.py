"""Standard storage formats: the Hive classes Glue's crawler records for each data format.

:data:`FORMATS` gives the InputFormat / OutputFormat / SerDe class names for parquet, json,
csv, delta, avro and orc; :func:`storage_descriptor` and :func:`format_parameters` build a
table's storage part and its ``Parameters`` from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from catalog.errors import InvalidInputError
from catalog.model import Column, Param, SerDeInfo, StorageDescriptor

__all__ = [
    "FORMATS",
    "LAZY_SIMPLE_SERDE",
    "OPEN_CSV_SERDE",
    "StorageFormat",
    "format_parameters",
    "storage_descriptor",
]


@dataclass(frozen=True)
class StorageFormat:
    """The Hive classes Glue records for one data format."""

    classification: str
    input_format: str
    output_format: str
    serialization_library: str
    serde_parameters: Mapping[str, str] = field(default_factory=dict)


_TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
_TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
_PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
_PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
_PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"

FORMATS: Mapping[str, StorageFormat] = {
    "parquet": StorageFormat(
        "parquet", _PARQUET_IN, _PARQUET_OUT, _PARQUET_SERDE, {"serialization.format": "1"}
    ),
    "delta": StorageFormat(
        "delta", _PARQUET_IN, _PARQUET_OUT, _PARQUET_SERDE, {"serialization.format": "1"}
    ),
    "json": StorageFormat("json", _TEXT_IN, _TEXT_OUT, "org.openx.data.jsonserde.JsonSerDe"),
    "csv": StorageFormat("csv", _TEXT_IN, _TEXT_OUT, LAZY_SIMPLE_SERDE),
    "avro": StorageFormat(
        "avro",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    ),
    "orc": StorageFormat(
        "orc",
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    ),
}


def _format(fmt: str) -> StorageFormat:
    try:
        return FORMATS[fmt.lower()]
    except KeyError:
        raise InvalidInputError(
            f"unknown format {fmt!r}; valid formats: {', '.join(sorted(FORMATS))}", field="format"
        ) from None


def storage_descriptor(
    fmt: str,
    columns: Sequence[Column],
    location: str | None,
    *,
    compressed: bool = False,
    delimiter: str = ",",
    quoted: bool = False,
    serde_parameters: Mapping[str, str] | None = None,
) -> StorageDescriptor:
    """A StorageDescriptor the way Glue's crawler writes it for ``fmt``.

    CSV uses ``LazySimpleSerDe`` with ``field.delim``, or ``OpenCSVSerde`` (separatorChar,
    quoteChar) when fields are quoted; JSON lists its top-level columns in ``paths``.
    """
    spec = _format(fmt)
    library = spec.serialization_library
    params = dict(spec.serde_parameters)
    if spec.classification == "csv":
        if quoted:
            library = OPEN_CSV_SERDE
            params = {"separatorChar": delimiter, "quoteChar": '"'}
        else:
            params = {"field.delim": delimiter}
    elif spec.classification == "json":
        params = {"paths": ",".join(c.name for c in columns)}
    params.update(serde_parameters or {})
    return StorageDescriptor(
        columns=tuple(columns),
        location=location,
        input_format=spec.input_format,
        output_format=spec.output_format,
        serde_info=SerDeInfo(serialization_library=library, parameters=params),
        compressed=compressed,
        number_of_buckets=-1,
        stored_as_sub_directories=False,
    )


def format_parameters(
    fmt: str,
    *,
    compression: str | None = None,
    delimiter: str = ",",
    header: bool = False,
    quoted: bool = False,
) -> dict[str, str]:
    """Table ``Parameters`` Glue's crawler sets for ``fmt`` (before data statistics).

    ``classification``, ``compressionType`` and ``typeOfData=file``; CSV adds
    ``delimiter``, ``areColumnsQuoted``, ``columnsOrdered`` and, with a header,
    ``skip.header.line.count=1``; Delta adds ``table_type=DELTA``, ``EXTERNAL=TRUE`` and
    ``spark.sql.sources.provider=delta``.
    """
    spec = _format(fmt)
    params = {
        Param.CLASSIFICATION: spec.classification,
        Param.COMPRESSION_TYPE: compression or "none",
        Param.TYPE_OF_DATA: "file",
    }
    if spec.classification == "csv":
        params[Param.DELIMITER] = delimiter
        params[Param.ARE_COLUMNS_QUOTED] = str(quoted).lower()
        params[Param.COLUMNS_ORDERED] = "true"
        if header:
            params[Param.SKIP_HEADER] = "1"
    if spec.classification == "delta":
        params[Param.TABLE_TYPE] = "DELTA"
        params[Param.EXTERNAL] = "TRUE"
        params[Param.SPARK_PROVIDER] = "delta"
    return params
