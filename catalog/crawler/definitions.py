"""Crawler definitions: what to crawl and with which policies, stored in the catalog.

A definition is stored in the catalog's ``crawlers`` collection in the shape of Glue's
``CreateCrawler`` request (``Name``, ``DatabaseName``, ``Targets.S3Targets[{Path,
Exclusions, SampleSize}]``, ``TablePrefix``, ``SchemaChangePolicy``, ``RecrawlPolicy``,
``Schedule``, ``Configuration`` as a JSON string with ``Grouping.TableGroupingPolicy``,
``Grouping.TableLevelConfiguration`` and ``CrawlerOutput.Tables.TableThreshold``).

Glue's rule is enforced: ``CRAWL_NEW_FOLDERS_ONLY`` requires both behaviours to be ``LOG``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from catalog.crawler.errors import InvalidCrawlerDefinitionError
from catalog.crawler.exclusions import compile_glob
from catalog.crawler.grouping import GroupingPolicy
from catalog.crawler.schedule import normalize_schedule
from catalog.errors import EntityNotFoundError, InvalidInputError
from catalog.stores.base import CatalogStore
from catalog.validation import validate_name

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "MAX_SAMPLE_SIZE",
    "CrawlerDefinition",
    "CrawlerRepository",
    "DeleteBehavior",
    "RecrawlBehavior",
    "Target",
    "UpdateBehavior",
]

DEFAULT_SAMPLE_SIZE = 5
MAX_SAMPLE_SIZE = 249
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")


class UpdateBehavior(StrEnum):
    """What a crawl does when a table it finds differs from the catalog."""

    UPDATE_IN_DATABASE = "UPDATE_IN_DATABASE"
    LOG = "LOG"


class DeleteBehavior(StrEnum):
    """What a crawl does with its own tables whose data is gone (data is never deleted)."""

    DEPRECATE_IN_DATABASE = "DEPRECATE_IN_DATABASE"
    DELETE_FROM_DATABASE = "DELETE_FROM_DATABASE"
    LOG = "LOG"


class RecrawlBehavior(StrEnum):
    """Whether a crawl reads everything or only folders added since the last crawl."""

    CRAWL_EVERYTHING = "CRAWL_EVERYTHING"
    CRAWL_NEW_FOLDERS_ONLY = "CRAWL_NEW_FOLDERS_ONLY"


def _enum(cls: type[StrEnum], value: Any, crawler: str, fieldname: str) -> Any:
    try:
        return cls(str(value).upper())
    except ValueError:
        valid = ", ".join(m.value for m in cls)
        raise InvalidCrawlerDefinitionError(
            crawler, fieldname, f"{fieldname} {value!r} is not one of {valid}"
        ) from None


@dataclass(frozen=True)
class Target:
    """One include path and its exclusion globs."""

    path: str
    exclusions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclusions", tuple(self.exclusions))


@dataclass(frozen=True)
class CrawlerDefinition:
    """Everything one crawler needs; build with :meth:`create` to validate."""

    name: str
    database: str
    targets: tuple[Target, ...]
    table_prefix: str = ""
    sample_size: int = DEFAULT_SAMPLE_SIZE
    grouping: GroupingPolicy = field(default_factory=GroupingPolicy)
    update_behavior: UpdateBehavior = UpdateBehavior.UPDATE_IN_DATABASE
    delete_behavior: DeleteBehavior = DeleteBehavior.DEPRECATE_IN_DATABASE
    recrawl_behavior: RecrawlBehavior = RecrawlBehavior.CRAWL_EVERYTHING
    table_threshold: int | None = None
    schedule: str | None = None
    description: str = ""
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def create(
        cls,
        name: str,
        database: str,
        paths: Sequence[str | Target],
        *,
        exclusions: Sequence[str] = (),
        table_prefix: str = "",
        sample_size: int | None = None,
        combine_compatible_schemas: bool = False,
        table_level: int | None = None,
        update_behavior: str | UpdateBehavior = UpdateBehavior.UPDATE_IN_DATABASE,
        delete_behavior: str | DeleteBehavior = DeleteBehavior.DEPRECATE_IN_DATABASE,
        recrawl_behavior: str | RecrawlBehavior = RecrawlBehavior.CRAWL_EVERYTHING,
        table_threshold: int | None = None,
        schedule: str | None = None,
        description: str = "",
    ) -> CrawlerDefinition:
        """A validated definition; ``exclusions`` apply to every path given as a string."""
        targets = tuple(p if isinstance(p, Target) else Target(str(p), tuple(exclusions)) for p in paths)
        definition = cls(
            name=name,
            database=database,
            targets=targets,
            table_prefix=table_prefix,
            sample_size=DEFAULT_SAMPLE_SIZE if sample_size is None else sample_size,
            grouping=GroupingPolicy(combine_compatible_schemas=combine_compatible_schemas, table_level=table_level),
            update_behavior=_enum(UpdateBehavior, update_behavior, name, "UpdateBehavior"),
            delete_behavior=_enum(DeleteBehavior, delete_behavior, name, "DeleteBehavior"),
            recrawl_behavior=_enum(RecrawlBehavior, recrawl_behavior, name, "RecrawlBehavior"),
            table_threshold=table_threshold,
            schedule=schedule,
            description=description,
        )
        return definition.validated()

    def validated(self) -> CrawlerDefinition:
        """This definition checked (names lower-cased, schedule normalised)."""
        name = self.name
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise InvalidCrawlerDefinitionError(
                str(name), "Name", "name must be 1-255 letters, digits, '_', '.' or '-'"
            )
        try:
            database = validate_name("database", self.database)
        except InvalidInputError as exc:
            raise InvalidCrawlerDefinitionError(name, "DatabaseName", str(exc)) from None
        if not self.targets:
            raise InvalidCrawlerDefinitionError(name, "Targets", "at least one include path is needed")
        for target in self.targets:
            if not target.path.strip():
                raise InvalidCrawlerDefinitionError(name, "Targets", "an include path is empty")
            for pattern in target.exclusions:
                compile_glob(pattern)
        prefix = self.table_prefix or ""
        if prefix and not re.fullmatch(r"[A-Za-z0-9_]+", prefix):
            raise InvalidCrawlerDefinitionError(
                name,
                "TablePrefix",
                f"table prefix {prefix!r} may hold only letters, digits and '_'",
            )
        if not 1 <= int(self.sample_size) <= MAX_SAMPLE_SIZE:
            raise InvalidCrawlerDefinitionError(
                name,
                "SampleSize",
                f"sample size must be 1-{MAX_SAMPLE_SIZE}, got {self.sample_size}",
            )
        level = self.grouping.table_level
        if level is not None and level < 1:
            raise InvalidCrawlerDefinitionError(
                name, "TableLevelConfiguration", f"table level must be ≥ 1, got {level}"
            )
        if self.table_threshold is not None and self.table_threshold < 1:
            raise InvalidCrawlerDefinitionError(
                name, "TableThreshold", f"table threshold must be ≥ 1, got {self.table_threshold}"
            )
        if self.recrawl_behavior == RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY and (
            self.update_behavior != UpdateBehavior.LOG or self.delete_behavior != DeleteBehavior.LOG
        ):
            raise InvalidCrawlerDefinitionError(
                name,
                "RecrawlPolicy",
                "CRAWL_NEW_FOLDERS_ONLY requires UpdateBehavior=LOG and DeleteBehavior=LOG (Glue's rule)",
            )
        try:
            schedule = normalize_schedule(self.schedule)
        except InvalidInputError as exc:
            raise InvalidCrawlerDefinitionError(name, "Schedule", str(exc)) from None
        return replace(self, database=database, table_prefix=prefix.lower(), schedule=schedule)

    # ---- Glue CreateCrawler shape
    def to_glue(self) -> dict[str, Any]:
        grouping: dict[str, Any] = {}
        if self.grouping.combine_compatible_schemas:
            grouping["TableGroupingPolicy"] = "CombineCompatibleSchemas"
        if self.grouping.table_level is not None:
            grouping["TableLevelConfiguration"] = self.grouping.table_level
        configuration: dict[str, Any] = {"Version": 1.0}
        if grouping:
            configuration["Grouping"] = grouping
        if self.table_threshold is not None:
            configuration["CrawlerOutput"] = {"Tables": {"TableThreshold": self.table_threshold}}
        out: dict[str, Any] = {
            "Name": self.name,
            "DatabaseName": self.database,
            "Description": self.description,
            "Targets": {
                "S3Targets": [
                    {
                        "Path": t.path,
                        "Exclusions": list(t.exclusions),
                        "SampleSize": self.sample_size,
                    }
                    for t in self.targets
                ]
            },
            "TablePrefix": self.table_prefix,
            "SchemaChangePolicy": {
                "UpdateBehavior": self.update_behavior.value,
                "DeleteBehavior": self.delete_behavior.value,
            },
            "RecrawlPolicy": {"RecrawlBehavior": self.recrawl_behavior.value},
            "Configuration": json.dumps(configuration, sort_keys=True),
        }
        if self.schedule:
            out["Schedule"] = self.schedule
        if self.created_at:
            out["CreationTime"] = self.created_at
        if self.updated_at:
            out["LastUpdated"] = self.updated_at
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> CrawlerDefinition:
        name = str(data.get("Name", ""))
        try:
            configuration = json.loads(data.get("Configuration") or "{}")
        except ValueError:
            raise InvalidCrawlerDefinitionError(name, "Configuration", "not valid JSON") from None
        grouping = configuration.get("Grouping", {})
        threshold = configuration.get("CrawlerOutput", {}).get("Tables", {}).get("TableThreshold")
        s3 = data.get("Targets", {}).get("S3Targets", [])
        policy = data.get("SchemaChangePolicy", {})
        level = grouping.get("TableLevelConfiguration")
        return cls(
            name=name,
            database=str(data.get("DatabaseName", "")),
            targets=tuple(Target(t["Path"], tuple(t.get("Exclusions", ()))) for t in s3),
            table_prefix=str(data.get("TablePrefix") or ""),
            sample_size=int(s3[0].get("SampleSize", DEFAULT_SAMPLE_SIZE)) if s3 else DEFAULT_SAMPLE_SIZE,
            grouping=GroupingPolicy(
                combine_compatible_schemas=grouping.get("TableGroupingPolicy") == "CombineCompatibleSchemas",
                table_level=int(level) if level is not None else None,
            ),
            update_behavior=_enum(
                UpdateBehavior,
                policy.get("UpdateBehavior", "UPDATE_IN_DATABASE"),
                name,
                "UpdateBehavior",
            ),
            delete_behavior=_enum(
                DeleteBehavior,
                policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE"),
                name,
                "DeleteBehavior",
            ),
            recrawl_behavior=_enum(
                RecrawlBehavior,
                data.get("RecrawlPolicy", {}).get("RecrawlBehavior", "CRAWL_EVERYTHING"),
                name,
                "RecrawlBehavior",
            ),
            table_threshold=int(threshold) if threshold is not None else None,
            schedule=data.get("Schedule"),
            description=str(data.get("Description") or ""),
            created_at=data.get("CreationTime"),
            updated_at=data.get("LastUpdated"),
        )


class CrawlerRepository:
    """Crawler definitions in a catalog store's ``crawlers`` collection."""

    def __init__(self, store: CatalogStore):
        self.store = store

    def put(self, definition: CrawlerDefinition) -> CrawlerDefinition:
        """Create or replace ``definition`` (validated; times stamped)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        checked = definition.validated()
        created = checked.created_at
        if created is None:
            try:
                created = self.get(checked.name).created_at
            except EntityNotFoundError:
                created = now
        stored = replace(checked, created_at=created or now, updated_at=now)
        self.store.put_crawler(stored.name, stored.to_glue())
        return stored

    def get(self, name: str) -> CrawlerDefinition:
        return CrawlerDefinition.from_glue(self.store.get_crawler(name))

    def exists(self, name: str) -> bool:
        try:
            self.store.get_crawler(name)
        except EntityNotFoundError:
            return False
        return True

    def list(self) -> list[CrawlerDefinition]:
        return [CrawlerDefinition.from_glue(d) for d in self.store.list_crawlers().values()]

    def delete(self, name: str) -> None:
        self.store.delete_crawler(name)
