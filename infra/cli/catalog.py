"""``lake catalog …``: browse the Glue-style catalog, register Delta tables, check locations.

Every command takes ``--json`` (Glue API shapes, times as ISO-8601) and ``--catalog
embedded|glue`` (default: ``catalog.store`` from settings / ``LAKEFORGE_CATALOG__STORE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table as RichTable

from infra.cli.context import CATALOG_OPTION, console, get_ctx, print_json, with_catalog

if TYPE_CHECKING:
    from catalog.model import Table
    from catalog.stores.base import CatalogStore

__all__ = ["register"]

catalog_app = typer.Typer(
    name="catalog",
    help="Browse the data catalog (databases, tables, partitions, versions).",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON (Glue API shapes).")


def _json(value: Any) -> None:
    from catalog.model import glue_json

    print_json(glue_json(value))


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


@catalog_app.command("databases")
def databases(ctx: typer.Context, as_json: bool = _JSON, store: str | None = CATALOG_OPTION) -> None:
    """List databases."""

    def action(catalog: CatalogStore) -> None:
        dbs = catalog.list_databases()
        if as_json:
            _json([d.to_glue() for d in dbs])
            return
        out = RichTable("database", "tables", "location", "created")
        for d in dbs:
            out.add_row(
                d.name,
                str(len(catalog.list_tables(d.name))),
                d.location_uri or "",
                _when(d.create_time),
            )
        console.print(out)

    with_catalog(ctx, store, action)


@catalog_app.command("tables")
def tables(
    ctx: typer.Context,
    database: str = typer.Argument(..., help="Database name."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """List the tables and views of DATABASE."""

    def action(catalog: CatalogStore) -> None:
        found = catalog.list_tables(database)
        if as_json:
            _json([t.to_glue() for t in found])
            return
        out = RichTable("table", "type", "format", "columns", "partition keys", "location")
        for t in found:
            out.add_row(
                t.name,
                t.table_type or "",
                t.classification or "",
                str(len(t.columns)),
                ", ".join(k.name for k in t.partition_keys),
                t.location or "",
            )
        console.print(out)

    with_catalog(ctx, store, action)


def _print_table(t: Table) -> None:
    console.print(
        f"[bold]{t.qualified_name}[/bold]  {t.table_type or ''}  version {t.version_id or '-'}",
        highlight=False,
    )
    if t.location:
        console.print(f"location: {t.location}", highlight=False)
    sd = t.storage_descriptor
    if sd.input_format:
        serde = sd.serde_info.serialization_library if sd.serde_info else ""
        console.print(
            f"format: {t.classification or '?'}  ({sd.input_format}; {serde})", highlight=False
        )
    cols = RichTable("column", "type", "comment", title="columns")
    for c in t.columns:
        cols.add_row(c.name, c.type, c.comment or "")
    for k in t.partition_keys:
        cols.add_row(
            k.name, k.type, f"{k.comment} (partition key)" if k.comment else "partition key"
        )
    console.print(cols)
    if t.view_original_text:
        console.print("view SQL:", highlight=False)
        console.print(t.view_original_text, highlight=False, markup=False)
    if t.parameters:
        params = RichTable("parameter", "value", title="parameters")
        for key, value in sorted(t.parameters.items()):
            params.add_row(key, value)
        console.print(params)


@catalog_app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="DB.TABLE"),
    version: str | None = typer.Option(None, "--version", help="Show this kept version."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Show a table: columns, partition keys, location, format, parameters."""
    from catalog.names import parse_table_name

    def action(catalog: CatalogStore) -> None:
        tn = parse_table_name(name)
        if version is None:
            table = catalog.get_table(tn.database, tn.table)
        else:
            table = catalog.get_table_version(tn.database, tn.table, version).table
        if as_json:
            _json(table.to_glue())
        else:
            _print_table(table)

    with_catalog(ctx, store, action)


@catalog_app.command("partitions")
def partitions(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="DB.TABLE"),
    expression: str | None = typer.Option(
        None, "--filter", help="Glue partition expression, e.g. \"year = '2024' AND month > '06'\"."
    ),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """List the partitions of a table (optionally filtered)."""
    from catalog.names import parse_table_name

    def action(catalog: CatalogStore) -> None:
        tn = parse_table_name(name)
        table = catalog.get_table(tn.database, tn.table)
        found = catalog.list_partitions(tn.database, tn.table, expression=expression)
        if as_json:
            _json([p.to_glue() for p in found])
            return
        out = RichTable(
            *[k.name for k in table.partition_keys],
            "location",
            "created",
            title=f"{len(found)} partition(s)",
        )
        for p in found:
            out.add_row(*p.values, p.location or "", _when(p.creation_time))
        console.print(out)

    with_catalog(ctx, store, action)


@catalog_app.command("versions")
def versions(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="DB.TABLE"),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """List the kept versions of a table, newest first."""
    from catalog.names import parse_table_name

    def action(catalog: CatalogStore) -> None:
        tn = parse_table_name(name)
        found = catalog.get_table_versions(tn.database, tn.table)
        if as_json:
            _json([v.to_glue() for v in found])
            return
        out = RichTable(
            "version", "updated", "columns", "partition keys", "location", "delta version"
        )
        for v in found:
            t = v.table
            out.add_row(
                v.version_id,
                _when(t.update_time or t.create_time),
                str(len(t.columns)),
                ", ".join(k.name for k in t.partition_keys),
                t.location or "",
                t.parameters.get("delta.version", ""),
            )
        console.print(out)

    with_catalog(ctx, store, action)


@catalog_app.command("diff")
def diff(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="DB.TABLE"),
    v1: str = typer.Argument(..., help="Older version id."),
    v2: str = typer.Argument(..., help="Newer version id."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """What changed from version V1 to V2: columns, types, partition keys, location, parameters."""
    from catalog.diff import diff_tables
    from catalog.names import parse_table_name

    def action(catalog: CatalogStore) -> None:
        tn = parse_table_name(name)
        old = catalog.get_table_version(tn.database, tn.table, v1).table
        new = catalog.get_table_version(tn.database, tn.table, v2).table
        d = diff_tables(old, new)
        if as_json:
            _json({"table": str(tn), "from": v1, "to": v2, **d.to_json()})
            return
        if d.is_empty:
            console.print(f"{tn}: versions {v1} and {v2} are identical", highlight=False)
            return
        lines = [f"{tn}: version {v1} → {v2}"]
        lines += [f"  + column {c.name} {c.type}" for c in d.columns_added]
        lines += [f"  - column {c.name} {c.type}" for c in d.columns_removed]
        lines += [f"  ~ column {n}: {o} → {w}" for n, o, w in d.types_changed]
        if d.partition_keys:
            fmt = lambda keys: ", ".join(f"{k['Name']} {k['Type']}" for k in keys)  # noqa: E731
            lines.append(
                f"  ~ partition keys: [{fmt(d.partition_keys[0])}] → [{fmt(d.partition_keys[1])}]"
            )
        if d.location:
            lines.append(f"  ~ location: {d.location[0]} → {d.location[1]}")
        if d.table_type:
            lines.append(f"  ~ table type: {d.table_type[0]} → {d.table_type[1]}")
        if d.view_text:
            lines.append("  ~ view SQL changed")
        lines += [f"  + parameter {k} = {v}" for k, v in d.parameters_added.items()]
        lines += [f"  - parameter {k} = {v}" for k, v in d.parameters_removed.items()]
        lines += [f"  ~ parameter {k}: {o} → {n}" for k, (o, n) in d.parameters_changed.items()]
        console.print("\n".join(lines), highlight=False, markup=False)

    with_catalog(ctx, store, action)


@catalog_app.command("register-delta")
def register_delta(
    ctx: typer.Context,
    uri: str = typer.Argument(
        ..., help="Delta table URI (s3://…, a path, or relative to the lake)."
    ),
    table: str = typer.Option(..., "--table", metavar="DB.TABLE", help="Catalog name to register."),
    replace: bool = typer.Option(
        False, "--replace", help="Re-point DB.TABLE if it is registered at another location."
    ),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """Register (or refresh) a Delta table: schema and partition keys from its Delta log.

    A name registered at another location is refused unless --replace is given.
    """
    from catalog.delta import register_delta_table
    from catalog.names import parse_table_name

    def action(catalog: CatalogStore) -> None:
        tn = parse_table_name(table)
        stored = register_delta_table(
            catalog, tn.database, tn.table, uri, get_ctx(ctx).profile, replace=replace
        )
        if as_json:
            _json(stored.to_glue())
        else:
            console.print(
                f"registered {stored.qualified_name} (catalog version {stored.version_id}, "
                f"delta version {stored.parameters.get('delta.version')}) → {stored.location}",
                highlight=False,
            )

    with_catalog(ctx, store, action)


@catalog_app.command("check")
def check(
    ctx: typer.Context,
    prune: bool = typer.Option(False, "--prune", help="Remove the missing entries from the catalog."),
    database: list[str] | None = typer.Option(None, "--database", "-d", help="Only these databases (repeatable)."),
    as_json: bool = _JSON,
    store: str | None = CATALOG_OPTION,
) -> None:
    """List entries whose data is gone (and views reading them); --prune removes the missing ones.

    Exit code 1 while a missing entry or a broken view remains.
    """
    from catalog.check import check_catalog

    cli = get_ctx(ctx)

    def action(catalog: CatalogStore) -> bool:
        report = check_catalog(catalog, cli.profile, prune=prune, databases=database or None)
        if as_json:
            print_json(report.to_json())
            return report.clean
        pruned = set(report.pruned)
        for e in report.entries:
            if e.status == "ok":
                continue
            what = "pruned" if e.table in pruned else e.status
            console.print(f"{what:<9} {e.table} ({e.kind}): {e.reason}", highlight=False, markup=False)
        for name in report.kept:
            console.print(f"kept      {name}: changed by another writer during the check", highlight=False)
        counts = {s: len(report.with_status(s)) for s in ("ok", "missing", "broken", "unchecked")}
        summary = (
            f"checked {len(report.entries)} entries: {counts['ok']} ok, {counts['missing']} missing, "
            f"{counts['broken']} broken views, {counts['unchecked']} unchecked"
        )
        if report.pruned:
            summary += f"; pruned {len(report.pruned)}"
        elif counts["missing"]:
            summary += " (run with --prune to remove the missing entries)"
        console.print(summary, highlight=False)
        return report.clean

    if not with_catalog(ctx, store, action):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
