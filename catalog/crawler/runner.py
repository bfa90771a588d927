"""Run a crawler: list, sample, classify, group, plan, apply, and record the run.

Steps per include path: list (concurrent, paginated; known folders skipped with
CRAWL_NEW_FOLDERS_ONLY) → per-folder statistics and bounded samples → classify samples
concurrently (heads/footers only; Delta roots from their log) → one :class:`Leaf` per data
folder → group into tables → build candidates. Then the table threshold is checked (more
tables → :class:`TableThresholdExceededError`, nothing written), the changes are planned
against the catalog, and — unless it is a dry run — applied and recorded in crawl history.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow.fs as pafs

from catalog.crawler.apply import apply_plan
from catalog.crawler.classifiers import (
    FILE_CLASSIFIERS,
    UNKNOWN,
    DeltaClassifier,
    Verdict,
    choose,
)
from catalog.crawler.definitions import CrawlerDefinition, CrawlerRepository, RecrawlBehavior
from catalog.crawler.errors import TableThresholdExceededError
from catalog.crawler.exclusions import ExclusionSet
from catalog.crawler.explain import Explain
from catalog.crawler.folders import FolderIndex, FolderStats, is_under
from catalog.crawler.grouping import group_leaves
from catalog.crawler.history import CrawlHistory, CrawlMetrics, CrawlRun
from catalog.crawler.leaves import Compat, Leaf, SampledObject, summarize_leaf
from catalog.crawler.listing import FolderMode, Lister, make_lister, s3_client
from catalog.crawler.partitions import split_hive
from catalog.crawler.policies import PartitionAdditions, Plan, norm_location, plan_changes
from catalog.crawler.sampling import FileSystemReader, RangeReader, S3Reader, Sampler
from catalog.crawler.tables import TableCandidate, build_candidate, folder_uri
from catalog.crawler.widening import merge_columns
from catalog.model import Param, Partition, Table
from catalog.stores.base import CatalogStore
from catalog.types import parse_type
from lake.storage import StorageProfile, uris
from lake.storage.translate import translate_storage_error

__all__ = ["CrawlResult", "Crawler", "adhoc_definition", "include_level"]


def include_level(uri: str) -> int:
    """Absolute level of a folder: ``s3://bucket`` is 1, ``s3://bucket/a`` 2, ``/a/b`` 2."""
    native = uris.to_native(uri).rstrip("/")
    if uris.is_s3(native):
        _, key = uris.split_s3(native)
        return 1 + (len(key.split("/")) if key else 0)
    return len([p for p in native.split("/") if p])


def _relative(location: str, root: str) -> str | None:
    loc, base = norm_location(location), norm_location(root)
    if loc == base:
        return ""
    if loc.startswith(base + "/"):
        return loc[len(base) + 1 :]
    return None


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/") if rel else []
    return ["/".join(parts[:i]) for i in range(len(parts))]


@dataclass
class CrawlResult:
    """The outcome of one run (or dry run)."""

    crawler: str
    run_id: str
    dry_run: bool
    status: str
    metrics: CrawlMetrics
    tables: list[TableCandidate]
    unknown: list[str]
    plan: Plan
    explain: Explain
    started_at: str = ""
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (planned actions included)."""
        return {
            "crawler": self.crawler,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "status": self.status,
            "metrics": self.metrics.to_dict(),
            "tables": [
                {
                    "name": t.name,
                    "location": t.location,
                    "classification": t.classification,
                    "columns": [{"Name": n, "Type": str(ty)} for n, ty in t.columns],
                    "partition_keys": [k for k, _ in t.partition_keys],
                    "partitions": len(t.partitions),
                    "notes": t.notes,
                }
                for t in self.tables
            ],
            "unknown": self.unknown,
            "plan": [a.describe() for a in self.plan.actions],
            "error": self.error,
        }


class _Known:
    """The crawler's catalog tables under one include path (CRAWL_NEW_FOLDERS_ONLY)."""

    def __init__(self, include_uri: str, tables: Sequence[Table], partitions: Any):
        self.skip: set[str] = set()
        self.walk: set[str] = set()
        self.roots: dict[str, Table] = {}
        for table in tables:
            rel = _relative(table.location or "", include_uri)
            if rel is None:
                continue
            self.roots[rel] = table
            self.walk.update(_ancestors(rel))
            if table.partition_keys and table.classification != "delta":
                self.walk.add(rel)
                for p in partitions(table.name):
                    prel = _relative(p.location or "", include_uri)
                    if prel is not None:
                        self.skip.add(prel)
                        self.walk.update(_ancestors(prel))
            else:
                self.skip.add(rel)
        self.walk -= self.skip

    def decide(self, rel: str) -> FolderMode:
        if rel in self.skip:
            return "skip"
        return "walk" if rel in self.walk else "full"

    def owner(self, rel: str) -> tuple[str, Table] | None:
        found = [(r, t) for r, t in self.roots.items() if is_under(rel, r)]
        return max(found, key=lambda rt: len(rt[0])) if found else None


class Crawler:
    """Runs crawler definitions against one catalog store and storage profile.

    ``reader`` or ``filesystem`` replace how sample bytes are read (tests pass instrumented
    ones); by default S3 lakes use ranged GETs and local lakes the profile's filesystem.
    """

    def __init__(
        self,
        store: CatalogStore,
        profile: StorageProfile,
        *,
        reader: RangeReader | None = None,
        filesystem: pafs.FileSystem | None = None,
        workers: int = 8,
    ):
        self.store = store
        self.profile = profile
        self.workers = max(1, workers)
        self._reader = reader
        self._filesystem = filesystem
        self.history = CrawlHistory(store)
        self.definitions = CrawlerRepository(store)

    # ---- public
    def run_named(self, name: str, *, dry_run: bool = False, explain: bool = False) -> CrawlResult:
        """Run the stored crawler ``name``."""
        return self.run(self.definitions.get(name), dry_run=dry_run, explain=explain)

    def run(self, definition: CrawlerDefinition, *, dry_run: bool = False, explain: bool = False) -> CrawlResult:
        """Crawl; with ``dry_run`` plan only (nothing is written, not even history)."""
        definition = definition.validated()
        run_id = uuid.uuid4().hex[:12]
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        metrics = CrawlMetrics()
        log = Explain(enabled=explain)
        try:
            result = self._crawl(definition, dry_run, log, metrics, run_id)
        except Exception as exc:
            metrics.duration_seconds = round(time.perf_counter() - t0, 3)
            if not dry_run:
                self._record(definition.name, run_id, started, "FAILED", metrics, str(exc), [])
            raise
        metrics.duration_seconds = round(time.perf_counter() - t0, 3)
        result.started_at = started.isoformat(timespec="seconds")
        if not dry_run:
            self._record(
                definition.name,
                run_id,
                started,
                "SUCCEEDED",
                metrics,
                None,
                [t.name for t in result.tables],
            )
        return result

    # ---- steps
    def _record(
        self,
        crawler: str,
        run_id: str,
        started: datetime,
        status: str,
        metrics: CrawlMetrics,
        error: str | None,
        tables: list[str],
    ) -> None:
        self.history.record(
            CrawlRun(
                run_id=run_id,
                crawler=crawler,
                started_at=started.isoformat(timespec="seconds"),
                finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
                status=status,
                metrics=metrics,
                error=error,
                tables=tables,
            )
        )

    def _sampler(self, include_uri: str) -> Sampler:
        if self._reader is not None:
            return Sampler(self._reader)
        if self._filesystem is not None:
            return Sampler(FileSystemReader(self._filesystem, self.profile.fs_path))
        if uris.is_s3(include_uri):
            return Sampler(S3Reader(s3_client(self.profile, self.workers)))
        return Sampler(FileSystemReader(self.profile.filesystem(), self.profile.fs_path))

    def _crawl(
        self,
        definition: CrawlerDefinition,
        dry_run: bool,
        log: Explain,
        metrics: CrawlMetrics,
        run_id: str,
    ) -> CrawlResult:
        db = definition.database
        existing = self.store.list_tables(db) if self.store.database_exists(db) else []
        own = [
            t
            for t in existing
            if t.parameters.get(Param.UPDATED_BY_CRAWLER) == definition.name and t.location and not t.is_view
        ]
        cache: dict[str, list[Partition]] = {}

        def partitions(table: str) -> list[Partition]:
            if table not in cache:
                cache[table] = self.store.list_partitions(db, table)
            return cache[table]

        new_only = definition.recrawl_behavior == RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY
        include_uris = [self.profile.resolve(t.path) for t in definition.targets]
        candidates: list[TableCandidate] = []
        additions: list[PartitionAdditions] = []
        unknown: list[str] = []
        sampler: Sampler | None = None
        for target, uri in zip(definition.targets, include_uris, strict=True):
            sampler = sampler or self._sampler(uri)
            known = _Known(uri, own, partitions) if new_only else None
            lister = make_lister(self.profile, uri, ExclusionSet(target.exclusions), workers=self.workers)
            index = self._list(lister, known, definition.sample_size, log, metrics)
            folders = self._select(index, known, log)
            leaves = self._sample(folders, index, uri, sampler, log)
            usable: list[Leaf] = []
            for leaf in leaves:
                if leaf.classification == UNKNOWN:
                    unknown.append(folder_uri(uri, leaf.rel))
                    log.add(
                        "classification",
                        f"folder {leaf.rel or '<include path>'}: UNKNOWN — no table is created for it",
                    )
                else:
                    usable.append(leaf)
            if known is not None:
                usable = self._additions(usable, known, additions, log)
            groups = group_leaves(
                usable,
                definition.grouping,
                log,
                include_level=include_level(uri),
                pinned=list(known.roots) if known else (),
            )
            candidates += [build_candidate(g, uri, definition.table_prefix, log) for g in groups]
        if sampler is not None:
            metrics.objects_sampled += len(sampler.stats.objects)
            metrics.read_requests += sampler.stats.calls
            metrics.bytes_read += sampler.stats.bytes
        metrics.unknown_folders = len(unknown)
        threshold = definition.table_threshold
        if threshold is not None and len(candidates) > threshold:
            raise TableThresholdExceededError(
                definition.name, len(candidates), threshold, sorted(c.name for c in candidates)
            )
        plan, final = plan_changes(
            definition,
            candidates,
            additions,
            existing,
            partitions,
            include_uris,
            log,
            detect_deleted=not new_only,
        )
        metrics.tables_found = len(final) + len({a.table.name for a in additions})
        if not dry_run:
            apply_plan(self.store, db, plan, metrics, log)
        return CrawlResult(
            crawler=definition.name,
            run_id=run_id,
            dry_run=dry_run,
            status="DRY_RUN" if dry_run else "SUCCEEDED",
            metrics=metrics,
            tables=final,
            unknown=unknown,
            plan=plan,
            explain=log,
        )

    def _list(
        self,
        lister: Lister,
        known: _Known | None,
        sample_size: int,
        log: Explain,
        metrics: CrawlMetrics,
    ) -> FolderIndex:
        index = FolderIndex(sample_size)
        for item in lister.walk(known.decide if known else None):
            index.add(item)
        index.finish()
        stats = lister.stats
        metrics.objects_listed += stats.listed
        metrics.list_requests += stats.requests
        log.add(
            "listing",
            f"{lister.root}: {stats.listed} objects listed in {stats.requests} request(s); "
            f"{len(index.folders)} data folder(s), {len(index.delta_roots)} Delta root(s)",
        )
        for reason, count in sorted(stats.skipped.items()):
            log.add("listing", f"skipped {count}: {reason}")
        for rel, reason in stats.examples:
            log.add("listing", f"  e.g. {rel} — {reason}")
        if index.absorbed:
            log.add("listing", f"{index.absorbed} object(s) belong to Delta tables (read from the log)")
        if known is not None:
            log.add(
                "listing",
                f"CRAWL_NEW_FOLDERS_ONLY: {len(known.skip)} known folder(s) not listed, "
                f"{len(known.walk)} walked one level",
            )
        return index

    def _select(self, index: FolderIndex, known: _Known | None, log: Explain) -> list[FolderStats]:
        """Folders to sample (known ones are never read again)."""
        out: list[FolderStats] = []
        for rel, stats in sorted(index.folders.items()):
            if known is not None:
                owner = known.owner(rel)
                if rel in known.skip or (owner and not owner[1].partition_keys):
                    log.add("listing", f"{rel or '<include path>'}: already in the catalog; not read")
                    continue
                if owner and owner[1].classification == "delta":
                    continue
            out.append(stats)
        return out

    def _sample(
        self,
        folders: list[FolderStats],
        index: FolderIndex,
        uri: str,
        sampler: Sampler,
        log: Explain,
    ) -> list[Leaf]:
        delta = DeltaClassifier(self.profile.storage_options())

        def classify(rel: str, size: int) -> SampledObject:
            try:
                sample = sampler.sample(uris.join(uri, rel), rel, size)
            except Exception as exc:
                if not _vanished(exc):
                    folder = uris.join(uri, rel).rsplit("/", 1)[0]  # the object's folder: probed if need be
                    translated = translate_storage_error(exc, self.profile, folder)
                    if translated is None:
                        raise
                    raise translated from exc
                gone = Verdict("read", UNKNOWN, 0.0, f"object disappeared after listing ({exc})")
                return SampledObject(rel, size, gone, [gone])
            verdict, consulted = choose(sample, FILE_CLASSIFIERS)
            return SampledObject(rel, size, verdict, consulted)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="lake-sample") as pool:
            futures = {stats.rel: [pool.submit(classify, o.rel, o.size) for o in stats.samples] for stats in folders}
            delta_futures = {
                rel: pool.submit(delta.classify_root, folder_uri(uri, rel).rstrip("/"))
                for rel in sorted(index.delta_roots)
            }
            leaves: list[Leaf] = []
            for stats in folders:
                sampled = [f.result() for f in futures[stats.rel]]
                for s in sampled:
                    _explain_sample(s, log)
                leaves.append(summarize_leaf(stats, folder_uri(uri, stats.rel), sampled, log))
            for rel, fut in delta_futures.items():
                verdict, snap = fut.result()
                log.add("classification", f"{rel or '<include path>'}/_delta_log → {verdict.summary()}")
                compat = Compat("delta" if snap is not None else UNKNOWN)
                leaves.append(
                    Leaf(
                        rel=rel,
                        uri=folder_uri(uri, rel),
                        objects=snap.files if snap else 0,
                        size=snap.size if snap else 0,
                        compat=compat,
                        columns=list(snap.columns) if snap else [],
                        records=snap.records if snap else None,
                        delta=snap,
                    )
                )
        return sorted(leaves, key=lambda leaf: leaf.rel)

    def _additions(
        self,
        leaves: list[Leaf],
        known: _Known,
        out: list[PartitionAdditions],
        log: Explain,
    ) -> list[Leaf]:
        """Split off new partitions of known tables; return the leaves left for grouping."""
        rest: list[Leaf] = []
        by_table: dict[str, PartitionAdditions] = {}
        for leaf in leaves:
            owner = known.owner(leaf.rel)
            if owner is None:
                rest.append(leaf)
                continue
            root, table = owner
            values = _partition_values(leaf.rel, root, table)
            where = leaf.rel or "<include path>"
            if values is None:
                log.add(
                    "partitions",
                    f"{where}: does not fit the partition keys "
                    f"{[k.name for k in table.partition_keys]} of {table.name}; not crawled",
                )
                continue
            table_cols = [(c.name, parse_type(c.type)) for c in table.columns]
            merged = merge_columns([table_cols, leaf.columns])
            if merged != table_cols:
                log.add(
                    "partitions",
                    f"{where}: its schema differs from table {table.name}; "
                    "UpdateBehavior LOG keeps "
                    "the table's schema for the new partition",
                )
            params = {
                k: v
                for k, v in table.parameters.items()
                if k not in (Param.UPDATED_BY_CRAWLER, Param.DEPRECATED_BY_CRAWLER)
            }
            params[Param.OBJECT_COUNT] = str(leaf.objects)
            params[Param.SIZE_KEY] = str(leaf.size)
            if leaf.records is not None:
                params[Param.RECORD_COUNT] = str(leaf.records)
            if leaf.avg_record_size:
                params[Param.AVERAGE_RECORD_SIZE] = str(max(1, round(leaf.avg_record_size)))
            partition = Partition(
                values=values,
                storage_descriptor=table.storage_descriptor.with_location(leaf.uri),
                parameters=params,
            )
            add = by_table.setdefault(table.name, PartitionAdditions(table, []))
            add.partitions.append(partition)
            log.add("partitions", f"{where}: new partition {list(values)} of {table.name}")
        out.extend(by_table.values())
        return rest


def _partition_values(rel: str, root: str, table: Table) -> tuple[str, ...] | None:
    offset = len(root) + 1 if root else 0
    parts = rel[offset:].split("/") if rel != root else []
    keys = [k.name for k in table.partition_keys]
    if len(parts) != len(keys):
        return None
    values = []
    for level, (name, key) in enumerate(zip(parts, keys, strict=True)):
        hive = split_hive(name)
        if hive is not None and hive[0].lower() == key:
            values.append(hive[1])
        elif key == f"partition_{level}":
            values.append(name)
        else:
            return None
    return tuple(values)


def _vanished(exc: Exception) -> bool:
    """True for "no such object" errors (deleted between listing and sampling)."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in ("NoSuchKey", "404", "NotFound")


def _explain_sample(s: SampledObject, log: Explain) -> None:
    others = [v for v in s.consulted if v is not s.verdict]
    line = f"{s.rel} → {s.verdict.classification} ({s.verdict.summary()})"
    if others:
        line += " | " + " | ".join(_short(v) for v in others)
    log.add("classification", line)
    if s.verdict.csv is not None:
        log.add("csv header", f"{s.rel}: {s.verdict.csv.header_reason}")
    for w in s.verdict.widening:
        log.add("widening", f"{s.rel} (within the file): {w}")


def _short(v: Verdict) -> str:
    return f"{v.classifier} {v.certainty:.2f}: {v.explanation}"


def adhoc_definition(
    store: CatalogStore,
    paths: Sequence[str],
    database: str,
    name: str | None = None,
    **options: Any,
) -> CrawlerDefinition:
    """The definition ``lake crawl PATH… --database DB`` runs.

    Named ``name``, or ``<database>-<hash of the paths>``. When a stored crawler of that
    name has the same settings it is reused (keeping its creation time); otherwise the
    returned definition is new and replaces it once stored.
    """
    import hashlib

    if name is None:
        digest = hashlib.sha1("\n".join(sorted(paths)).encode("utf-8")).hexdigest()[:8]
        name = f"{database.lower()}-{digest}"
    wanted = CrawlerDefinition.create(name, database, list(paths), **options)
    repo = CrawlerRepository(store)
    if repo.exists(name):
        current = repo.get(name)
        if replace(current, created_at=None, updated_at=None) == wanted:
            return current
        return replace(wanted, created_at=current.created_at)
    return wanted
