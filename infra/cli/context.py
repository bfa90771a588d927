"""What every CLI command shares: the global flags, loaded settings, profile and output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from lake.config import Settings, load_settings
from lake.errors import LakeforgeError
from lake.storage import StorageProfile, get_profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from catalog.stores.base import CatalogStore

__all__ = ["CATALOG_OPTION", "CliContext", "fail", "get_ctx", "print_json", "with_catalog"]

console = Console(stderr=False)
err_console = Console(stderr=True)


@dataclass
class CliContext:
    """Global flags and the lazily built objects commands need."""

    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.overrides)

    @cached_property
    def profile(self) -> StorageProfile:
        return get_profile(self.settings)

    def spark(self, app_name: str = "lakeforge") -> SparkSession:
        from lake.spark.session import build_spark

        return build_spark(self.settings, self.profile, app_name=app_name)


def get_ctx(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        obj = CliContext()
        ctx.find_root().obj = obj
    return obj


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (no colour, stable key order)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_guarded(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` turning lakeforge errors into a one-line message and exit code 1."""
    try:
        return func(*args, **kwargs)
    except LakeforgeError as exc:
        fail(str(exc))


CATALOG_OPTION: Any = typer.Option(
    None,
    "--catalog",
    envvar="LAKEFORGE_CATALOG__STORE",
    help="Catalog store: embedded (SQLite, default) or glue (Glue API).",
)


def with_catalog(ctx: typer.Context, store: str | None, action: Callable[[CatalogStore], Any]) -> Any:
    """Open catalog store ``store`` (default: the configured one), run ``action``, close it.

    Lakeforge errors become a one-line message and exit code 1.
    """
    from catalog.stores import get_catalog

    cli = get_ctx(ctx)
    name = (store or cli.settings.catalog_store or "embedded").lower()
    try:
        catalog = get_catalog(cli.settings, cli.profile if name == "glue" else None, store=name)
        try:
            return action(catalog)
        finally:
            catalog.close()
    except LakeforgeError as exc:
        fail(str(exc))
