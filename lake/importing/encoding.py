"""Check that a file decodes in its encoding, naming the line and byte offset of the first bad byte."""

from __future__ import annotations

import codecs
from collections.abc import Callable

import pyarrow as pa

from lake.importing.errors import SourceEncodingError

__all__ = ["check_encoding"]

_CHUNK = 4 << 20


def check_encoding(
    stream: pa.NativeFile, path: str, encoding: str, on_bytes: Callable[[int], None] | None = None
) -> int:
    """Decode ``stream`` strictly; return the byte count or raise :class:`SourceEncodingError`.

    The file is read once in 4 MiB chunks; lines are counted on the decoded text, so
    multi-byte encodings (UTF-16) report the right line too.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = lines = 0
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            buffer = pending + chunk
            good = buffer[: exc.start].decode(encoding, errors="replace")
            raise SourceEncodingError(
                path=path,
                line=lines + good.count("\n") + 1,
                offset=consumed - len(pending) + exc.start,
                bad_bytes=bytes(buffer[exc.start : exc.end]),
                encoding=encoding,
            ) from None
        lines += text.count("\n")
        consumed += len(chunk)
        if on_bytes is not None and chunk:
            on_bytes(consumed)
        if final:
            return consumed
