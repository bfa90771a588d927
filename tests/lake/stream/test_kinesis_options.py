"""Options of the kinesis source: case-insensitive keys, validation, profile mapping."""

from __future__ import annotations

import pytest

from lake.stream.kinesis import KinesisOptionError, KinesisOptions, kinesis_options


def test_keys_are_case_insensitive() -> None:
    opts = KinesisOptions.from_options(
        {
            "STREAM": "heart",
            "StartingPosition": "LATEST",
            "maxrecordspertrigger": "250",
            "Endpoint": "http://127.0.0.1:1",
        }
    )
    assert (opts.stream, opts.starting_position, opts.max_records_per_trigger) == (
        "heart",
        "latest",
        250,
    )
    assert opts.endpoint == "http://127.0.0.1:1"


def test_defaults_read_from_trim_horizon_without_a_limit() -> None:
    opts = KinesisOptions.from_options({"stream": "s"})
    assert opts.starting_position == "trim_horizon"
    assert opts.max_records_per_trigger is None
    assert opts.max_records_per_fetch == 10_000


def test_missing_stream_is_a_clear_error() -> None:
    with pytest.raises(KinesisOptionError, match="stream: missing"):
        KinesisOptions.from_options({"startingPosition": "latest"})


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"startingPosition": "earliest"}, "trim_horizon | latest | at_timestamp"),
        ({"maxRecordsPerTrigger": "0"}, "positive integer"),
        ({"maxRecordsPerTrigger": "many"}, "positive integer"),
        ({"startingPosition": "at_timestamp"}, "startingTimestamp: missing"),
        ({"startingPosition": "at_timestamp", "startingTimestamp": "yesterday"}, "ISO-8601"),
    ],
)
def test_invalid_options_name_the_option(options: dict[str, str], match: str) -> None:
    with pytest.raises(KinesisOptionError, match=match):
        KinesisOptions.from_options({"stream": "s", **options})


def test_at_timestamp_accepts_iso_and_epoch_millis() -> None:
    iso = KinesisOptions.from_options(
        {
            "stream": "s",
            "startingPosition": "at_timestamp",
            "startingTimestamp": "2026-01-02T03:04:05Z",
        }
    )
    millis = KinesisOptions.from_options(
        {"stream": "s", "startingPosition": "at_timestamp", "startingTimestamp": "1767323045000"}
    )
    assert iso.starting_timestamp_ms == millis.starting_timestamp_ms == 1767323045000


def test_profile_kwargs_become_options_and_stay_out_of_repr() -> None:
    opts = kinesis_options(
        {
            "endpoint_url": "http://e",
            "region_name": "eu-west-1",
            "aws_access_key_id": "AKID",
            "aws_secret_access_key": "s3cr3t-value",
        },
        "heart",
        max_records_per_trigger=100,
    )
    assert opts == {
        "stream": "heart",
        "startingPosition": "trim_horizon",
        "endpoint": "http://e",
        "region": "eu-west-1",
        "awsAccessKeyId": "AKID",
        "awsSecretAccessKey": "s3cr3t-value",
        "maxRecordsPerTrigger": "100",
    }
    parsed = KinesisOptions.from_options(opts)
    assert parsed.boto3_kwargs()["aws_secret_access_key"] == "s3cr3t-value"
    assert "s3cr3t" not in repr(parsed)
