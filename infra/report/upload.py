"""Copy a rendered report into the lake through the storage profile's pyarrow filesystem."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pyarrow.fs as pafs

from infra.report.errors import ReportDataError, ReportUploadError
from lake.storage import StorageProfile

__all__ = ["LOCAL_REPORTS_DIR", "REPORTS_DIR", "local_report_path", "report_subpath", "upload_report"]

#: Where reports live, relative to the lake root: ``_reports/<run_id>/report.html``.
REPORTS_DIR = "_reports"
#: Where ``lake report`` writes a run's report locally, relative to the home: ``reports/<run_id>/report.html``.
LOCAL_REPORTS_DIR = "reports"
_CHUNK = 1 << 20


def report_subpath(run_id: str, name: str = "report.html") -> str:
    """``_reports/<run_id>/<name>``, the report's place relative to the lake root."""
    for field, value in (("run_id", run_id), ("name", name)):
        if not value or "/" in value or "\\" in value or value in (".", ".."):
            raise ReportDataError(field, f"expected a non-empty name without '/', got {value!r}")
    return f"{REPORTS_DIR}/{run_id}/{name}"


def local_report_path(home: Path, run_id: str) -> Path:
    """``<home>/reports/<run_id>/report.html``: where a run's report is written on this machine."""
    return home / LOCAL_REPORTS_DIR / Path(report_subpath(run_id)).relative_to(REPORTS_DIR)


def upload_report(path: str | Path, profile: StorageProfile, lake_uri_subpath: str) -> str:
    """Copy the file at ``path`` to ``<lake>/<lake_uri_subpath>`` and return the URI it now has.

    ``lake_uri_subpath`` is relative to the lake root (e.g. :func:`report_subpath`\\ ``(run_id)``);
    an existing object there is replaced. On S3 the object gets ``Content-Type: text/html``.
    """
    source = Path(path)
    parts = PurePosixPath(lake_uri_subpath).parts
    if not parts or lake_uri_subpath.startswith("/") or "://" in lake_uri_subpath or ".." in parts:
        problem = f"expected a path relative to the lake root, got {lake_uri_subpath!r}"
        raise ReportDataError("lake_uri_subpath", problem)
    uri = profile.resolve(lake_uri_subpath)
    if not source.is_file():
        raise ReportUploadError(path=str(source), uri=uri, reason="no such file (render the report first)")
    fs = profile.filesystem()
    target = profile.fs_path(uri)
    local = isinstance(fs, pafs.LocalFileSystem)
    metadata = None if local else {"Content-Type": "text/html; charset=utf-8"}
    size = source.stat().st_size
    try:
        if local:
            fs.create_dir(str(PurePosixPath(target).parent), recursive=True)
        with source.open("rb") as src, fs.open_output_stream(target, metadata=metadata) as out:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
        stored = fs.get_file_info(target)
    except OSError as exc:
        raise ReportUploadError(path=str(source), uri=uri, reason=_one_line(exc)) from exc
    if stored.type != pafs.FileType.File or stored.size != size:
        raise ReportUploadError(path=str(source), uri=uri,
                                reason=f"after the copy the lake holds {stored.size} bytes, not {size}")
    return uri


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
