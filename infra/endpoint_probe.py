"""Probe a model endpoint with real records, as a client would: boto3's ``sagemaker-runtime``.

:func:`probe_endpoint` sends records (JSON, ``batch_size`` per request) to a running endpoint
through ``invoke_endpoint`` with ``endpoint_url`` set to the local server, times each request,
keeps a few exchanges as samples, and — when the records carry a batch prediction of the same
model version (``prediction`` / ``probability`` from ``lake predict``) — checks that the
endpoint's answer equals it. :func:`request_record` turns a table row into a request record:
only the model's signature fields, and ``None`` for a row the signature refuses.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from infra.errors import EndpointProbeError

if TYPE_CHECKING:
    from lake.ml.export.signature import Signature

__all__ = ["Exchange", "ProbeResult", "probe_endpoint", "request_record"]

_PROBABILITY_TOLERANCE = 1e-6
_SAMPLES = 3
_LOCAL_CREDENTIALS = {"aws_access_key_id": "lakeforge-local", "aws_secret_access_key": "lakeforge-local"}


@dataclass(frozen=True)
class Exchange:
    """One request and its answer (bodies as text), HTTP status and latency."""

    request: str
    response: str
    status: int
    latency_ms: float


@dataclass(frozen=True)
class ProbeResult:
    """What the requests showed: counts, latency percentiles, agreement with batch predictions."""

    endpoint: str
    url: str
    model: str
    version: int | None
    requests: int
    records: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    compared: int = 0
    agreed: int = 0
    first_error: str | None = None
    samples: Sequence[Exchange] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["samples"] = [asdict(s) for s in self.samples]
        return out


def request_record(row: Mapping[str, Any], signature: Signature) -> dict[str, Any] | None:
    """``row`` as a request record (the signature's fields), or ``None`` when the signature refuses it."""
    record: dict[str, Any] = {}
    for f in signature.fields:
        value = row.get(f.name)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if value is None and not f.nullable:
            return None
        if value is not None and f.categories is not None and value not in f.categories:
            return None
        record[f.name] = value
    return record


def probe_endpoint(
    url: str,
    endpoint: str,
    records: Sequence[Mapping[str, Any]],
    *,
    expected: Sequence[Mapping[str, Any] | None] = (),
    batch_size: int = 1,
    region: str = "us-east-1",
    timeout: float = 30.0,
) -> ProbeResult:
    """Send ``records`` to ``endpoint`` at ``url``, ``batch_size`` per request.

    ``expected[i]`` (optional) is record ``i``'s batch prediction: ``{"prediction": …,
    "probability": …}``; the endpoint's answer for it is compared. The local endpoint does not
    authenticate, so fixed placeholder credentials sign the requests.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    if not records:
        raise EndpointProbeError(endpoint=endpoint, reason="no records to send (the input had no usable rows)")
    client = boto3.client("sagemaker-runtime", endpoint_url=url, region_name=region,
                          config=Config(retries={"max_attempts": 1}, read_timeout=timeout, connect_timeout=timeout),
                          **_LOCAL_CREDENTIALS)
    latencies: list[float] = []
    samples: list[Exchange] = []
    errors = compared = agreed = 0
    first_error: str | None = None
    model, version = "", None
    for start in range(0, len(records), batch_size):
        chunk = list(records[start:start + batch_size])
        body = json.dumps(chunk[0] if len(chunk) == 1 else {"instances": chunk})
        began = time.perf_counter()
        try:
            answer = client.invoke_endpoint(EndpointName=endpoint, ContentType="application/json",
                                            Accept="application/json", Body=body.encode())
            text = answer["Body"].read().decode()
            status = int(answer["ResponseMetadata"]["HTTPStatusCode"])
        except ClientError as exc:
            meta = exc.response.get("ResponseMetadata", {})
            status = int(meta.get("HTTPStatusCode") or 0)
            text = json.dumps(exc.response.get("Error", {}))
            errors += 1
            first_error = first_error or f"HTTP {status}: {exc.response.get('Error', {}).get('Message', exc)}"
        except BotoCoreError as exc:
            raise EndpointProbeError(endpoint=endpoint, reason=f"{type(exc).__name__}: {exc}") from None
        latency = (time.perf_counter() - began) * 1000
        latencies.append(latency)
        if len(samples) < _SAMPLES:
            samples.append(Exchange(body, text, status, round(latency, 3)))
        if status != 200:
            continue
        data = json.loads(text)
        model, version = str(data.get("model") or model), data.get("version", version)
        for offset, got in enumerate(_answers(data)):
            want = expected[start + offset] if start + offset < len(expected) else None
            if want is not None:
                compared += 1
                agreed += _agrees(got, want)
    p50, p99 = _percentiles(latencies)
    return ProbeResult(endpoint=endpoint, url=url, model=model, version=version, requests=len(latencies),
                       records=len(records), errors=errors, p50_ms=p50, p99_ms=p99, compared=compared,
                       agreed=agreed, first_error=first_error, samples=tuple(samples))


def _answers(data: Mapping[str, Any]) -> list[tuple[Any, float | None]]:
    """``(prediction, probability of the last class)`` per record of a response."""
    predictions = data.get("predictions") or []
    probabilities = data.get("probabilities") or [None] * len(predictions)
    out = []
    for prediction, probs in zip(predictions, probabilities, strict=False):
        out.append((prediction, float(probs[-1]) if isinstance(probs, list) and probs else None))
    return out


def _agrees(got: tuple[Any, float | None], want: Mapping[str, Any]) -> bool:
    prediction, probability = got
    if want.get("prediction") is not None and prediction != want["prediction"]:
        return False
    expected = want.get("probability")
    if isinstance(expected, int | float) and probability is not None:
        return abs(probability - float(expected)) <= _PROBABILITY_TOLERANCE
    return True


def _percentiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))], 3)

    return pick(0.50), pick(0.99)
