"""The read-only guard's decisions, by the plan classes Spark 4 analyzes statements into."""

from __future__ import annotations

import pytest

from catalog.sql.endpoint_guard import decide

_EXEC = "org.apache.spark.sql.execution.command."
_LOGICAL = "org.apache.spark.sql.catalyst.plans.logical."


@pytest.mark.parametrize("plan", [
    _LOGICAL + "Project",  # SELECT …
    _LOGICAL + "Aggregate",
    _LOGICAL + "LocalRelation",  # VALUES
])
def test_queries_pass(plan: str) -> None:
    assert decide(plan, is_command=False).allowed


@pytest.mark.parametrize("plan", [
    _LOGICAL + "ShowTables", _EXEC + "ShowNamespacesCommand", _EXEC + "DescribeTableCommand",
    _EXEC + "ExplainCommand", _EXEC + "SetCommand", _LOGICAL + "SetCatalogAndNamespace",
    _LOGICAL + "CacheTable", _EXEC + "ClearCacheCommand$", _LOGICAL + "ShowCreateTable",
])
def test_metadata_and_session_commands_pass(plan: str) -> None:
    assert decide(plan, is_command=True).allowed


@pytest.mark.parametrize(("plan", "words"), [
    (_EXEC + "CreateDataSourceTableCommand", "CREATE DATA SOURCE TABLE"),
    (_EXEC + "CreateDataSourceTableAsSelectCommand", "CREATE DATA SOURCE TABLE AS SELECT"),
    ("org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand", "INSERT INTO HADOOP FS RELATION"),
    (_LOGICAL + "MergeIntoTable", "MERGE INTO TABLE"),
    (_LOGICAL + "DeleteFromTable", "DELETE FROM TABLE"),
    (_LOGICAL + "UpdateTable", "UPDATE TABLE"),
    (_LOGICAL + "DropTable", "DROP TABLE"),
    (_EXEC + "AlterTableSetPropertiesCommand", "ALTER TABLE SET PROPERTIES"),
    (_EXEC + "AnalyzeTableCommand", "ANALYZE TABLE"),
    (_EXEC + "AddJarsCommand", "ADD JARS"),
    (_EXEC + "CreateFunctionCommand", "CREATE FUNCTION"),
    (_LOGICAL + "CreateNamespace", "CREATE NAMESPACE"),
    (_EXEC + "SomeFutureCommand", "SOME FUTURE"),  # unknown commands are refused
])
def test_changes_are_refused_naming_the_statement(plan: str, words: str) -> None:
    verdict = decide(plan, is_command=True)

    assert not verdict.allowed
    assert f"read-only: {words} (" in verdict.message


def test_only_local_temporary_views_pass() -> None:
    plan = _EXEC + "CreateViewCommand"
    assert decide(plan, True, view_type="LocalTempView").allowed
    assert "CREATE GLOBAL TEMPORARY VIEW" in decide(plan, True, view_type="GlobalTempView").message
    assert "CREATE VIEW" in decide(plan, True, view_type="PersistedView").message
    using = "org.apache.spark.sql.execution.datasources.CreateTempViewUsing"
    assert decide(using, True, global_view=False).allowed
    assert not decide(using, True, global_view=True).allowed
