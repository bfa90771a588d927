"""ORC (footer read by ``pyarrow.orc``) and Avro (schema from the container header).

pyarrow has no Avro reader, so the Avro classifier decodes the object container header
itself — magic ``Obj\\x01``, the metadata map (``avro.schema``, ``avro.codec``), the sync
marker and the first block's record count — which is all a crawler needs; no data block is
decoded. Avro types map to Glue as Hive's AvroSerDe does: ``long → bigint``,
``bytes/fixed → binary``, ``enum → string``, ``map → map<string,T>``, ``record → struct``,
``["null", T] → T``, logical ``date``/``timestamp-*``/``decimal`` to their Glue types; any
other union becomes ``string``.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.crawler.classifiers.base import Verdict
from catalog.crawler.classifiers.schema import arrow_columns
from catalog.crawler.inference import column_name
from catalog.crawler.sampling import Sample
from catalog.types import (
    ArrayType,
    DecimalType,
    GlueType,
    MapType,
    PrimitiveType,
    StructField,
    StructType,
)

__all__ = ["AvroClassifier", "AvroHeaderError", "OrcClassifier", "avro_to_glue", "read_avro_header"]

_ORC_CODECS = {
    "UNCOMPRESSED": "none",
    "ZLIB": "zlib",
    "SNAPPY": "snappy",
    "LZO": "lzo",
    "LZ4": "lz4",
    "ZSTD": "zstd",
}


class OrcClassifier:
    name = "orc"

    def classify(self, sample: Sample) -> Verdict:
        if not sample.head.startswith(b"ORC"):
            return Verdict(self.name, "orc", 0.0, "no ORC magic bytes")
        try:
            import pyarrow.orc as orc

            reader = orc.ORCFile(sample.open())
            schema, rows, codec = reader.schema, reader.nrows, str(reader.compression)
        except Exception as exc:  # pyarrow raises several types for corrupt tails
            return Verdict(self.name, "orc", 0.0, f"ORC magic but unreadable footer: {exc}")
        columns, notes = arrow_columns(schema)
        compression = _ORC_CODECS.get(codec.upper(), codec.lower())
        return Verdict(
            self.name,
            "orc",
            1.0,
            f"ORC footer: {len(columns)} columns, {rows} rows, codec {compression}",
            columns=columns,
            compression=compression,
            records=rows,
            record_bytes=float(sample.size),
            exact_records=rows,
            widening=notes,
        )


class AvroHeaderError(ValueError):
    """The bytes are not a readable Avro object container header."""


class _Cursor:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def long(self) -> int:
        shift = 0
        result = 0
        while True:
            if self.pos >= len(self.data):
                raise AvroHeaderError("header ends inside a varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7
            if shift > 63:
                raise AvroHeaderError("varint longer than 64 bits")

    def bytes(self) -> bytes:
        n = self.long()
        if n < 0 or self.pos + n > len(self.data):
            raise AvroHeaderError("header ends inside a byte string")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_avro_header(data: bytes) -> tuple[dict[str, bytes], int | None, int | None]:
    """``(metadata, records in the first block, bytes of the first block)`` from the head."""
    if not data.startswith(b"Obj\x01"):
        raise AvroHeaderError("no Obj\\x01 magic bytes")
    cur = _Cursor(data)
    cur.pos = 4
    meta: dict[str, bytes] = {}
    while True:
        count = cur.long()
        if count == 0:
            break
        if count < 0:
            count = -count
            cur.long()  # block size in bytes
        for _ in range(count):
            key = cur.bytes().decode("utf-8")
            meta[key] = cur.bytes()
    cur.pos += 16  # sync marker
    if cur.pos > len(data):
        raise AvroHeaderError("header ends inside the sync marker")
    try:
        return meta, cur.long(), cur.long()
    except AvroHeaderError:
        return meta, None, None


def avro_to_glue(schema: Any, named: dict[str, GlueType] | None = None) -> GlueType:
    """The Glue type of an Avro schema (parsed JSON)."""
    named = {} if named is None else named
    primitives = {
        "boolean": "boolean",
        "int": "int",
        "long": "bigint",
        "float": "float",
        "double": "double",
        "bytes": "binary",
        "string": "string",
        "null": "string",
    }
    if isinstance(schema, str):
        if schema in primitives:
            return PrimitiveType(primitives[schema])
        if schema in named:
            return named[schema]
        short = schema.rpartition(".")[2]
        if short in named:
            return named[short]
        raise AvroHeaderError(f"unknown Avro type {schema!r}")
    if isinstance(schema, list):
        members = [m for m in schema if m != "null"]
        if len(members) == 1:
            return avro_to_glue(members[0], named)
        return PrimitiveType("string")
    if not isinstance(schema, dict):
        raise AvroHeaderError(f"not an Avro schema: {schema!r}")
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical == "date":
        return PrimitiveType("date")
    if logical in (
        "timestamp-millis",
        "timestamp-micros",
        "local-timestamp-millis",
        "local-timestamp-micros",
    ):
        return PrimitiveType("timestamp")
    if logical == "decimal" and "precision" in schema:
        return DecimalType(int(schema["precision"]), int(schema.get("scale", 0)))
    result: GlueType
    if kind == "record" or kind == "error":
        struct = StructType(())
        if "name" in schema:
            named[schema["name"]] = struct  # recursive references resolve to an empty struct
        fields = tuple(StructField(f["name"], avro_to_glue(f["type"], named)) for f in schema.get("fields", ()))
        result = StructType(fields)
    elif kind == "enum":
        result = PrimitiveType("string")
    elif kind == "fixed":
        result = PrimitiveType("binary")
    elif kind == "array":
        result = ArrayType(avro_to_glue(schema["items"], named))
    elif kind == "map":
        result = MapType(PrimitiveType("string"), avro_to_glue(schema["values"], named))
    else:
        result = avro_to_glue(kind, named)
    if "name" in schema:
        named[schema["name"]] = result
        named[str(schema["name"]).rpartition(".")[2]] = result
    return result


class AvroClassifier:
    name = "avro"

    def classify(self, sample: Sample) -> Verdict:
        if not sample.head.startswith(b"Obj\x01"):
            return Verdict(self.name, "avro", 0.0, "no Avro magic bytes (Obj\\x01)")
        try:
            meta, block_records, block_bytes = read_avro_header(sample.head)
            schema = json.loads(meta["avro.schema"].decode("utf-8"))
            root = avro_to_glue(schema)
        except (AvroHeaderError, KeyError, ValueError) as exc:
            return Verdict(self.name, "avro", 0.0, f"Avro magic but unreadable header: {exc}")
        if isinstance(root, StructType):
            columns = [(column_name(f.name), f.type) for f in root.fields]
        else:
            columns = [("value", root)]
        codec = meta.get("avro.codec", b"null").decode("utf-8", "replace")
        compression = "none" if codec == "null" else codec
        records = block_records or 0
        return Verdict(
            self.name,
            "avro",
            1.0,
            f"Avro container header: {len(columns)} columns, codec {compression}",
            columns=columns,
            compression=compression,
            records=records,
            record_bytes=float(block_bytes or 0) if records else 0.0,
        )
