"""Objects and folders every crawl skips: Spark leftovers, markers, hidden and empty files.

A folder named ``_delta_log`` is not skipped: it marks its parent as a Delta table root.
"""

from __future__ import annotations

__all__ = [
    "DELTA_LOG",
    "LEFTOVER_FOLDERS",
    "file_skip_reason",
    "folder_skip_reason",
]

DELTA_LOG = "_delta_log"
LEFTOVER_FOLDERS = {
    "_temporary": "Spark/Hadoop _temporary folder",
    "_spark_metadata": "Spark streaming _spark_metadata folder",
    "_checkpoints": "streaming _checkpoints folder",
}


def folder_skip_reason(name: str) -> str | None:
    """Why folder ``name`` (one path component) is skipped, or None to crawl it."""
    if name in LEFTOVER_FOLDERS:
        return LEFTOVER_FOLDERS[name]
    if name.endswith("$folder$"):
        return "S3 folder marker ($folder$)"
    if name.startswith((".", "_")):
        return "hidden folder (starts with '.' or '_')"
    return None


def file_skip_reason(name: str, size: int) -> str | None:
    """Why object ``name`` (the last path component) is skipped, or None to crawl it."""
    if name == "":
        return "folder placeholder object (key ends with '/')"
    if name == "_SUCCESS":
        return "Spark _SUCCESS marker"
    if name.endswith("$folder$"):
        return "S3 folder marker ($folder$)"
    if name.startswith((".", "_")):
        return "hidden file (starts with '.' or '_')"
    if size == 0:
        return "zero-byte object"
    return None
