"""The Glue data model: exact round trips, format helpers, validation."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from catalog import (
    FORMATS,
    Column,
    Database,
    InvalidInputError,
    Partition,
    Table,
    TableVersion,
    format_parameters,
    glue_json,
    storage_descriptor,
)
from catalog.validation import validate_name, validate_table

# A table as Glue's crawler creates it (GetTable response), in the canonical key set.
GLUE_CSV_TABLE = {
    "Name": "readings",
    "DatabaseName": "raw",
    "Owner": "owner",
    "CreateTime": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    "UpdateTime": datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
    "LastAccessTime": datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
    "Retention": 0,
    "StorageDescriptor": {
        "Columns": [
            {"Name": "device", "Type": "string"},
            {"Name": "hr", "Type": "bigint", "Comment": "beats per minute"},
            {"Name": "meta", "Type": "struct<fw:string,battery:double>"},
        ],
        "Location": "s3://lake/raw/readings/",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "Parameters": {"field.delim": ","},
        },
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": {"classification": "csv", "delimiter": ",", "skip.header.line.count": "1"},
        "StoredAsSubDirectories": False,
    },
    "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}],
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
        "UPDATED_BY_CRAWLER": "raw-crawler",
        "areColumnsQuoted": "false",
        "averageRecordSize": "47",
        "classification": "csv",
        "columnsOrdered": "true",
        "compressionType": "none",
        "delimiter": ",",
        "objectCount": "3",
        "recordCount": "1200",
        "sizeKey": "56400",
        "skip.header.line.count": "1",
        "typeOfData": "file",
    },
    "CreatedBy": "arn:aws:sts::123456789012:assumed-role/AWSGlueServiceRole/AWS-Crawler",
    "IsRegisteredWithLakeFormation": False,
    "CatalogId": "123456789012",
    "VersionId": "3",
}


def test_glue_table_dict_round_trips_exactly() -> None:
    original = copy.deepcopy(GLUE_CSV_TABLE)
    table = Table.from_glue(original)
    assert table.to_glue() == GLUE_CSV_TABLE
    assert table.extra == {"IsRegisteredWithLakeFormation": False, "CatalogId": "123456789012"}
    assert table.columns[1] == Column("hr", "bigint", comment="beats per minute")
    assert table.classification == "csv" and table.version_id == "3"


def test_model_round_trips_through_json() -> None:
    table = Table.from_glue(GLUE_CSV_TABLE)
    text = json.dumps(glue_json(table.to_glue()))
    assert Table.from_glue(json.loads(text)) == table


def test_table_input_has_no_store_managed_keys() -> None:
    table_input = Table.from_glue(GLUE_CSV_TABLE).to_table_input()
    for key in (
        "DatabaseName",
        "CreateTime",
        "UpdateTime",
        "VersionId",
        "CatalogId",
        "CreatedBy",
        "IsRegisteredWithLakeFormation",
    ):
        assert key not in table_input
    assert table_input["StorageDescriptor"] == GLUE_CSV_TABLE["StorageDescriptor"]


def test_table_version_round_trip() -> None:
    version = TableVersion.from_glue({"Table": GLUE_CSV_TABLE, "VersionId": "3"})
    assert version.to_glue() == {"Table": GLUE_CSV_TABLE, "VersionId": "3"}


def test_database_and_partition_round_trip() -> None:
    db = {
        "Name": "raw",
        "Description": "landing",
        "LocationUri": "s3://lake/raw",
        "Parameters": {"a": "b"},
        "CreateTime": datetime(2024, 1, 1, tzinfo=UTC),
        "CatalogId": "123",
    }
    assert Database.from_glue(db).to_glue() == db
    part = {
        "Values": ["2024", "05"],
        "DatabaseName": "raw",
        "TableName": "readings",
        "CreationTime": datetime(2024, 5, 1, tzinfo=UTC),
        "StorageDescriptor": GLUE_CSV_TABLE["StorageDescriptor"],
        "Parameters": {"recordCount": "5"},
        "CatalogId": "123",
    }
    parsed = Partition.from_glue(part)
    assert parsed.to_glue() == part
    assert parsed.spec(["year", "month"]) == {"year": "2024", "month": "05"}
    assert "DatabaseName" not in parsed.to_partition_input()


def test_model_objects_round_trip_from_constructors() -> None:
    table = Table.external(
        "db",
        "t",
        [("a", "int")],
        "s3://x/t",
        "json",
        partition_keys=[("dt", "date")],
        compression="gzip",
    )
    assert Table.from_glue(table.to_glue()) == table
    view = Table.view("db", "v", "SELECT 1 AS one", [("one", "int")])
    assert Table.from_glue(view.to_glue()) == view


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_standard_format_has_glue_classes(fmt: str) -> None:
    sd = storage_descriptor(fmt, [Column("a", "int")], "s3://x/")
    assert sd.input_format and sd.output_format and sd.serde_info
    assert sd.serde_info.serialization_library
    assert format_parameters(fmt)["classification"] == fmt


def test_format_specific_details() -> None:
    parquet = storage_descriptor("parquet", [], None)
    assert parquet.input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    json_sd = storage_descriptor("json", [Column("a", "int"), Column("b", "string")], None)
    assert json_sd.serde_info.serialization_library == "org.openx.data.jsonserde.JsonSerDe"  # type: ignore[union-attr]
    assert json_sd.serde_info.parameters == {"paths": "a,b"}  # type: ignore[union-attr]
    quoted = storage_descriptor("csv", [], None, delimiter="\t", quoted=True)
    assert quoted.serde_info.serialization_library == "org.apache.hadoop.hive.serde2.OpenCSVSerde"  # type: ignore[union-attr]
    assert quoted.serde_info.parameters == {"separatorChar": "\t", "quoteChar": '"'}  # type: ignore[union-attr]
    csv = format_parameters("csv", delimiter="|", header=True)
    assert (csv["delimiter"], csv["skip.header.line.count"], csv["areColumnsQuoted"]) == (
        "|",
        "1",
        "false",
    )
    assert "skip.header.line.count" not in format_parameters("csv")
    delta = format_parameters("delta")
    assert (delta["table_type"], delta["spark.sql.sources.provider"]) == ("DELTA", "delta")
    assert format_parameters("json", compression="gzip")["compressionType"] == "gzip"


def test_unknown_format_lists_valid_ones() -> None:
    with pytest.raises(
        InvalidInputError, match="valid formats: avro, csv, delta, json, orc, parquet"
    ):
        storage_descriptor("xml", [], None)


def test_validate_table_checks_names_and_types() -> None:
    ok = validate_table(Table.external("Raw", "Readings", [("a", "INT")], "s3://x"))
    assert (ok.database_name, ok.name) == ("raw", "readings")
    with pytest.raises(InvalidInputError, match="duplicate column"):
        validate_table(
            Table.external("raw", "t", [("a", "int")], "s3://x", partition_keys=[("A", "int")])
        )
    with pytest.raises(InvalidInputError, match=r"PartitionKeys\[0\].Type"):
        validate_table(
            Table.external("raw", "t", [("a", "int")], "s3://x", partition_keys=[("p", "nope")])
        )


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "x" * 256, "-lead"])
def test_invalid_names(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_name("table", bad)


def test_all_columns_and_lookup() -> None:
    table = Table.external("d", "t", [("a", "int")], "s3://x", partition_keys=[("p", "string")])
    assert [c.name for c in table.all_columns] == ["a", "p"]
    assert table.column("p") == Column("p", "string") and table.column("zz") is None
    assert table.with_parameters(recordCount=3).parameters["recordCount"] == "3"
    assert table.qualified_name == "d.t"
