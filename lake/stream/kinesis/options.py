"""Options of ``spark.readStream.format("kinesis")``, parsed case-insensitively.

Spark hands Python data sources their options with keys as given by the user; Kinesis
option names are documented in camelCase and looked up lower-cased here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lake.stream.kinesis.errors import KinesisOptionError

__all__ = ["STARTING_POSITIONS", "KinesisOptions", "kinesis_options"]

STARTING_POSITIONS = ("trim_horizon", "latest", "at_timestamp")
MAX_FETCH = 10_000  # GetRecords' Limit ceiling
_TIMESTAMP_FORMS = "epoch milliseconds or ISO-8601"


@dataclass(frozen=True)
class KinesisOptions:
    """Validated source options (credentials are kept out of ``repr``)."""

    stream: str
    endpoint: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    starting_position: str = "trim_horizon"
    starting_timestamp_ms: int | None = None
    max_records_per_trigger: int | None = None
    max_records_per_fetch: int = MAX_FETCH
    retry_timeout_seconds: float = 120.0
    fail_on_data_loss: bool = True
    contiguous_sequence_numbers: bool = False
    checkpoint_location: str | None = None

    @property
    def checkpoint(self) -> str:
        """The checkpoint as error messages name it."""
        return self.checkpoint_location or "of the streaming query"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> KinesisOptions:
        opts = {str(k).lower(): v for k, v in options.items() if v is not None}
        stream = opts.get("stream") or opts.get("streamname")
        if not stream:
            raise KinesisOptionError("stream", None, "the Kinesis stream name")
        position = str(opts.get("startingposition", "trim_horizon")).strip().lower()
        if position not in STARTING_POSITIONS:
            raise KinesisOptionError("startingPosition", position, " | ".join(STARTING_POSITIONS))
        timestamp = None
        if position == "at_timestamp":
            timestamp = _timestamp_ms(opts.get("startingtimestamp"))
        return cls(
            stream=str(stream),
            endpoint=opts.get("endpoint") or opts.get("endpointurl") or None,
            region=str(opts.get("region") or "us-east-1"),
            access_key_id=opts.get("awsaccesskeyid"),
            secret_access_key=opts.get("awssecretaccesskey"),
            session_token=opts.get("awssessiontoken"),
            starting_position=position,
            starting_timestamp_ms=timestamp,
            max_records_per_trigger=_positive(
                "maxRecordsPerTrigger", opts.get("maxrecordspertrigger")
            ),
            max_records_per_fetch=min(
                MAX_FETCH,
                _positive("maxRecordsPerFetch", opts.get("maxrecordsperfetch")) or MAX_FETCH,
            ),
            retry_timeout_seconds=float(
                _positive("retryTimeoutSeconds", opts.get("retrytimeoutseconds")) or 120
            ),
            fail_on_data_loss=_flag("failOnDataLoss", opts.get("failondataloss"), True),
            contiguous_sequence_numbers=_flag(
                "contiguousSequenceNumbers", opts.get("contiguoussequencenumbers"), False
            ),
            checkpoint_location=opts.get("checkpointlocation") or None,
        )

    def boto3_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint:
            kwargs["endpoint_url"] = self.endpoint
        if self.access_key_id:
            kwargs["aws_access_key_id"] = self.access_key_id
        if self.secret_access_key:
            kwargs["aws_secret_access_key"] = self.secret_access_key
        if self.session_token:
            kwargs["aws_session_token"] = self.session_token
        return kwargs


def _positive(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise KinesisOptionError(name, value, "a positive integer") from None
    if number <= 0:
        raise KinesisOptionError(name, value, "a positive integer")
    return number


def _flag(name: str, value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise KinesisOptionError(name, value, "true | false")


def _timestamp_ms(value: Any) -> int:
    """``startingTimestamp``: epoch milliseconds or an ISO-8601 time (UTC when no offset)."""
    if value is None or value == "":
        raise KinesisOptionError("startingTimestamp", None, _TIMESTAMP_FORMS + " (at_timestamp)")
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise KinesisOptionError("startingTimestamp", value, _TIMESTAMP_FORMS) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def kinesis_options(
    boto3_kwargs: Mapping[str, Any],
    stream: str,
    *,
    starting_position: str = "trim_horizon",
    starting_timestamp: str | int | None = None,
    max_records_per_trigger: int | None = None,
    fail_on_data_loss: bool = True,
    contiguous_sequence_numbers: bool = False,
    checkpoint_location: str | None = None,
) -> dict[str, str]:
    """``readStream`` options for ``stream`` from a profile's ``boto3_kwargs()``.

    ``checkpoint_location`` only names the checkpoint in error messages (a Python data source
    is not told where its query checkpoints). The result holds credentials: pass it to
    ``.options(**...)`` and never print it.
    """
    out = {"stream": stream, "startingPosition": starting_position}
    mapping = {
        "endpoint_url": "endpoint",
        "region_name": "region",
        "aws_access_key_id": "awsAccessKeyId",
        "aws_secret_access_key": "awsSecretAccessKey",
        "aws_session_token": "awsSessionToken",
    }
    for key, option in mapping.items():
        if boto3_kwargs.get(key):
            out[option] = str(boto3_kwargs[key])
    if starting_timestamp is not None:
        out["startingTimestamp"] = str(starting_timestamp)
    if max_records_per_trigger:
        out["maxRecordsPerTrigger"] = str(max_records_per_trigger)
    if not fail_on_data_loss:
        out["failOnDataLoss"] = "false"
    if contiguous_sequence_numbers:
        out["contiguousSequenceNumbers"] = "true"
    if checkpoint_location:
        out["checkpointLocation"] = checkpoint_location
    return out
