"""The ``lake`` command: global flags and the command groups of every stage."""

from __future__ import annotations

import importlib

import typer

from infra.cli.boundary import BoundaryGroup
from infra.cli.context import CliContext

__all__ = ["app", "main"]

app = typer.Typer(
    name="lake",
    cls=BoundaryGroup,
    help="lakeforge: a local-first data lake + ML stack (Kinesis → S3 → Glue → Athena → Spark ML).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module registers its commands on ``app`` through a ``register(app)`` function.
COMMAND_MODULES = [
    "infra.cli.services",
    "infra.cli.table",
    "infra.cli.demo",
    "infra.cli.simulate",
    "infra.cli.ingest",
    "infra.cli.catalog",
    "infra.cli.crawl",
    "infra.cli.sql",
    "infra.cli.sql_server",
    "infra.cli.pipeline",
    "infra.cli.schedule",
    "infra.cli.predict",
    "infra.cli.serve",
    "infra.cli.monitor",
    "infra.cli.train",
    "infra.cli.model",
    "infra.cli.etl",
    "infra.cli.quality",
    "infra.cli.invoke",
    "infra.cli.report",
]


@app.callback()
def _global(
    ctx: typer.Context,
    profile: str | None = typer.Option(
        None, "--profile", envvar="LAKEFORGE_PROFILE", help="Storage profile: local, moto, s3 or a configured name."
    ),
    lake: str | None = typer.Option(
        None, "--lake", envvar="LAKEFORGE_LAKE", help="Lake URI (s3://bucket/prefix or a directory)."
    ),
    master: str | None = typer.Option(
        None, "--master", help="Spark master (local[N] or spark://host:port)."
    ),
) -> None:
    ctx.obj = CliContext({"profile": profile, "lake": lake, "spark.master": master})
    ctx.call_on_close(ctx.obj.close)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point (errors become one line at :class:`BoundaryGroup`)."""
    app()
