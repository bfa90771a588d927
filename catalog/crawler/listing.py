"""List the objects under an include path: S3 (any profile) or a local directory.

Both listers apply the skip rules (:mod:`catalog.crawler.skip_rules`) and the exclusion
globs, report ``_delta_log/`` folders as :class:`DeltaRoot` markers instead of objects, and
yield results as they arrive so memory stays flat with the number of objects.

A ``decide(folder)`` callback steers the walk per folder:

- ``"full"``: list everything below (S3: paginated ``list_objects_v2`` without a delimiter,
  several key ranges of sibling folders at once);
- ``"walk"``: list one level (S3: with ``Delimiter='/'``) and ask again for each sub-folder;
- ``"skip"``: do not list it at all (e.g. a partition the catalog already knows).

With no callback every folder is ``"full"``; the S3 lister still walks the first few levels
with a delimiter until it has enough sibling prefixes to list concurrently.
"""

from __future__ import annotations

import functools
import math
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from catalog.crawler.errors import ListingError
from catalog.crawler.exclusions import ExclusionSet
from catalog.crawler.skip_rules import DELTA_LOG, file_skip_reason, folder_skip_reason
from lake.storage import StorageProfile, uris
from lake.storage.translate import from_botocore

__all__ = [
    "DeltaRoot",
    "FolderMode",
    "ListedObject",
    "Lister",
    "ListingStats",
    "LocalLister",
    "S3Lister",
    "make_lister",
    "s3_client",
]

FolderMode = Literal["full", "walk", "skip"]
Decide = Callable[[str], FolderMode]
_MAX_EXAMPLES = 50
_PROBE_LEVELS = 3


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One data object: its path relative to the include path, size and modification time."""

    rel: str
    size: int
    mtime: float | None = None

    @property
    def folder(self) -> str:
        return self.rel.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.rel.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class DeltaRoot:
    """A folder holding ``_delta_log/``: a Delta table root (``""`` = the include path)."""

    rel: str


@dataclass
class ListingStats:
    """What a listing saw: objects returned by the store, requests, and what was skipped."""

    listed: int = 0
    requests: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def skip(self, rel: str, reason: str, count: int = 1) -> None:
        with self._lock:
            self.skipped[reason] += count
            if len(self.examples) < _MAX_EXAMPLES:
                self.examples.append((rel, reason))

    def add(self, listed: int = 0, requests: int = 0) -> None:
        with self._lock:
            self.listed += listed
            self.requests += requests


class Lister(Protocol):
    """Lists one include path."""

    root: str
    stats: ListingStats

    def walk(self, decide: Decide | None = None) -> Iterator[ListedObject | DeltaRoot]: ...


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


class _Filter:
    """Skip rules and exclusions applied to relative paths."""

    def __init__(self, exclusions: ExclusionSet, stats: ListingStats):
        self.exclusions = exclusions
        self.stats = stats

    def folder(self, rel: str) -> bool:
        """True to keep folder ``rel``; records why it is skipped otherwise."""
        reason = folder_skip_reason(rel.rpartition("/")[2])
        if reason is None and self.exclusions:
            pattern = self.exclusions.match_folder(rel)
            if pattern is not None:
                reason = f"excluded by {pattern!r}"
        if reason is not None:
            self.stats.skip(rel + "/", reason)
            return False
        return True

    def key(self, rel: str, size: int, mtime: float | None) -> ListedObject | DeltaRoot | None:
        """Classify one object path found by a recursive listing."""
        parts = rel.split("/")
        for i, comp in enumerate(parts[:-1]):
            if comp == DELTA_LOG:
                root = "/".join(parts[:i])
                pattern = self.exclusions.match_folder(root) if root and self.exclusions else None
                if pattern is not None:
                    self.stats.skip(root + "/", f"excluded by {pattern!r}")
                    return None
                return DeltaRoot(root)
            reason = folder_skip_reason(comp)
            if reason is not None:
                self.stats.skip(rel, reason)
                return None
        reason = file_skip_reason(parts[-1], size)
        if reason is None and self.exclusions:
            pattern = self.exclusions.match(rel)
            if pattern is not None:
                reason = f"excluded by {pattern!r}"
        if reason is not None:
            self.stats.skip(rel, reason)
            return None
        return ListedObject(rel, size, mtime)


class LocalLister:
    """Lists a local directory with ``os.scandir`` (sorted, depth first)."""

    def __init__(self, root: str, exclusions: ExclusionSet | None = None):
        self.root = os.path.normpath(root)
        self.stats = ListingStats()
        self._filter = _Filter(exclusions or ExclusionSet(), self.stats)

    def walk(self, decide: Decide | None = None) -> Iterator[ListedObject | DeltaRoot]:
        if not os.path.isdir(self.root):
            raise ListingError(self.root, "no such directory")
        stack = [""]
        while stack:
            rel = stack.pop()
            path = os.path.join(self.root, rel) if rel else self.root
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                raise ListingError(path, exc.strerror or str(exc)) from None
            self.stats.add(requests=1)
            if any(e.name == DELTA_LOG and e.is_dir() for e in entries):
                yield DeltaRoot(rel)
                continue
            subfolders: list[str] = []
            for entry in entries:
                child = _join(rel, entry.name)
                if entry.is_dir():
                    if not self._filter.folder(child):
                        continue
                    mode = decide(child) if decide else "full"
                    if mode == "skip":
                        continue
                    subfolders.append(child)
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue
                self.stats.add(listed=1)
                item = self._filter.key(child, st.st_size, st.st_mtime)
                if item is not None:
                    yield item
            stack.extend(reversed(subfolders))


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


_DONE = object()


class S3Lister:
    """Lists ``s3://bucket/prefix`` with paginated ``list_objects_v2``, concurrently.

    Folders are walked level by level with ``Delimiter='/'`` while that is needed (to skip
    known folders, or to find enough sibling prefixes); then runs of sibling folders are
    split into key ranges (``StartAfter`` … last sibling) listed by ``workers`` threads.
    """

    def __init__(
        self,
        client: Any,
        root: str,
        exclusions: ExclusionSet | None = None,
        *,
        workers: int = 8,
        page_size: int = 1000,
    ):
        self.root = uris.to_native(root).rstrip("/")
        self.bucket, prefix = uris.split_s3(self.root)
        self.base = f"{prefix}/" if prefix else ""
        self.client = client
        self.workers = max(1, workers)
        self.page_size = page_size
        self.stats = ListingStats()
        self._filter = _Filter(exclusions or ExclusionSet(), self.stats)

    # ---- requests
    def _call(self, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = self.client.list_objects_v2(Bucket=self.bucket, MaxKeys=self.page_size, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            endpoint = str(getattr(self.client.meta, "endpoint_url", None) or "aws")
            translated = from_botocore(exc, bucket=self.bucket, endpoint=endpoint, path=self.root)
            if translated is not None:
                raise translated from None
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            raise ListingError(self.root, code or type(exc).__name__) from None
        self.stats.add(requests=1)
        return response

    def _pages(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call(**kwargs, **extra)
            yield page
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")

    def _rel(self, key: str) -> str:
        return key[len(self.base) :]

    def _obj(self, item: dict[str, Any]) -> ListedObject | DeltaRoot | None:
        modified = item.get("LastModified")
        mtime = modified.timestamp() if modified is not None else None
        return self._filter.key(self._rel(item["Key"]), int(item.get("Size", 0)), mtime)

    def _list_level(self, folder: str) -> tuple[list[ListedObject], list[str], bool]:
        """One folder with a delimiter: (its objects, its sub-folders, is a Delta root)."""
        prefix = self.base + (f"{folder}/" if folder else "")
        objects: list[ListedObject] = []
        subfolders: list[str] = []
        for page in self._pages(Prefix=prefix, Delimiter="/"):
            for cp in page.get("CommonPrefixes", ()):
                name = cp["Prefix"][len(prefix) :].rstrip("/")
                if name == DELTA_LOG:
                    return [], [], True
                subfolders.append(_join(folder, name))
            contents = page.get("Contents", ())
            self.stats.add(listed=len(contents))
            for item in contents:
                obj = self._obj(item)
                if isinstance(obj, ListedObject):
                    objects.append(obj)
        return objects, subfolders, False

    def _range_pages(self, parent: str, members: Sequence[str]) -> Iterator[list[ListedObject | DeltaRoot]]:
        """Everything under sibling folders ``members`` (sorted) of ``parent``, page by page."""
        if len(members) == 1:
            kwargs: dict[str, Any] = {"Prefix": f"{self.base}{members[0]}/"}
        else:
            kwargs = {
                "Prefix": self.base + (f"{parent}/" if parent else ""),
                "StartAfter": self.base + members[0],
            }
        last = f"{self.base}{members[-1]}/"
        names = {m.rpartition("/")[2] for m in members}
        skip_from = len(parent) + 1 if parent else 0
        for page in self._pages(**kwargs):
            out: list[ListedObject | DeltaRoot] = []
            done = False
            contents = page.get("Contents", ())
            for item in contents:
                key = item["Key"]
                if key > last and not key.startswith(last):
                    done = True
                    break
                self.stats.add(listed=1)
                rel = self._rel(key)
                first, sep, _ = rel[skip_from:].partition("/")
                if not sep or first not in names:
                    continue
                obj = self._obj(item)
                if obj is not None:
                    out.append(obj)
            yield out
            if done:
                return

    # ---- concurrency
    def _drain(self, pool: ThreadPoolExecutor, tasks: list[Callable[[], Iterator[list[Any]]]]) -> Iterator[list[Any]]:
        q: queue.Queue[Any] = queue.Queue(maxsize=self.workers * 4)
        stop = threading.Event()

        def put(item: Any) -> None:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.2)
                    return
                except queue.Full:
                    continue

        def run(task: Callable[[], Iterator[list[Any]]]) -> None:
            try:
                for page in task():
                    if stop.is_set():
                        return
                    put(page)
            except BaseException as exc:
                put(_Failure(exc))
            finally:
                put(_DONE)

        for task in tasks:
            pool.submit(run, task)
        remaining = len(tasks)
        try:
            while remaining:
                item = q.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, _Failure):
                    raise item.exc
                else:
                    yield item
        finally:
            stop.set()

    def walk(self, decide: Decide | None = None) -> Iterator[ListedObject | DeltaRoot]:
        frontier = [""]
        runs: list[tuple[str, list[str]]] = []
        level = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="lake-list") as pool:
            while frontier:
                results = list(pool.map(self._list_level, frontier))
                next_walk: list[str] = []
                level_runs: list[tuple[str, list[str]]] = []
                for folder, (objects, subfolders, is_delta) in zip(frontier, results, strict=True):
                    if is_delta:
                        yield DeltaRoot(folder)
                        continue
                    yield from objects
                    run: list[str] = []
                    for sub in subfolders:
                        mode: FolderMode = "skip"
                        if self._filter.folder(sub):
                            mode = decide(sub) if decide else "full"
                        if mode == "full":
                            run.append(sub)
                            continue
                        if run:
                            level_runs.append((folder, run))
                            run = []
                        if mode == "walk":
                            next_walk.append(sub)
                    if run:
                        level_runs.append((folder, run))
                level += 1
                full_count = sum(len(r) for _, r in level_runs)
                if full_count and full_count < self.workers and level < _PROBE_LEVELS:
                    next_walk.extend(sub for _, r in level_runs for sub in r)
                    next_walk.sort()
                else:
                    runs.extend(level_runs)
                frontier = next_walk
            tasks = self._range_tasks(runs)
            for page in self._drain(pool, tasks):
                yield from page

    def _range_tasks(self, runs: list[tuple[str, list[str]]]) -> list[Callable[[], Iterator[list[Any]]]]:
        total = sum(len(r) for _, r in runs)
        if not total:
            return []
        size = max(1, math.ceil(total / self.workers))
        tasks: list[Callable[[], Iterator[list[Any]]]] = []
        for parent, run in runs:
            for start in range(0, len(run), size):
                chunk = run[start : start + size]
                tasks.append(functools.partial(self._range_pages, parent, chunk))
        return tasks


def make_lister(
    profile: StorageProfile,
    uri: str,
    exclusions: ExclusionSet | None = None,
    *,
    workers: int = 8,
) -> Lister:
    """The lister for ``uri`` (already resolved by ``profile``)."""
    native = uris.to_native(uri)
    if uris.is_s3(native):
        return S3Lister(s3_client(profile, workers), native, exclusions, workers=workers)
    return LocalLister(native, exclusions)


def s3_client(profile: StorageProfile, workers: int) -> Any:
    import boto3
    from botocore.config import Config

    path_style = bool(getattr(profile, "path_style", True))
    cfg = Config(
        s3={"addressing_style": "path" if path_style else "virtual"},
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=max(10, workers * 2),
        connect_timeout=10,
        read_timeout=60,
    )
    return boto3.client("s3", config=cfg, **profile.boto3_kwargs())
