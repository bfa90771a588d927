"""The terminal's view of a query result: a rich table of its first rows."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from catalog.sql.results import ColumnInfo, Row, text_value

__all__ = ["RichTableSink"]


class RichTableSink:
    """A rich table of the first ``max_rows`` rows, printed when the result is complete."""

    def __init__(self, console: Console, *, max_rows: int = 1000, title: str | None = None) -> None:
        self.console = console
        self.max_rows = max_rows
        self.title = title
        self.columns: list[ColumnInfo] = []
        self.rows: list[Row] = []
        self.total = 0

    def open(self, columns: list[ColumnInfo]) -> None:
        self.columns = list(columns)

    def write(self, rows: Sequence[Row]) -> None:
        self.total += len(rows)
        room = max(0, self.max_rows - len(self.rows))
        self.rows.extend(rows[:room])

    def close(self) -> None:
        from rich.table import Table

        if not self.columns:
            return
        grid = Table(title=self.title, show_lines=False)
        for c in self.columns:
            numeric = c.type.split("(")[0] in ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
            grid.add_column(f"{c.name}\n[dim]{c.type}[/dim]", justify="right" if numeric else "left",
                            overflow="fold")
        for row in self.rows:
            grid.add_row(*[text_value(v) for v in row])
        self.console.print(grid)
        if self.total > len(self.rows):
            self.console.print(f"[dim](showing the first {len(self.rows):,} of {self.total:,} rows; "
                               "use --format csv|json|parquet --output PATH for all)[/dim]")
