"""Turn a table group into the Glue table and partitions the crawler would write.

Table columns are the widened union of every data folder's columns, and every partition
gets exactly those columns, so partitions can never disagree with the table or with each
other. Parameters follow Glue's crawler: ``classification``, ``compressionType``,
``typeOfData=file``, ``recordCount`` (an estimate: object bytes / average record size of the
samples, exact for Parquet/ORC/Delta samples), ``averageRecordSize``, ``objectCount``,
``sizeKey``, ``UPDATED_BY_CRAWLER``, and for CSV ``delimiter`` and
``skip.header.line.count``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from catalog.crawler.classifiers import CsvFormat, DeltaSnapshot
from catalog.crawler.explain import Explain
from catalog.crawler.grouping import TableGroup
from catalog.crawler.leaves import Compat, Leaf
from catalog.crawler.partitions import partition_spec
from catalog.crawler.widening import Trace, merge_columns
from catalog.formats import format_parameters, storage_descriptor
from catalog.model import (
    Column,
    Param,
    Partition,
    Table,
    TableType,
)
from catalog.types import GlueType
from lake.storage import uris

__all__ = [
    "CRAWLER_PARAMETERS",
    "PartitionCandidate",
    "TableCandidate",
    "build_candidate",
    "folder_uri",
    "safe_table_name",
    "suffixed_name",
]

_BAD = re.compile(r"[^a-z0-9_]+")
CRAWLER_PARAMETERS = {
    "CrawlerSchemaDeserializerVersion": "1.0",
    "CrawlerSchemaSerializerVersion": "1.0",
}


def folder_uri(include_uri: str, rel: str) -> str:
    """The URI of folder ``rel`` below an include path, with Glue's trailing ``/``."""
    return uris.join(include_uri, rel).rstrip("/") + "/"


def safe_table_name(raw: str, prefix: str = "") -> str:
    """A Glue table name from a folder name: lower case, ``[a-z0-9_]``, prefix prepended."""
    name = _BAD.sub("_", raw.strip().lower()).strip("_") or "table"
    return (prefix.lower() + name)[:255]


def suffixed_name(name: str, location: str) -> str:
    """``name`` made unique with a short hash of ``location`` (Glue does the same)."""
    digest = hashlib.sha1(location.encode("utf-8")).hexdigest()[:8]
    return f"{name[:246]}_{digest}"


@dataclass
class PartitionCandidate:
    """One partition: its values (in key order), location and data folder."""

    values: tuple[str, ...]
    location: str
    leaf: Leaf


@dataclass
class TableCandidate:
    """A table the crawl found, before it is compared with the catalog."""

    name: str
    root: str
    location: str
    include_path: str
    compat: Compat
    columns: list[tuple[str, GlueType]]
    partition_keys: list[tuple[str, str]]
    partitions: list[PartitionCandidate]
    objects: int
    size: int
    records: int | None
    avg_record_size: float | None
    compression: str
    csv: CsvFormat | None = None
    delta: DeltaSnapshot | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def classification(self) -> str:
        return self.compat.classification

    def _parameters(
        self,
        objects: int,
        size: int,
        records: int | None,
        avg: float | None,
    ) -> dict[str, str]:
        csv = self.csv
        params = format_parameters(
            self.classification,
            compression=self.compression,
            delimiter=csv.delimiter if csv else ",",
            header=bool(csv and csv.header),
            quoted=bool(csv and csv.quoted),
        )
        params.update(CRAWLER_PARAMETERS)
        params[Param.OBJECT_COUNT] = str(objects)
        params[Param.SIZE_KEY] = str(size)
        if records is not None:
            params[Param.RECORD_COUNT] = str(records)
        if avg is not None:
            params[Param.AVERAGE_RECORD_SIZE] = str(max(1, round(avg)))
        return params

    def table(self, database: str, crawler: str) -> Table:
        """The Glue table (``UPDATED_BY_CRAWLER`` = ``crawler``)."""
        params = self._parameters(self.objects, self.size, self.records, self.avg_record_size)
        params[Param.UPDATED_BY_CRAWLER] = crawler
        if self.delta is not None:
            params[Param.DELTA_VERSION] = str(self.delta.version)
        columns = [Column(n, str(t)) for n, t in self.columns]
        sd = storage_descriptor(
            self.classification,
            columns,
            self.location,
            compressed=self.compression not in ("none", ""),
            delimiter=self.csv.delimiter if self.csv else ",",
            quoted=bool(self.csv and self.csv.quoted),
        )
        return Table(
            name=self.name,
            database_name=database,
            storage_descriptor=sd,
            partition_keys=tuple(Column(n, t) for n, t in self.partition_keys),
            table_type=TableType.EXTERNAL_TABLE.value,
            parameters=params,
        )

    def partition_objects(self, table: Table) -> list[Partition]:
        """Every partition, with the table's columns and its own location and statistics."""
        out = []
        for p in self.partitions:
            leaf = p.leaf
            params = self._parameters(leaf.objects, leaf.size, leaf.records, leaf.avg_record_size)
            sd = table.storage_descriptor.with_location(p.location)
            out.append(
                Partition(
                    values=p.values,
                    database_name=table.database_name,
                    table_name=table.name,
                    storage_descriptor=sd,
                    parameters=params,
                )
            )
        return out


def build_candidate(
    group: TableGroup,
    include_uri: str,
    table_prefix: str,
    explain: Explain,
) -> TableCandidate:
    """Columns, partitions and statistics of one table group."""
    root_name = group.root.rpartition("/")[2] if group.root else _include_name(include_uri)
    name = safe_table_name(root_name, table_prefix)
    location = folder_uri(include_uri, group.root)
    where = group.root or "<include path>"
    leaves = group.leaves
    first = leaves[0]
    if first.delta is not None:
        snap = first.delta
        return TableCandidate(
            name=name,
            root=group.root,
            location=location.rstrip("/"),  # as catalog.delta registers Delta tables
            include_path=include_uri,
            compat=first.compat,
            columns=list(snap.columns),
            partition_keys=[(n, str(t)) for n, t in snap.partition_keys],
            partitions=[],
            objects=snap.files,
            size=snap.size,
            records=snap.records,
            avg_record_size=(snap.size / snap.records) if snap.records else None,
            compression="none",
            delta=snap,
            reason=group.reason,
        )
    trace = Trace()
    columns = merge_columns((leaf.columns for leaf in leaves), trace)
    for line in trace.lines:
        explain.add("widening", f"table {name} (across folders): {line}")
    spec = partition_spec(group.root, [leaf.rel for leaf in leaves], group.depth)
    for style in spec.styles:
        explain.add("partitions", f"table {name}: {style}")
    notes: list[str] = []
    keys = set(spec.keys)
    clashing = [n for n, _ in columns if n in keys]
    if clashing:
        columns = [(n, t) for n, t in columns if n not in keys]
        for n in clashing:
            note = f"table {name}: data column {n!r} is also a partition key; the partition key wins"
            notes.append(note)
            explain.add("partitions", note)
    partitions = []
    if group.depth:
        for leaf in leaves:
            partitions.append(PartitionCandidate(spec.values[leaf.rel], folder_uri(include_uri, leaf.rel), leaf))
        explain.add(
            "partitions",
            f"table {name}: {len(partitions)} partition(s) by {', '.join(spec.keys)}",
        )
    records = None
    if all(leaf.records is not None for leaf in leaves):
        records = sum(leaf.records or 0 for leaf in leaves)
    size = sum(leaf.size for leaf in leaves)
    compressions = [leaf.compression for leaf in leaves]
    compression = max(set(compressions), key=compressions.count)
    csv = next((leaf.csv for leaf in leaves if leaf.csv is not None), None)
    if csv is not None and any(leaf.csv and leaf.csv.quoted for leaf in leaves):
        csv = CsvFormat(csv.delimiter, csv.header, True, csv.header_reason)
    explain.add(
        "grouping",
        f"table {name} at {where}: {first.compat}, {len(columns)} columns, {len(leaves)} data folder(s)",
    )
    return TableCandidate(
        name=name,
        root=group.root,
        location=location,
        include_path=include_uri,
        compat=first.compat,
        columns=columns,
        partition_keys=[(k, "string") for k in spec.keys],
        partitions=sorted(partitions, key=lambda p: p.values),
        objects=sum(leaf.objects for leaf in leaves),
        size=size,
        records=records,
        avg_record_size=(size / records) if records else None,
        compression=compression,
        csv=csv,
        reason=group.reason,
        notes=notes,
    )


def _include_name(include_uri: str) -> str:
    native = uris.to_native(include_uri).rstrip("/")
    if uris.is_s3(native):
        bucket, key = uris.split_s3(native)
        return key.rpartition("/")[2] if key else bucket
    return native.rpartition("/")[2] or "root"
