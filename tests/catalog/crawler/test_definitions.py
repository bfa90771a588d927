"""Crawler definitions: validation, Glue CreateCrawler shape, storage in both catalog stores."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog.crawler import (
    CrawlerDefinition,
    CrawlerRepository,
    InvalidCrawlerDefinitionError,
    InvalidExclusionPatternError,
    RecrawlBehavior,
    Target,
)
from catalog.crawler.schedule import normalize_schedule
from catalog.errors import EntityNotFoundError, InvalidInputError


def full() -> CrawlerDefinition:
    return CrawlerDefinition.create(
        "raw-events",
        "Raw",
        ["s3://lake/raw/events", Target("s3://lake/raw/other", ("**.tmp",))],
        exclusions=["_tmp/**", "*.{bak,old}"],
        table_prefix="ev_",
        sample_size=12,
        combine_compatible_schemas=True,
        table_level=4,
        update_behavior="log",
        delete_behavior="DELETE_FROM_DATABASE",
        table_threshold=10,
        schedule="cron(15 3 * * ? *)",
        description="raw events",
    )


def test_definition_round_trips_through_the_glue_shape() -> None:
    d = full()
    glue = d.to_glue()
    assert glue["DatabaseName"] == "raw"
    assert glue["Targets"]["S3Targets"][0] == {
        "Path": "s3://lake/raw/events",
        "Exclusions": ["_tmp/**", "*.{bak,old}"],
        "SampleSize": 12,
    }
    assert glue["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "DELETE_FROM_DATABASE"}
    assert json.loads(glue["Configuration"]) == {
        "Version": 1.0,
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas", "TableLevelConfiguration": 4},
        "CrawlerOutput": {"Tables": {"TableThreshold": 10}},
    }
    assert CrawlerDefinition.from_glue(glue) == d


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sample_size": 0}, "SampleSize"),
        ({"sample_size": 250}, "SampleSize"),
        ({"table_level": 0}, "TableLevelConfiguration"),
        ({"table_threshold": 0}, "TableThreshold"),
        ({"update_behavior": "SOMETIMES"}, "UpdateBehavior"),
        ({"delete_behavior": "DROP"}, "DeleteBehavior"),
        ({"table_prefix": "bad prefix"}, "TablePrefix"),
        ({"schedule": "cron(99 * * * ? *)"}, "Schedule"),
        ({"recrawl_behavior": "CRAWL_NEW_FOLDERS_ONLY"}, "RecrawlPolicy"),
    ],
)
def test_invalid_options_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCrawlerDefinitionError) as err:
        CrawlerDefinition.create("c", "db", ["/data"], **kwargs)
    assert field in str(err.value)


def test_new_folders_only_needs_log_behaviours() -> None:
    d = CrawlerDefinition.create(
        "c",
        "db",
        ["/data"],
        recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY",
        update_behavior="LOG",
        delete_behavior="LOG",
    )
    assert d.recrawl_behavior == RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY


def test_bad_names_and_paths_are_rejected() -> None:
    with pytest.raises(InvalidCrawlerDefinitionError, match="name"):
        CrawlerDefinition.create("bad name", "db", ["/data"])
    with pytest.raises(InvalidCrawlerDefinitionError, match="DatabaseName"):
        CrawlerDefinition.create("c", "bad.db", ["/data"])
    with pytest.raises(InvalidCrawlerDefinitionError, match="include path"):
        CrawlerDefinition.create("c", "db", [])
    with pytest.raises(InvalidExclusionPatternError):
        CrawlerDefinition.create("c", "db", ["/data"], exclusions=["{a,b"])


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("cron(0 12 * * ? *)", "cron(0 12 * * ? *)"),
        ("cron(0/15 * ? * MON-FRI *)", "cron(0/15 * ? * MON-FRI *)"),
        ("cron(0 8 L * ? 2030)", "cron(0 8 L * ? 2030)"),
        ("cron(0 8 ? * 6#3 *)", "cron(0 8 ? * 6#3 *)"),
        ("  5 4 * * 1  ", "5 4 * * 1"),
        ("", None),
    ],
)
def test_valid_schedules(text: str, normal: str | None) -> None:
    assert normalize_schedule(text) == normal


@pytest.mark.parametrize(
    "text", ["cron(0 12 * * * *)", "cron(0 24 * * ? *)", "cron(0 12 * *)", "* * *", "cron(0 8 ? * 6#9 *)"]
)
def test_invalid_schedules(text: str) -> None:
    with pytest.raises(InvalidInputError, match="schedule"):
        normalize_schedule(text)


def test_repository_stores_lists_and_deletes(catalog_store: Any) -> None:
    repo = CrawlerRepository(catalog_store)
    stored = repo.put(full())
    assert stored.created_at and stored.updated_at
    again = repo.put(full())
    assert again.created_at == stored.created_at
    assert repo.get("raw-events") == again
    assert [d.name for d in repo.list()] == ["raw-events"]
    repo.delete("raw-events")
    assert not repo.exists("raw-events")
    with pytest.raises(EntityNotFoundError):
        repo.get("raw-events")
