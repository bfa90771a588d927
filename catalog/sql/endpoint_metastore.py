"""The endpoint's own Hive metastore, driven through py4j: databases and permanent views.

Spark refuses ``CREATE VIEW`` over temporary views, but the endpoint must publish permanent
``db.table`` names (JDBC sessions only see permanent objects and global temporary views) over
DataFrames (global temporary views). :meth:`Metastore.put_view` therefore creates the view as
a *temporary* view with its SQL text, takes the definition Spark built for it (schema, SQL,
the temporary views it refers to) and stores that definition under the permanent name via the
session catalog. When the view is later resolved, Spark's analyzer allows exactly the
temporary views recorded in the definition (``view.referredTempViewNames``).

Every object the endpoint creates carries the property ``lakeforge.exposed=true``; objects
without it (made by clients in a writable endpoint) are never replaced or dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from catalog.sql.errors import NameTakenError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["EXPOSED_PROPERTY", "Metastore", "NameTakenError", "quote_name", "sql_string"]

EXPOSED_PROPERTY = "lakeforge.exposed"
_TMP_VIEW = "lakeforge_endpoint_definition"


def quote_name(*parts: str) -> str:
    """```a`.`b``` with back-quotes doubled inside parts."""
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _seq(values: Any) -> list[Any]:
    """A Scala ``Seq`` as a Python list."""
    return [values.apply(i) for i in range(values.length())]


class Metastore:
    """Databases and views of the endpoint session's catalog, with ownership marks."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self._jvm: Any = spark._jvm
        self._catalog = spark._jsparkSession.sessionState().catalog()
        self.global_database = str(spark.conf.get("spark.sql.globalTempDatabase", "global_temp"))

    # ---------------------------------------------------------------- names
    def _ident(self, database: str, name: str) -> Any:
        some = self._jvm.scala.Some
        return self._jvm.org.apache.spark.sql.catalyst.TableIdentifier(
            name, some(database), some("spark_catalog")
        )

    def _ours(self, properties: Any) -> bool:
        value = properties.get(EXPOSED_PROPERTY)
        return bool(value.isDefined()) and str(value.get()) == "true"

    # ------------------------------------------------------------ databases
    def databases(self) -> list[str]:
        return [str(d) for d in _seq(self._catalog.listDatabases())]

    def ensure_database(self, database: str, comment: str | None = None) -> None:
        """Create ``database`` (marked as ours) unless it exists."""
        if self._catalog.databaseExists(database):
            return
        text = f" COMMENT {sql_string(comment)}" if comment else ""
        self.spark.sql(
            f"CREATE DATABASE IF NOT EXISTS {quote_name(database)}{text} "
            f"WITH DBPROPERTIES ({sql_string(EXPOSED_PROPERTY)} = 'true')"
        )

    def drop_database_if_unused(self, database: str) -> bool:
        """Drop ``database`` if lakeforge created it and nothing is left in it."""
        if not self._catalog.databaseExists(database) or database == "default":
            return False
        if not self._ours(self._catalog.getDatabaseMetadata(database).properties()):
            return False
        if _seq(self._catalog.listTables(database)):
            return False
        self.spark.sql(f"DROP DATABASE IF EXISTS {quote_name(database)} RESTRICT")
        return True

    # ---------------------------------------------------------------- views
    def exposed_views(self) -> list[tuple[str, str]]:
        """``(database, name)`` of every view lakeforge created (from any earlier run too)."""
        found = []
        for database in self.databases():
            for ident in _seq(self._catalog.listTables(database)):
                if not ident.database().isDefined():  # a local temporary view
                    continue
                name = str(ident.table())
                try:
                    meta = self._catalog.getTableMetadata(self._ident(database, name))
                except Exception:  # dropped concurrently or unreadable: not ours to judge
                    continue
                if self._ours(meta.properties()):
                    found.append((database, name))
        return found

    def put_view(
        self,
        database: str,
        name: str,
        sql: str,
        *,
        properties: Mapping[str, str],
        comment: str | None = None,
        current_database: str | None = None,
    ) -> None:
        """Create or replace the permanent view ``database.name`` defined by ``sql``.

        Unqualified names in ``sql`` resolve in ``current_database`` (default: ``database``).
        Raises :class:`NameTakenError` if a client-made object has that name.
        """
        ident = self._ident(database, name)
        if self._catalog.tableExists(ident) and not self._ours(self._catalog.getTableMetadata(ident).properties()):
            raise NameTakenError(f"{database}.{name}")
        definition = self._definition(sql, current_database or database)
        fields = _product_fields(definition)
        props = definition.properties()
        for key, value in {**properties, EXPOSED_PROPERTY: "true"}.items():
            props = props.updated(key, value)
        fields["identifier"] = ident
        fields["properties"] = props
        fields["comment"] = self._jvm.scala.Option.apply(comment)
        if "multipartIdentifier" in fields:
            fields["multipartIdentifier"] = self._jvm.scala.Option.empty()
        table = definition.copy(*fields.values())
        if self._catalog.tableExists(ident):
            self._catalog.alterTable(table)
        else:
            self._catalog.createTable(table, False, False)

    def _definition(self, sql: str, current_database: str) -> Any:
        """The CatalogTable Spark builds for ``CREATE TEMPORARY VIEW … AS sql``."""
        previous = self.spark.catalog.currentDatabase()
        self.spark.catalog.setCurrentDatabase(current_database)
        try:
            self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {quote_name(_TMP_VIEW)} AS {sql}")
            ident = self._jvm.org.apache.spark.sql.catalyst.TableIdentifier.apply(_TMP_VIEW)
            return self._catalog.getTempViewOrPermanentTableMetadata(ident)
        finally:
            self.spark.catalog.dropTempView(_TMP_VIEW)
            self.spark.catalog.setCurrentDatabase(previous)

    def drop_view(self, database: str, name: str) -> bool:
        """Drop ``database.name`` if lakeforge created it."""
        ident = self._ident(database, name)
        if not self._catalog.tableExists(ident):
            return False
        if not self._ours(self._catalog.getTableMetadata(ident).properties()):
            return False
        self._catalog.dropTable(ident, True, False)
        return True


def _product_fields(case_class: Any) -> dict[str, Any]:
    """The constructor fields of a Scala case class instance, in order (for ``copy``)."""
    names = []
    iterator = case_class.productElementNames()
    while iterator.hasNext():
        names.append(str(iterator.next()))
    return {name: case_class.productElement(i) for i, name in enumerate(names)}
