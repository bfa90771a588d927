"""Uploading the report into the lake through the profile's pyarrow filesystem (local and moto)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.report import ReportDataError, ReportUploadError, report_subpath, upload_report
from lake.storage import StorageProfile


def test_the_report_lands_under_reports_run_id_and_reads_back_identical(
    lake: StorageProfile, rendered_report: Path
) -> None:
    uri = upload_report(rendered_report, lake, report_subpath("demo-20261201T090000Z"))

    assert uri == lake.resolve("_reports/demo-20261201T090000Z/report.html")
    with lake.filesystem().open_input_stream(lake.fs_path(uri)) as stored:
        assert stored.read() == rendered_report.read_bytes()


def test_an_upload_replaces_the_previous_report_of_the_run(lake: StorageProfile, tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    first.write_text("<html>first, longer</html>")
    second.write_text("<html>second</html>")
    upload_report(first, lake, report_subpath("r1"))
    uri = upload_report(second, lake, report_subpath("r1"))

    with lake.filesystem().open_input_stream(lake.fs_path(uri)) as stored:
        assert stored.read() == b"<html>second</html>"


def test_on_s3_the_object_is_served_as_html(moto_lake: StorageProfile, rendered_report: Path) -> None:
    from lake.storage.uris import split_s3

    uri = upload_report(rendered_report, moto_lake, report_subpath("r-s3"))
    bucket, key = split_s3(uri)
    head = moto_lake.client("s3").head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]

    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["ContentLength"] == rendered_report.stat().st_size


@pytest.mark.parametrize("subpath", ["", "/etc/report.html", "s3://other/report.html", "_reports/../../x.html"])
def test_a_subpath_outside_the_lake_is_refused(local_lake: StorageProfile, tmp_path: Path, subpath: str) -> None:
    source = tmp_path / "r.html"
    source.write_text("<html></html>")
    with pytest.raises(ReportDataError, match="lake_uri_subpath: expected a path relative to the lake root"):
        upload_report(source, local_lake, subpath)


def test_a_missing_report_file_is_a_clear_error(local_lake: StorageProfile, tmp_path: Path) -> None:
    with pytest.raises(ReportUploadError, match=r"r\.html to .*_reports/r1/report\.html: no such file"):
        upload_report(tmp_path / "r.html", local_lake, report_subpath("r1"))


@pytest.mark.parametrize("run_id", ["", "a/b", ".."])
def test_report_subpath_refuses_a_run_id_that_is_not_one_name(run_id: str) -> None:
    with pytest.raises(ReportDataError, match="run_id"):
        report_subpath(run_id)
