"""Athena's ``USING EXTERNAL FUNCTION … SAGEMAKER 'endpoint'`` on Spark: a pandas UDF calling a ``lake serve`` endpoint.

Each Arrow batch of the function's arguments is sent to the endpoint as ``text/csv`` rows (the
arguments in declaration order, as Athena sends them — declare them in the model signature's
order) in requests of at most :data:`ROWS_PER_REQUEST` rows, and the ``predictions`` of the
answers come back as the function's values (cast to its ``RETURNS`` type). A refused request
fails the query with the endpoint's one-line reason. The executors call the endpoint at the URL
the state file records (127.0.0.1): on a multi-host cluster the endpoint must be reachable from
every worker.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from catalog.sql.ml_grammar import ExternalFunction

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["ROWS_PER_REQUEST", "invoke_csv", "register_external_function"]

ROWS_PER_REQUEST = 1000


def invoke_csv(url: str, endpoint: str, rows: Sequence[Sequence[Any]], *, timeout: float = 60.0) -> list[Any]:
    """POST ``rows`` as CSV to the endpoint; its ``predictions`` in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    request = urllib.request.Request(f"{url}/endpoints/{endpoint}/invocations", data=buffer.getvalue().encode(),
                                     headers={"Content-Type": "text/csv", "Accept": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")
        try:
            reason = json.loads(body).get("message", body)
        except ValueError:
            reason = body
        raise RuntimeError(f"endpoint {endpoint!r} refused the rows (HTTP {exc.code}): {reason}") from None
    predictions = answer.get("predictions")
    if not isinstance(predictions, list) or len(predictions) != len(rows):
        raise RuntimeError(f"endpoint {endpoint!r} answered {len(predictions or [])} predictions for {len(rows)} rows")
    return predictions


def register_external_function(spark: SparkSession, function: ExternalFunction, url: str) -> None:
    """Register ``function`` as a temporary SQL function of the session calling the endpoint at ``url``."""
    import warnings

    from pyspark.sql.functions import PandasUDFType, pandas_udf

    endpoint = function.endpoint
    arity = len(function.params)

    def call(*columns):  # type: ignore[no-untyped-def]  # no hints: Spark's hint form takes no *args
        import pandas as pd

        if len(columns) != arity:
            raise RuntimeError(f"{function.name} takes {arity} arguments, got {len(columns)}")
        rows = list(zip(*(c.astype(object).where(c.notna(), None).tolist() for c in columns), strict=True))
        values: list[Any] = []
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            values += invoke_csv(url, endpoint, rows[start:start + ROWS_PER_REQUEST])
        return pd.Series(values)

    with warnings.catch_warnings():  # the explicit SCALAR type is the only form that takes any number of columns
        warnings.simplefilter("ignore")
        scalar = pandas_udf(call, function.returns, PandasUDFType.SCALAR)  # type: ignore[call-overload]
    spark.udf.register(function.name, scalar)
