"""The ``glue`` catalog store: the AWS Glue Data Catalog API through boto3.

Works against AWS and the local moto server alike. Every list call is paginated; batch calls
respect Glue's batch limits. Names are lower-cased before they are sent (AWS does this
server-side, moto does not).

Meta collections live in a dedicated Glue database (``lakeforge_meta``) so they travel
with the catalog and need no other AWS service. Glue's own crawler API is not used (moto's
is a stub and our crawler is not Glue's):

- a document is a table ``<collection>__<slug>_<hash>`` of type ``LAKEFORGE_META`` whose
  ``Parameters`` hold the collection, the exact name and the JSON payload (Glue allows
  512 KB per parameter value); updates skip Glue's version archive;
- events of a collection are partitions of the table ``<collection>__events``
  (partition keys ``event_key``, ``seq``; ``seq`` = zero-padded nanosecond time plus a
  random suffix), the JSON payload in the partition's ``Parameters``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from catalog.errors import (
    AlreadyExistsError,
    CatalogError,
    CatalogUnavailableError,
    ConcurrentModificationError,
    EntityNotFoundError,
    InvalidInputError,
)
from catalog.model import Column, Database, Partition, Table, TableVersion
from catalog.stores.base import (
    StoreBase,
    check_document,
    check_values,
    db_name,
    kind_name,
    partition_name,
    sort_partitions,
    table_name,
    values_filter,
)
from catalog.validation import validate_table

if TYPE_CHECKING:
    from lake.storage import StorageProfile

__all__ = ["DEFAULT_META_DATABASE", "GlueStore"]

DEFAULT_META_DATABASE = "lakeforge_meta"
META_TABLE_TYPE = "LAKEFORGE_META"
_MAX_PARAMETER_BYTES = 512_000
_BATCH_CREATE = 100
_BATCH_DELETE = 25
_BATCH_GET = 1000
_P_COLLECTION = "lakeforge.collection"
_P_NAME = "lakeforge.name"
_P_PAYLOAD = "lakeforge.payload"
_TRANSIENT_CODES = {
    "ThrottlingException",
    "InternalServiceException",
    "OperationTimeoutException",
    "ResourceNumberLimitExceededException",
    "ServiceUnavailableException",
}


class GlueStore(StoreBase):
    """A catalog backed by the Glue Data Catalog API."""

    name = "glue"

    def __init__(self, client: Any, *, meta_database: str | None = None):
        self.client = client
        self.meta_database = db_name(meta_database or DEFAULT_META_DATABASE)
        self._meta_ready = False
        self._event_tables: set[str] = set()

    @classmethod
    def from_profile(
        cls, profile: StorageProfile, *, meta_database: str | None = None
    ) -> GlueStore:
        """A store whose boto3 client uses ``profile.boto3_kwargs()`` (endpoint, credentials)."""
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=60
        )
        client = boto3.client("glue", config=config, **profile.boto3_kwargs())
        return cls(client, meta_database=meta_database)

    def __repr__(self) -> str:
        return f"GlueStore(endpoint={self.client.meta.endpoint_url!r})"

    # ------------------------------------------------------------------ calls and errors
    def _call(
        self,
        op: str,
        on_not_found: Callable[[], NoReturn] | None = None,
        on_exists: Callable[[], NoReturn] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = getattr(self.client, op)(**kwargs)
            return result
        except ClientError as exc:
            self._raise(exc, op, on_not_found, on_exists)
        except BotoCoreError as exc:
            raise CatalogUnavailableError(self.name, f"{op}: {exc}") from None

    def _pages(
        self, op: str, key: str, on_not_found: Callable[[], NoReturn] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in self.client.get_paginator(op).paginate(**kwargs):
                yield from page.get(key, ())
        except ClientError as exc:
            self._raise(exc, op, on_not_found, None)
        except BotoCoreError as exc:
            raise CatalogUnavailableError(self.name, f"{op}: {exc}") from None

    def _raise(
        self,
        exc: Any,
        op: str,
        on_not_found: Callable[[], NoReturn] | None,
        on_exists: Callable[[], NoReturn] | None,
    ) -> NoReturn:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        message = error.get("Message", str(exc))
        if code == "EntityNotFoundException" and on_not_found is not None:
            on_not_found()
        if code == "AlreadyExistsException" and on_exists is not None:
            on_exists()
        if code == "AlreadyExistsException":
            raise AlreadyExistsError("entity", message) from None
        if code == "EntityNotFoundException":
            raise EntityNotFoundError("entity", message) from None
        if code == "ConcurrentModificationException":
            raise ConcurrentModificationError("entity", op, message) from None
        if code in ("InvalidInputException", "ValidationException"):
            raise InvalidInputError(message, field=op) from None
        if code in _TRANSIENT_CODES:
            raise CatalogUnavailableError(self.name, f"{op}: {code}: {message}") from None
        raise CatalogError(f"glue {op} failed: {code}: {message}") from None

    def _database_missing(self, name: str) -> NoReturn:
        names = [d["Name"] for d in self._pages("get_databases", "DatabaseList")]
        raise EntityNotFoundError("database", name, [n for n in names if n != self.meta_database])

    def _table_missing(self, database: str, name: str) -> NoReturn:
        if not self._exists_database(database):
            self._database_missing(database)
        names = [
            f"{database}.{t['Name']}"
            for t in self._pages("get_tables", "TableList", DatabaseName=database)
        ]
        raise EntityNotFoundError("table", f"{database}.{name}", names)

    def _exists_database(self, name: str) -> bool:
        try:
            self._call("get_database", Name=name)
        except EntityNotFoundError:
            return False
        return True

    # ------------------------------------------------------------------ databases
    def create_database(self, database: Database | str, *, exist_ok: bool = False) -> Database:
        db = Database(database) if isinstance(database, str) else database
        name = db_name(db.name)
        data = db.to_database_input()
        data["Name"] = name

        def exists() -> NoReturn:
            raise AlreadyExistsError("database", name)

        try:
            self._call("create_database", on_exists=exists, DatabaseInput=data)
        except AlreadyExistsError:
            if not exist_ok:
                raise
        return self.get_database(name)

    def get_database(self, name: str) -> Database:
        name = db_name(name)
        resp = self._call(
            "get_database", on_not_found=lambda: self._database_missing(name), Name=name
        )
        return Database.from_glue(resp["Database"])

    def list_databases(self) -> list[Database]:
        dbs = [Database.from_glue(d) for d in self._pages("get_databases", "DatabaseList")]
        return sorted((d for d in dbs if d.name != self.meta_database), key=lambda d: d.name)

    def delete_database(self, name: str) -> None:
        name = db_name(name)
        self._call("delete_database", on_not_found=lambda: self._database_missing(name), Name=name)

    # ------------------------------------------------------------------ tables
    def create_table(self, table: Table) -> Table:
        table = validate_table(table)
        db = table.database_name

        def missing() -> NoReturn:
            self._database_missing(db)

        def exists() -> NoReturn:
            raise AlreadyExistsError("table", table.qualified_name)

        self._call(
            "create_table",
            on_not_found=missing,
            on_exists=exists,
            DatabaseName=db,
            TableInput=table.to_table_input(),
        )
        return self.get_table(db, table.name)

    def get_table(self, database: str, name: str) -> Table:
        database, name = db_name(database), table_name(name)
        resp = self._call(
            "get_table",
            on_not_found=lambda: self._table_missing(database, name),
            DatabaseName=database,
            Name=name,
        )
        return Table.from_glue(resp["Table"])

    def list_tables(self, database: str) -> list[Table]:
        database = db_name(database)
        tables = [
            Table.from_glue(t)
            for t in self._pages(
                "get_tables",
                "TableList",
                on_not_found=lambda: self._database_missing(database),
                DatabaseName=database,
            )
        ]
        return sorted(tables, key=lambda t: t.name)

    def update_table(self, table: Table, *, expected_version: str | None = None) -> Table:
        table = validate_table(table)
        db, name = table.database_name, table.name
        kwargs: dict[str, Any] = {"DatabaseName": db, "TableInput": table.to_table_input()}
        if expected_version is not None:
            current = self.get_table(db, name).version_id
            if current != expected_version:
                raise ConcurrentModificationError(
                    "table",
                    table.qualified_name,
                    f"expected version {expected_version}, found {current}",
                )
            kwargs["VersionId"] = expected_version
        self._call("update_table", on_not_found=lambda: self._table_missing(db, name), **kwargs)
        return self.get_table(db, name)

    def delete_table(self, database: str, name: str) -> None:
        database, name = db_name(database), table_name(name)
        self._call(
            "delete_table",
            on_not_found=lambda: self._table_missing(database, name),
            DatabaseName=database,
            Name=name,
        )

    def get_table_versions(self, database: str, name: str) -> list[TableVersion]:
        database, name = db_name(database), table_name(name)
        versions = [
            TableVersion.from_glue(v)
            for v in self._pages(
                "get_table_versions",
                "TableVersions",
                on_not_found=lambda: self._table_missing(database, name),
                DatabaseName=database,
                TableName=name,
            )
        ]
        return sorted(versions, key=lambda v: int(v.version_id), reverse=True)

    def get_table_version(self, database: str, name: str, version_id: str) -> TableVersion:
        database, name = db_name(database), table_name(name)
        try:
            int(version_id)
        except (TypeError, ValueError):
            raise InvalidInputError(
                "must be an integer string", field="version id", value=version_id
            ) from None

        def missing() -> NoReturn:
            known = [v.version_id for v in self.get_table_versions(database, name)]
            raise EntityNotFoundError(f"version of {database}.{name}", str(version_id), known)

        self.get_table(database, name)
        resp = self._call(
            "get_table_version",
            on_not_found=missing,
            DatabaseName=database,
            TableName=name,
            VersionId=str(version_id),
        )
        return TableVersion.from_glue(resp["TableVersion"])

    # ------------------------------------------------------------------ partitions
    def create_partition(self, database: str, table: str, partition: Partition) -> Partition:
        self.batch_create_partitions(database, table, [partition])
        return self.get_partition(database, table, partition.values)

    def _existing(self, tbl: Table, values_list: Sequence[tuple[str, ...]]) -> set[tuple[str, ...]]:
        found: set[tuple[str, ...]] = set()
        for start in range(0, len(values_list), _BATCH_GET):
            chunk = values_list[start : start + _BATCH_GET]
            resp = self._call(
                "batch_get_partition",
                DatabaseName=tbl.database_name,
                TableName=tbl.name,
                PartitionsToGet=[{"Values": list(v)} for v in chunk],
            )
            found.update(tuple(p["Values"]) for p in resp.get("Partitions", ()))
        return found

    def batch_create_partitions(
        self, database: str, table: str, partitions: Sequence[Partition], *, exist_ok: bool = False
    ) -> int:
        tbl = self.get_table(database, table)
        inputs = [replace(p, values=check_values(tbl, p.values)) for p in partitions]
        existing = self._existing(tbl, [p.values for p in inputs])
        if existing and not exist_ok:
            raise AlreadyExistsError("partition", partition_name(tbl, sorted(existing)[0]))
        todo = [p for p in inputs if p.values not in existing]
        created = 0
        for start in range(0, len(todo), _BATCH_CREATE):
            chunk = todo[start : start + _BATCH_CREATE]
            resp = self._call(
                "batch_create_partition",
                DatabaseName=tbl.database_name,
                TableName=tbl.name,
                PartitionInputList=[p.to_partition_input() for p in chunk],
            )
            errors = resp.get("Errors") or []
            for err in errors:
                code = err.get("ErrorDetail", {}).get("ErrorCode")
                if code == "AlreadyExistsException" and exist_ok:
                    continue
                if code == "AlreadyExistsException":
                    raise AlreadyExistsError(
                        "partition", partition_name(tbl, err["PartitionValues"])
                    )
                raise CatalogError(
                    f"glue batch_create_partition failed for "
                    f"{partition_name(tbl, err.get('PartitionValues', []))}: "
                    f"{code}: {err.get('ErrorDetail', {}).get('ErrorMessage')}"
                )
            created += len(chunk) - len(errors)
        return created

    def get_partition(self, database: str, table: str, values: Sequence[str]) -> Partition:
        tbl = self.get_table(database, table)
        vals = check_values(tbl, values)

        def missing() -> NoReturn:
            known = [partition_name(tbl, p.values) for p in self.list_partitions(database, table)]
            raise EntityNotFoundError("partition", partition_name(tbl, vals), known)

        resp = self._call(
            "get_partition",
            on_not_found=missing,
            DatabaseName=tbl.database_name,
            TableName=tbl.name,
            PartitionValues=list(vals),
        )
        return Partition.from_glue(resp["Partition"])

    def list_partitions(
        self,
        database: str,
        table: str,
        *,
        expression: str | None = None,
        values: Mapping[str, str] | None = None,
    ) -> list[Partition]:
        tbl = self.get_table(database, table)
        keep = values_filter(tbl, expression, values)  # validates both arguments locally
        kwargs: dict[str, Any] = {"DatabaseName": tbl.database_name, "TableName": tbl.name}
        if expression and expression.strip():
            kwargs["Expression"] = expression
        parts = [
            Partition.from_glue(p) for p in self._pages("get_partitions", "Partitions", **kwargs)
        ]
        return sort_partitions(tbl, [p for p in parts if keep(p.values)])

    def update_partition(
        self, database: str, table: str, values: Sequence[str], partition: Partition
    ) -> Partition:
        tbl = self.get_table(database, table)
        old = check_values(tbl, values)
        new = check_values(tbl, partition.values)
        if new != old and self._existing(tbl, [new]):
            raise AlreadyExistsError("partition", partition_name(tbl, new))
        self._call(
            "update_partition",
            on_not_found=lambda: self._raise_partition_missing(tbl, old),
            DatabaseName=tbl.database_name,
            TableName=tbl.name,
            PartitionValueList=list(old),
            PartitionInput=partition.to_partition_input(),
        )
        return self.get_partition(database, table, new)

    def _raise_partition_missing(self, tbl: Table, values: Sequence[str]) -> NoReturn:
        raise EntityNotFoundError("partition", partition_name(tbl, values))

    def delete_partition(self, database: str, table: str, values: Sequence[str]) -> None:
        tbl = self.get_table(database, table)
        vals = check_values(tbl, values)
        self._call(
            "delete_partition",
            on_not_found=lambda: self._raise_partition_missing(tbl, vals),
            DatabaseName=tbl.database_name,
            TableName=tbl.name,
            PartitionValues=list(vals),
        )

    def batch_delete_partitions(
        self, database: str, table: str, values_list: Sequence[Sequence[str]]
    ) -> int:
        tbl = self.get_table(database, table)
        todo = [check_values(tbl, v) for v in values_list]
        deleted = 0
        for start in range(0, len(todo), _BATCH_DELETE):
            chunk = todo[start : start + _BATCH_DELETE]
            resp = self._call(
                "batch_delete_partition",
                DatabaseName=tbl.database_name,
                TableName=tbl.name,
                PartitionsToDelete=[{"Values": list(v)} for v in chunk],
            )
            errors = resp.get("Errors") or []
            for err in errors:
                code = err.get("ErrorDetail", {}).get("ErrorCode")
                if code != "EntityNotFoundException":
                    raise CatalogError(f"glue batch_delete_partition failed: {code}")
            deleted += len(chunk) - len(errors)
        return deleted

    # ------------------------------------------------------------------ meta collections
    def _ensure_meta(self) -> None:
        if not self._meta_ready:
            self.create_database(
                Database(
                    self.meta_database,
                    description="lakeforge crawler definitions, crawl history, saved queries",
                ),
                exist_ok=True,
            )
            self._meta_ready = True

    @staticmethod
    def _doc_table(collection: str, name: str) -> str:
        slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:80]
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        return f"{collection}__{slug}_{digest}"

    @staticmethod
    def _check_size(collection: str, name: str, body: str) -> None:
        if len(body.encode()) > _MAX_PARAMETER_BYTES:
            raise InvalidInputError(
                f"payload is {len(body.encode())} bytes; Glue allows {_MAX_PARAMETER_BYTES}",
                field=f"{kind_name(collection)} {name!r}",
            )

    def put_document(self, collection: str, name: str, payload: Mapping[str, Any]) -> None:
        body = check_document(collection, name, payload)
        self._check_size(collection, name, body)
        self._ensure_meta()
        table_input = {
            "Name": self._doc_table(collection, name),
            "TableType": META_TABLE_TYPE,
            "Parameters": {_P_COLLECTION: collection, _P_NAME: name, _P_PAYLOAD: body},
        }
        try:
            self._call("create_table", DatabaseName=self.meta_database, TableInput=table_input)
        except AlreadyExistsError:
            self._call(
                "update_table",
                DatabaseName=self.meta_database,
                TableInput=table_input,
                SkipArchive=True,
            )

    def _doc_missing(self, collection: str, name: str) -> NoReturn:
        raise EntityNotFoundError(kind_name(collection), name, self.list_documents(collection))

    def get_document(self, collection: str, name: str) -> dict[str, Any]:
        check_document(collection, name)
        self._ensure_meta()
        resp = self._call(
            "get_table",
            on_not_found=lambda: self._doc_missing(collection, name),
            DatabaseName=self.meta_database,
            Name=self._doc_table(collection, name),
        )
        params = resp["Table"].get("Parameters", {})
        if params.get(_P_NAME) != name:
            self._doc_missing(collection, name)
        result: dict[str, Any] = json.loads(params[_P_PAYLOAD])
        return result

    def list_documents(self, collection: str) -> dict[str, dict[str, Any]]:
        check_document(collection, "-")
        self._ensure_meta()
        found: dict[str, dict[str, Any]] = {}
        for t in self._pages(
            "get_tables",
            "TableList",
            DatabaseName=self.meta_database,
            Expression=f"{collection}__.*",
        ):
            params = t.get("Parameters", {})
            if params.get(_P_COLLECTION) == collection and _P_NAME in params:
                found[params[_P_NAME]] = json.loads(params[_P_PAYLOAD])
        return dict(sorted(found.items()))

    def delete_document(self, collection: str, name: str) -> None:
        check_document(collection, name)
        self._ensure_meta()
        self._call(
            "delete_table",
            on_not_found=lambda: self._doc_missing(collection, name),
            DatabaseName=self.meta_database,
            Name=self._doc_table(collection, name),
        )

    def _events_table(self, collection: str) -> str:
        name = f"{collection}__events"
        if name in self._event_tables:
            return name
        table = Table(
            name=name,
            database_name=self.meta_database,
            table_type=META_TABLE_TYPE,
            partition_keys=(Column("event_key", "string"), Column("seq", "string")),
            parameters={_P_COLLECTION: collection},
        )
        with contextlib.suppress(AlreadyExistsError):
            self._call(
                "create_table", DatabaseName=self.meta_database, TableInput=table.to_table_input()
            )
        self._event_tables.add(name)
        return name

    def append_event(self, collection: str, key: str, payload: Mapping[str, Any]) -> None:
        body = check_document(collection, key, payload)
        self._check_size(collection, key, body)
        self._ensure_meta()
        seq = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        partition = Partition(values=(key, seq), parameters={_P_PAYLOAD: body})
        self._call(
            "create_partition",
            DatabaseName=self.meta_database,
            TableName=self._events_table(collection),
            PartitionInput=partition.to_partition_input(),
        )

    def list_events(
        self, collection: str, key: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        check_document(collection, key)
        self._ensure_meta()
        quoted = key.replace("'", "''")
        parts = [
            p
            for p in self._pages(
                "get_partitions",
                "Partitions",
                DatabaseName=self.meta_database,
                TableName=self._events_table(collection),
                Expression=f"event_key = '{quoted}'",
            )
            if p["Values"][0] == key
        ]
        parts.sort(key=lambda p: p["Values"][1])
        if limit is not None:
            parts = parts[-int(limit) :] if limit > 0 else []
        return [json.loads(p["Parameters"][_P_PAYLOAD]) for p in parts]
