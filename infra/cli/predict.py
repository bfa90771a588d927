"""``lake predict``: batch transform — a registered model scores a catalog table or view into a Delta table.

    lake predict heart_risk@champion --input silver.heart_visits --where "event_date >= '2024-06-01'" \\
        --output gold.heart_risk_scores --mode append --keep visit_id,prediction,probability
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from infra.cli.context import console, get_ctx, print_json

__all__ = ["JoinSource", "Mode", "register"]


class Mode(StrEnum):
    """How predictions are written to the output table."""

    APPEND = "append"
    OVERWRITE = "overwrite"


class JoinSource(StrEnum):
    """What each prediction is joined to (SageMaker's JoinSource)."""

    INPUT = "input"
    ID = "id"


def _columns(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [c.strip() for c in text.split(",") if c.strip()]


def predict(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME (latest), NAME:VERSION or NAME@ALIAS.")],
    input_name: Annotated[str, typer.Option("--input", help="Catalog table or view to score (db.name).")],
    output: Annotated[str, typer.Option("--output", help="Delta table to write (db.table; created and "
                                                         "registered if new).")],
    where: Annotated[str | None, typer.Option("--where", help="Only rows matching this SQL expression.")] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="append or overwrite the output table.")] = Mode.APPEND,
    keep: Annotated[str | None, typer.Option("--keep", help="Output filter: output columns to keep, "
                                                            "comma-separated.")] = None,
    input_columns: Annotated[str | None, typer.Option("--input-columns", help="Input filter: the columns the "
                                                      "model may read, comma-separated.")] = None,
    join: Annotated[JoinSource, typer.Option("--join", help="Join each prediction to the whole input record "
                                             "(input) or only its id (id, needs --id).")] = JoinSource.INPUT,
    id_col: Annotated[str | None, typer.Option("--id", help="Record id column (with --join id).")] = None,
    dialect: Annotated[str, typer.Option("--dialect", help="Dialect of --where: spark or athena.")] = "spark",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Score a table or view with a registered model into a Delta table (idempotent per model version and input)."""
    from catalog.inference import PredictOptions, run_batch_predict
    from lake.ml.tracking import ModelRegistry, open_tracking

    cli = get_ctx(ctx)
    options = PredictOptions(where=where, mode=mode.value, keep=_columns(keep),  # type: ignore[arg-type]
                             input_columns=_columns(input_columns), join=join.value,  # type: ignore[arg-type]
                             id_col=id_col, dialect=dialect)
    registry = ModelRegistry(open_tracking(cli.settings, cli.profile))
    registry.resolve(model)  # an unknown model is said before Spark starts
    store = cli.catalog()
    spark = cli.spark("lakeforge-predict")
    result = run_batch_predict(spark, store, cli.profile, registry, model, input_name, output, options)
    if as_json:
        print_json(result.to_dict())
        return
    read = ", ".join(f"{s['table']}@v{s['version']}" for s in result.sources if s.get("version") is not None)
    if result.committed:
        console.print(f"{result.output}: {result.rows} predictions of {result.model}:{result.version} "
                      f"({result.mode}, table version {result.table_version}; read {read or result.input})",
                      highlight=False, markup=False, soft_wrap=True)
    else:
        console.print(f"{result.output}: already holds {result.model}:{result.version}'s predictions of "
                      f"{read or result.input} — nothing written", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
