"""Read what classifiers need from a sample object: the first bytes and, lazily, the footer.

Reads go through a :class:`RangeReader` (byte ranges of one object):

- :class:`S3Reader`: one ranged ``GetObject`` per read (no ``HEAD`` first);
- :class:`FileSystemReader`: any pyarrow filesystem (local lakes, or a wrapped one).

A sample never reads more than ``head_bytes`` (1 MiB) from the start of an object; Parquet
and ORC read their footers through :class:`LazyFile`, which fetches only the byte ranges
pyarrow asks for (one 64 KiB tail read for a typical Parquet footer).
"""

from __future__ import annotations

import bz2
import io
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow.fs as pafs

from lake.storage import uris

__all__ = [
    "HEAD_BYTES",
    "FileSystemReader",
    "LazyFile",
    "RangeReader",
    "ReadStats",
    "S3Reader",
    "Sample",
    "Sampler",
    "decompress",
]

HEAD_BYTES = 1 << 20
_PROBE_BYTES = 64 << 10
_MAX_DECOMPRESSED = 8 << 20
_BINARY_MAGIC = (b"PAR1", b"ORC", b"Obj\x01")


class RangeReader(Protocol):
    """Reads byte ranges of objects named by native URI or path."""

    def read(self, uri: str, start: int, length: int) -> bytes: ...


class S3Reader:
    """Ranged ``GetObject`` calls through one boto3 S3 client."""

    def __init__(self, client: Any):
        self.client = client

    def read(self, uri: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        bucket, key = uris.split_s3(uri)
        resp = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")
        body: bytes = resp["Body"].read()
        return body


class FileSystemReader:
    """Byte ranges through a pyarrow filesystem (``to_path`` maps URIs to its paths)."""

    def __init__(self, filesystem: pafs.FileSystem, to_path: Callable[[str], str]):
        self.filesystem = filesystem
        self.to_path = to_path

    def read(self, uri: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        with self.filesystem.open_input_file(self.to_path(uri)) as f:
            return bytes(f.read_at(length, start))


@dataclass
class ReadStats:
    """Objects read (distinct), read calls and bytes, updated from several threads."""

    objects: set[str] = field(default_factory=set)
    calls: int = 0
    bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, uri: str, nbytes: int) -> None:
        with self._lock:
            self.objects.add(uri)
            self.calls += 1
            self.bytes += nbytes


class LazyFile(io.RawIOBase):
    """A read-only, seekable file of known ``size`` that fetches ranges on demand.

    ``head`` (the first bytes, already read) is served from memory; other reads are
    fetched through ``fetch(start, length)``, at least ``min_fetch`` bytes at a time.
    """

    def __init__(
        self,
        size: int,
        fetch: Callable[[int, int], bytes],
        head: bytes = b"",
        min_fetch: int = _PROBE_BYTES,
    ):
        super().__init__()
        self._size = size
        self._fetch = fetch
        self._blocks: list[tuple[int, bytes]] = [(0, head)] if head else []
        self._pos = 0
        self._min_fetch = min_fetch

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def size(self) -> int:
        return self._size

    def _cached(self, start: int, length: int) -> bytes | None:
        for offset, data in self._blocks:
            if offset <= start and start + length <= offset + len(data):
                return data[start - offset : start - offset + length]
        return None

    def readinto(self, buffer: Any) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._cached(self._pos, length)
        if data is None:
            start = self._pos
            want = max(length, self._min_fetch)
            if start + want > self._size:  # read ahead backwards for tail reads
                start = max(0, self._size - want)
                want = self._size - start
            block = self._fetch(start, want)
            self._blocks.append((start, block))
            data = block[self._pos - start : self._pos - start + length]
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n


@dataclass
class Sample:
    """The bytes of one sampled object that classifiers look at."""

    uri: str
    rel: str
    size: int
    head: bytes
    _open: Callable[[], LazyFile] = field(repr=False)
    _text: tuple[bytes, str, bool] | None = field(default=None, repr=False)

    @property
    def truncated(self) -> bool:
        """True when ``head`` is not the whole object."""
        return len(self.head) < self.size

    @property
    def name(self) -> str:
        return self.rel.rpartition("/")[2]

    def open(self) -> LazyFile:
        """A random-access view of the whole object (fetches ranges lazily)."""
        return self._open()

    def text(self) -> tuple[bytes, str, bool]:
        """``(decompressed head, compression, truncated)``, computed once."""
        if self._text is None:
            self._text = decompress(self.head, self.truncated)
        return self._text


class Sampler:
    """Reads samples: one read of the head, more only for binary footers."""

    def __init__(self, reader: RangeReader, head_bytes: int = HEAD_BYTES):
        self.reader = reader
        self.head_bytes = head_bytes
        self.stats = ReadStats()

    def _read(self, uri: str, start: int, length: int) -> bytes:
        data = self.reader.read(uri, start, length)
        self.stats.record(uri, len(data))
        return data

    def sample(self, uri: str, rel: str, size: int) -> Sample:
        """Read the first bytes of ``uri`` (all of it when it is at most 1 MiB)."""
        if size <= self.head_bytes:
            head = self._read(uri, 0, size)
        else:
            head = self._read(uri, 0, _PROBE_BYTES)
            if not head.startswith(_BINARY_MAGIC):
                head += self._read(uri, len(head), self.head_bytes - len(head))

        def opener() -> LazyFile:
            return LazyFile(size, lambda s, n: self._read(uri, s, n), head)

        return Sample(uri, rel, size, head, opener)


def decompress(data: bytes, truncated: bool) -> tuple[bytes, str, bool]:
    """``(text bytes, compression, truncated)`` for the head of a possibly compressed object.

    gzip (``1f 8b``, multi-member too) and bzip2 (``BZh``) are recognised by their magic
    bytes; a truncated stream yields what decompresses so far. Output is capped at 8 MiB.
    """
    if data[:2] == b"\x1f\x8b":
        return _inflate(data, truncated, lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), "gzip")
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        return _inflate(data, truncated, bz2.BZ2Decompressor, "bzip2")
    return data, "none", truncated


def _inflate(data: bytes, truncated: bool, factory: Callable[[], Any], name: str) -> tuple[bytes, str, bool]:
    out: list[bytes] = []
    total = 0
    rest = data
    while rest:
        d = factory()
        try:
            chunk = d.decompress(rest, _MAX_DECOMPRESSED - total)
        except (OSError, EOFError, zlib.error):
            if not out:
                return data, "none", truncated
            return b"".join(out), name, True
        out.append(chunk)
        total += len(chunk)
        if total >= _MAX_DECOMPRESSED:
            return b"".join(out), name, True
        if not d.eof:
            return b"".join(out), name, True
        rest = d.unused_data
    return b"".join(out), name, truncated
