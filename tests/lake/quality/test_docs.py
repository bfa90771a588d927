"""GX Data Docs: built locally, uploaded through the storage profile, index present on both lakes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest

from lake.quality import (
    DataDocsError,
    RowRule,
    apply_row_rules,
    build_data_docs,
    default_runner,
    docs_location,
    publish_data_docs,
    run_table_rules,
)


@pytest.fixture(scope="module")
def row_outcome(vitals):  # type: ignore[no-untyped-def]
    rules = [RowRule("valid_age", "age BETWEEN 18 AND 100", "drop"), RowRule("known_status", "status <> 'bad'")]
    return apply_row_rules(vitals, rules, table="silver.vitals", run_id="run-shared-1")


def _read(lake, uri: str) -> bytes:  # type: ignore[no-untyped-def]
    with lake.filesystem().open_input_stream(lake.fs_path(uri), compression=None) as stream:
        return stream.read()


@pytest.mark.moto
def test_docs_are_uploaded_with_index_and_validation_page(lake, warn_outcome, row_outcome) -> None:  # type: ignore[no-untyped-def]
    site = publish_data_docs([row_outcome, warn_outcome], lake, table="silver.vitals", run_id="run-shared-1")
    root = lake.resolve("_quality/docs/silver.vitals/run-shared-1")
    assert site.root_uri == root and site.index_uri == f"{root}/index.html"
    index = _read(lake, site.index_uri).decode()
    assert "vitals_shared" in index and "run-shared-1" in index
    fs = lake.filesystem()
    infos = fs.get_file_info(pafs.FileSelector(lake.fs_path(root), recursive=True))
    files = sorted(i.path[len(lake.fs_path(root)) + 1:] for i in infos if i.type == pafs.FileType.File)
    assert len(files) == site.files and sum(i.size for i in infos if i.type == pafs.FileType.File) == site.bytes
    pages = [f for f in files if f.startswith("validations/vitals_shared/run-shared-1/")]
    assert len(pages) == 1 and pages[0].endswith(".html")
    page = _read(lake, f"{root}/{pages[0]}").decode()
    assert "expect_column_values_to_be_in_set" in page or "values must belong to this set" in page
    assert "expectations/vitals_shared.html" in files
    [row_page] = [f for f in files if f.startswith("validations/row_rules/run-shared-1/")]
    text = _read(lake, f"{root}/{row_page}").decode()
    failed = row_outcome.failed["valid_age"]
    assert f"valid_age: EXPECT (age BETWEEN 18 AND 100) ON VIOLATION DROP ROW — {failed} of 200 rows failed" in text
    assert site.validations == 2
    assert not any(f.endswith((".gif", ".otf")) for f in files)  # unreferenced GX assets stay behind
    if lake.kind != "local":
        head = lake.client().head_object(Bucket=lake.bucket, Key=lake.fs_path(site.index_uri).split("/", 1)[1])
        assert head["ContentType"].startswith("text/html")


def test_docs_build_locally_and_leave_the_runner_working(warn_outcome, vitals, tmp_path: Path) -> None:
    build_data_docs([warn_outcome], tmp_path / "first")
    # building docs made another GX context the "current" one; the runner's objects stay bound to its own
    later = run_table_rules(vitals, warn_outcome.suite, run_id="run-after-docs")
    assert later.result_key is not None and default_runner()._context.validation_results_store.list_keys() == []
    index = build_data_docs([later], tmp_path / "site")
    assert index == tmp_path / "site" / "index.html" and index.is_file()
    [page] = (tmp_path / "site" / "validations").rglob("*.html")
    assert "run-after-docs" in page.as_posix()


def test_path_segments_and_empty_runs_are_refused(local_lake) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataDocsError, match="cannot be a path segment"):
        docs_location(local_lake, "silver/vitals", "r1")
    with pytest.raises(DataDocsError, match="no rule outcomes"):
        publish_data_docs([], local_lake, table="silver.vitals", run_id="r1")
