"""``lake invoke``: send a model endpoint records of a table, as a client would (boto3 ``sagemaker-runtime``).

    lake invoke heart_risk@champion --input ml.heart_risk_scores --requests 20
    lake invoke heart_risk:3 --input ml.heart_risk_scores --name heart-risk --keep-running --json

The endpoint is the model's ``lake serve`` endpoint (``--name``, default the model name as
``lake serve`` names it): started for the command and stopped after it, unless it was already
running (then it is left as it was) or ``--keep-running``. Records come from the Delta table
``--input`` (only the fields of the model's signature); when the table holds ``lake predict``
output of the same version, each answer is checked against the batch prediction. Any refused
request or disagreement fails the command after its summary is printed.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from infra.cli.context import console, get_ctx, print_json

__all__ = ["invoke", "register"]


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def invoke(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME (latest), NAME:VERSION or NAME@ALIAS.")],
    input_name: Annotated[str, typer.Option("--input", help="Delta table (db.name) whose records are sent, e.g. "
                                                            "lake predict's output.")],
    name: Annotated[str | None, typer.Option("--name", help="Endpoint name (default: the model name, as lake "
                                             "serve names it).")] = None,
    requests: Annotated[int, typer.Option("--requests", min=1, max=10_000, help="Requests to send.")] = 20,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=1000, help="Records per request.")] = 1,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="Leave an endpoint this command started "
                                               "running.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the endpoint to load the "
                                           "model.")] = 180.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Send records of a table to MODEL's endpoint (started for the command if needed) and check the answers."""
    from infra.cli.serve import check_servable
    from infra.delta_rows import read_rows
    from infra.endpoint_probe import probe_endpoint, request_record
    from infra.errors import EndpointProbeError
    from infra.services.model_server import EndpointOptions, start_model_endpoint, stop_model_endpoint
    from lake.ml.serving.registry import load_registered_export
    from lake.ml.tracking import ModelRef, ModelRegistry, open_tracking

    cli = get_ctx(ctx)
    endpoint = name or ModelRef.parse(model).name.replace("_", "-")
    options = EndpointOptions(model=model, name=endpoint)
    options.validate()
    registry = ModelRegistry(open_tracking(cli.settings, cli.profile))
    info = registry.resolve(model)
    check_servable(cli, model)
    signature = load_registered_export(registry, info).signature
    table = read_rows(cli.catalog(), cli.profile, input_name, limit=max(200, 5 * requests * batch_size))
    records: list[dict[str, Any]] = []
    expected: list[dict[str, Any] | None] = []
    for row in table.rows:
        record = request_record(row, signature)
        if record is not None and len(records) < requests * batch_size:
            records.append(record)
            expected.append(_batch_prediction(row, info.version))
    started = start_model_endpoint(cli.settings, options, timeout=timeout)
    entry = started.entry
    served = entry.get("serving_version") or entry.get("version_at_start")
    try:
        result = probe_endpoint(str(entry["url"]), endpoint, records,
                                expected=expected if served == info.version else (), batch_size=batch_size)
    finally:
        stopped = started.started and not keep_running
        if stopped:
            stop_model_endpoint(cli.settings.home, endpoint)
    out = {**result.to_dict(), "input": input_name, "input_version": table.version, "started": started.started,
           "stopped": stopped}
    if as_json:
        print_json(out)
    else:
        _say(f"{result.requests} requests ({result.records} records) to endpoint {endpoint} at {result.url}: "
             f"{result.errors} refused; latency p50 {result.p50_ms} ms, p99 {result.p99_ms} ms")
        if result.compared:
            _say(f"{result.agreed} of {result.compared} answers equal the batch predictions in {input_name}")
        _say(f"endpoint {'stopped' if stopped else 'left running'}")
    if result.errors:
        raise EndpointProbeError(endpoint=endpoint, reason=f"{result.errors} of {result.requests} requests refused; "
                                 f"first: {result.first_error}")
    if result.agreed < result.compared:
        raise EndpointProbeError(endpoint=endpoint, reason=f"{result.compared - result.agreed} of {result.compared} "
                                 f"answers differ from the batch predictions in {input_name}")


def _batch_prediction(row: dict[str, Any], version: int) -> dict[str, Any] | None:
    """The row's ``lake predict`` answer when ``version`` made it (``None`` otherwise)."""
    if "prediction" not in row or str(row.get("model_version")) != str(version):
        return None
    return {"prediction": row["prediction"], "probability": row.get("probability")}


def register(app: typer.Typer) -> None:
    app.command("invoke")(invoke)
