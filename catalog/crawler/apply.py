"""Apply a crawl plan to a catalog store, in order; data is never touched."""

from __future__ import annotations

from catalog.crawler.explain import Explain
from catalog.crawler.history import CrawlMetrics
from catalog.crawler.policies import Plan
from catalog.stores.base import CatalogStore

__all__ = ["apply_plan"]


def apply_plan(store: CatalogStore, database: str, plan: Plan, metrics: CrawlMetrics, explain: Explain) -> None:
    """Create the database if needed, then run every action, counting what was done."""
    if plan.writes:
        store.create_database(database, exist_ok=True)
    for action in plan.actions:
        kind = action.kind
        if kind == "create_table" and action.new_table is not None:
            store.create_table(action.new_table)
            metrics.tables_created += 1
        elif kind in ("update_table", "deprecate_table") and action.new_table is not None:
            store.update_table(action.new_table)
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
