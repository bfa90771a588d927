"""Errors of the catalog's ETL layer (declaring and running ETL tables, quality gates)."""

from __future__ import annotations

from lake.errors import LakeforgeError

__all__ = ["EtlCatalogError", "EtlTableDroppedError", "FailedQualityError"]


class EtlCatalogError(LakeforgeError):
    """Base of the catalog ETL layer's errors."""


class EtlTableDroppedError(EtlCatalogError):
    """An ETL table's definition remains but the table was dropped from the catalog."""

    template = (
        "ETL table {table} was dropped from the catalog but its definition remains; declare it again "
        "(CREATE OR REFRESH TABLE) or delete the definition: lake etl drop {table}"
    )
    table: str


class FailedQualityError(EtlCatalogError):
    """A table's latest quality run failed, so a downstream step (training) refuses it."""

    template = (
        "{table}: its latest quality run {run_id} failed {kind} rule {rule!r}{via}; fix the data and rerun "
        "`lake etl run {table}`, or pass --allow-failed-quality"
    )
    table: str
    run_id: str
    rule: str
    kind: str
    source: str | None = None

    @property
    def via(self) -> str:
        return f" (read by {self.source})" if self.source and self.source != self.table else ""
