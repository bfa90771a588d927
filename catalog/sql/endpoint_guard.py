"""The read-only guard of the SQL endpoint: DDL and DML from clients fail before they run.

Spark has no read-only switch, so the guard is an analyzer *check rule* injected into the
server's ``SparkSessionExtensions`` through py4j. Every JDBC/ODBC session the Thrift server
opens is a ``newSession()`` of the server's session and so runs the rule on each analyzed
plan before it executes. The rule is an allow-list: queries (plans that are not a Spark
``Command``) pass, and of the commands only those that read metadata or change nothing but
the client's own session (SHOW, DESCRIBE, EXPLAIN, SET, USE, CACHE, local temporary views,
session variables) pass. Everything else — CREATE/DROP/ALTER, INSERT, MERGE, DELETE,
UPDATE, TRUNCATE, ANALYZE, MSCK, LOAD DATA, ADD JAR, functions, global temporary views (which
every session shares) — is refused with a ``java.lang.SecurityException`` naming it.

The reflection functions ``reflect``/``java_method``/``try_reflect`` (which call arbitrary
static Java methods) are removed from the function registry new sessions copy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "ALLOWED_COMMANDS",
    "REFLECTION_FUNCTIONS",
    "GuardDecision",
    "decide",
    "install_read_only_guard",
]

# Commands (by simple class name, as Spark 4 analyzes them) that change nothing shared.
ALLOWED_COMMANDS = frozenset(
    {
        "ShowTables", "ShowTablesCommand", "ShowTablesExtended", "ShowTableExtended",
        "ShowViews", "ShowViewsCommand", "ShowNamespaces", "ShowNamespacesCommand",
        "ShowColumns", "ShowColumnsCommand", "ShowFunctions", "ShowFunctionsCommand",
        "ShowPartitions", "ShowPartitionsCommand", "ShowTableProperties",
        "ShowTablePropertiesCommand", "ShowCreateTable", "ShowCreateTableCommand",
        "ShowCreateTableAsSerdeCommand", "ShowCatalogs", "ShowCatalogsCommand",
        "ShowCurrentNamespace", "ShowCurrentNamespaceCommand",
        "DescribeRelation", "DescribeTableCommand", "DescribeColumn", "DescribeColumnCommand",
        "DescribeNamespace", "DescribeDatabaseCommand", "DescribeFunction",
        "DescribeFunctionCommand", "DescribeQueryCommand", "ExplainCommand",
        "SetCommand", "ResetCommand", "SetCatalogAndNamespace", "SetNamespaceCommand",
        "SetCatalogCommand", "CreateVariable", "SetVariable", "DropVariable",
        "ListJarsCommand", "ListFilesCommand", "ListArchivesCommand",
        "CacheTable", "CacheTableAsSelect", "UncacheTable", "ClearCacheCommand",
        "RefreshTable", "RefreshTableCommand",
    }
)
REFLECTION_FUNCTIONS = ("reflect", "java_method", "try_reflect")
_COMMAND_CLASS = "org.apache.spark.sql.catalyst.plans.logical.Command"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class GuardDecision:
    """What the guard says about one analyzed plan: ``allowed``, and if not, a message."""

    __slots__ = ("allowed", "message")

    def __init__(self, allowed: bool, message: str = "") -> None:
        self.allowed = allowed
        self.message = message

    def __repr__(self) -> str:
        return f"GuardDecision(allowed={self.allowed}, message={self.message!r})"


def _statement_words(class_name: str) -> str:
    """``CreateDataSourceTableCommand`` → ``CREATE DATA SOURCE TABLE``."""
    name = class_name.rsplit(".", 1)[-1].rstrip("$")
    for suffix in ("Command", "Statement"):
        if name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
    return _CAMEL.sub(" ", name).upper()


def decide(class_name: str, is_command: bool, *, view_type: str | None = None,
           global_view: bool = False) -> GuardDecision:
    """Allow or refuse a plan given its class name and whether it is a ``Command``.

    ``view_type`` is the ``viewType`` of a ``CreateViewCommand`` (``LocalTempView``,
    ``GlobalTempView``, ``PersistedView``); ``global_view`` the flag of ``CreateTempViewUsing``.
    """
    simple = class_name.rsplit(".", 1)[-1].rstrip("$")
    if not is_command or simple in ALLOWED_COMMANDS:
        return GuardDecision(True)
    if simple == "CreateViewCommand" and view_type == "LocalTempView":
        return GuardDecision(True)
    if simple == "CreateTempViewUsing" and not global_view:
        return GuardDecision(True)
    what = _statement_words(simple)
    if simple == "CreateViewCommand" and view_type:
        what = "CREATE GLOBAL TEMPORARY VIEW" if view_type == "GlobalTempView" else "CREATE VIEW"
    return GuardDecision(
        False,
        f"the lakeforge SQL endpoint is read-only: {what} ({simple}) is refused; "
        "queries, SHOW, DESCRIBE, EXPLAIN, SET, USE and local temporary views are allowed",
    )


class _CheckRule:
    """A ``scala.Function1[LogicalPlan, Unit]`` implemented in Python (py4j callback)."""

    def __init__(self, spark: SparkSession) -> None:
        self._jvm = cast(Any, spark._jvm)
        self._command = self._jvm.java.lang.Class.forName(_COMMAND_CLASS)

    def apply(self, plan: Any) -> None:
        from py4j.protocol import Py4JJavaError

        jclass = plan.getClass()
        name = str(jclass.getName())
        is_command = bool(self._command.isInstance(plan))
        view_type = None
        global_view = False
        if is_command and name.endswith(".CreateViewCommand"):
            view_type = str(plan.viewType().toString()).rstrip("$")
        elif is_command and name.endswith(".CreateTempViewUsing"):
            global_view = bool(getattr(plan, "global")())  # a Python keyword
        verdict = decide(name, is_command, view_type=view_type, global_view=global_view)
        if not verdict.allowed:
            raise Py4JJavaError(verdict.message, self._jvm.java.lang.SecurityException(verdict.message))
        return None

    class Java:
        implements = ["scala.Function1"]


class _RuleBuilder:
    """``SparkSession => (LogicalPlan => Unit)``; the server's own session is not guarded."""

    def __init__(self, spark: SparkSession) -> None:
        self._owner = spark._jsparkSession
        self._rule = _CheckRule(spark)
        self._noop = _NoopRule()

    def apply(self, session: Any) -> Any:
        return self._noop if session.equals(self._owner) else self._rule

    class Java:
        implements = ["scala.Function1"]


class _NoopRule:
    def apply(self, plan: Any) -> None:
        return None

    class Java:
        implements = ["scala.Function1"]


def install_read_only_guard(spark: SparkSession) -> None:
    """Make every session created from now on (every JDBC session) refuse DDL/DML.

    ``spark`` itself stays writable (the server uses it to expose the catalog); build its
    session state (run any SQL) before calling this.
    """
    from pyspark.java_gateway import ensure_callback_server_started

    gateway = spark.sparkContext._gateway
    assert gateway is not None
    ensure_callback_server_started(gateway)
    # A Py4JJavaError raised in a callback is re-thrown in the JVM as its Java exception, so
    # clients see "SecurityException: the lakeforge SQL endpoint is read-only: …".
    gateway.python_parameters.propagate_java_exceptions = True
    spark._jsparkSession.extensions().injectCheckRule(_RuleBuilder(spark))
    jvm: Any = spark._jvm
    builtin = jvm.org.apache.spark.sql.catalyst.analysis.FunctionRegistry.builtin()
    for name in REFLECTION_FUNCTIONS:
        builtin.dropFunction(jvm.org.apache.spark.sql.catalyst.FunctionIdentifier.apply(name))
