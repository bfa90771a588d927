"""Apply a crawl plan to a catalog store, in order; data is never touched.

Before the first write every table the plan creates or updates is checked against the live
catalog: a name registered at another location (by a job, another crawler, or a concurrent
writer since the crawl listed the catalog) fails the run with a
:class:`~catalog.errors.LocationConflictError` naming both locations, and nothing is applied.
"""

from __future__ import annotations

from catalog.crawler.explain import Explain
from catalog.crawler.history import CrawlMetrics
from catalog.crawler.policies import Plan
from catalog.locations import check_location
from catalog.stores.base import CatalogStore

__all__ = ["apply_plan", "check_plan_locations"]

CRAWLER_CONFLICT_HINT = (
    "a crawler never re-points a table: rename or delete that catalog entry, or exclude the path"
)


def check_plan_locations(store: CatalogStore, database: str, plan: Plan) -> None:
    """Raise if a create/update of ``plan`` would move an existing table to another location."""
    for action in plan.actions:
        table = action.new_table
        if action.kind in ("create_table", "update_table", "deprecate_table") and table is not None:
            check_location(store, database, table.name, table.location or "", hint=CRAWLER_CONFLICT_HINT)


def apply_plan(store: CatalogStore, database: str, plan: Plan, metrics: CrawlMetrics, explain: Explain) -> None:
    """Check every table's location, create the database if needed, then run every action."""
    check_plan_locations(store, database, plan)
    if plan.writes:
        store.create_database(database, exist_ok=True)
    for action in plan.actions:
        kind = action.kind
        if kind == "create_table" and action.new_table is not None:
            store.create_table(action.new_table)
            metrics.tables_created += 1
        elif kind in ("update_table", "deprecate_table") and action.new_table is not None:
            store.update_table(action.new_table, expected_version=action.new_table.version_id)
            if kind == "update_table":
                metrics.tables_updated += 1
            else:
                metrics.tables_deprecated += 1
        elif kind == "delete_table":
            store.delete_table(database, action.table)
            metrics.tables_deleted += 1
        elif kind == "add_partitions":
            metrics.partitions_added += store.batch_create_partitions(
                database, action.table, action.partitions, exist_ok=True
            )
        elif kind == "update_partitions":
            for p in action.partitions:
                store.update_partition(database, action.table, p.values, p)
                metrics.partitions_updated += 1
        elif kind == "delete_partitions":
            metrics.partitions_deleted += store.batch_delete_partitions(database, action.table, action.values)
        elif kind == "log":
            explain.add("plan", f"logged: {action.describe()}")
