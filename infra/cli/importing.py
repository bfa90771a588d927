"""What ``lake table import`` needs beside the library call: the target table and progress."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from infra.cli.context import CliContext, err_console
from lake.importing import ImportProgress

__all__ = ["ImportMode", "ImportTarget", "SchemaModeChoice", "import_progress", "import_target"]


class ImportMode(StrEnum):
    """How imported rows meet the table's existing rows."""

    APPEND = "append"
    OVERWRITE = "overwrite"


class SchemaModeChoice(StrEnum):
    """Schema evolution on import."""

    MERGE = "merge"
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class ImportTarget:
    """The table an import writes: its URI and, for ``db.table`` names, the catalog name."""

    uri: str
    name: str | None = None
    created: bool = False

    def register(self, cli: CliContext) -> str | None:
        """Register (or refresh) the catalog entry after the data commit; returns ``db.table``."""
        if self.name is None:
            return None
        from catalog.delta import register_delta_table

        database, _, table = self.name.partition(".")
        store = cli.catalog()
        register_delta_table(store, database, table, self.uri, cli.profile,
                             parameters={"lakeforge.job": "table import"},
                             managed=True if self.created else None)
        return self.name


def import_target(cli: CliContext, table: str) -> ImportTarget:
    """A URI or path stays as given; ``db.table`` resolves through the catalog.

    An existing catalog table must be a Delta table; a new name gets its database's location
    (or ``<lake>/warehouse/<db>/<table>``), is registered only after its first commit, and is
    managed (``DROP TABLE … PURGE`` deletes the files its log references).
    """
    from catalog.errors import CatalogError
    from catalog.names import looks_like_table_name, managed_location, parse_table_name

    if not looks_like_table_name(table) or table.startswith("."):
        return ImportTarget(cli.profile.resolve(table))
    name = parse_table_name(table)
    store = cli.catalog()
    if store.table_exists(name.database, name.table):
        existing = store.get_table(name.database, name.table)
        if existing.is_view or not existing.location:
            raise CatalogError(f"{name} is a view; import into a table")
        if (existing.classification or "").lower() != "delta":
            raise CatalogError(
                f"{name} is a {existing.classification or 'raw'} table at {existing.location}; "
                "import writes Delta tables only: choose a new name"
            )
        return ImportTarget(cli.profile.resolve(existing.location), str(name))
    location = managed_location(store, name, cli.profile.lake_uri)
    return ImportTarget(cli.profile.resolve(location), str(name), created=True)


@contextlib.contextmanager
def import_progress(*, enabled: bool) -> Iterator[Callable[[ImportProgress], None] | None]:
    """A progress bar (rows, bytes, elapsed) on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(),
                   console=err_console, transient=True)
    with bar:
        task = bar.add_task("reading", total=None, rows=0)

        def update(p: ImportProgress) -> None:
            label = {"decode": "checking encoding", "parse": "parsing", "write": "writing"}[p.phase]
            bar.update(task, description=label, completed=p.bytes, total=p.total_bytes or None, rows=p.rows)

        yield update
