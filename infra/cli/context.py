"""What every CLI command shares: the global flags, loaded settings, profile and output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from lake.config import Settings, load_settings
from lake.storage import StorageProfile, get_profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from catalog.stores.base import CatalogStore

__all__ = ["CATALOG_OPTION", "CliContext", "get_ctx", "print_json", "with_catalog"]

console = Console(stderr=False, soft_wrap=True)  # lines (paths, URIs) never wrap when piped
err_console = Console(stderr=True, soft_wrap=True)


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

    _catalogs: dict[str, CatalogStore] = field(default_factory=dict, repr=False)

    def catalog(self, store: str | None = None) -> CatalogStore:
        """The catalog store ``store`` (default: the configured one), opened once; closed when the command ends."""
        from catalog.stores import get_catalog

        name = (store or self.settings.catalog_store or "embedded").lower()
        if name not in self._catalogs:
            self._catalogs[name] = get_catalog(self.settings, self.profile, store=name)
        return self._catalogs[name]

    def close(self) -> None:
        """Close every catalog store this command opened."""
        while self._catalogs:
            self._catalogs.popitem()[1].close()

    def spark(self, app_name: str = "lakeforge") -> SparkSession:
        """The SparkSession, started only after the lake answers (a bad lake is said at once)."""
        from lake.spark.session import build_spark
        from lake.storage.translate import check_location

        check_location(self.profile)
        return build_spark(self.settings, self.profile, app_name=app_name)


def get_ctx(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, CliContext):
        obj = CliContext()
        root.obj = obj
        root.call_on_close(obj.close)
    return obj


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (no colour, stable key order)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


CATALOG_OPTION: Any = typer.Option(
    None,
    "--catalog",
    envvar="LAKEFORGE_CATALOG__STORE",
    help="Catalog store: embedded (SQLite, default) or glue (Glue API).",
)


def with_catalog(ctx: typer.Context, store: str | None, action: Callable[[CatalogStore], Any]) -> Any:
    """Run ``action`` on catalog store ``store`` (default: the configured one), closed when the command ends.

    Errors reach the ``lake`` command's boundary (one line, exit code 1).
    """
    return action(get_ctx(ctx).catalog(store))
