"""delta-rs errors become table-store and storage errors, by type (and one probe), never by text."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, DeltaProtocolError
from deltalake.exceptions import SchemaMismatchError as DeltaSchemaMismatch

from lake.delta import (
    ConcurrentCommitError,
    DeltaTableStore,
    InvalidWriteError,
    NotADeltaTableError,
    SchemaMismatchError,
    TableNotFoundError,
    TableProtocolError,
    VersionNotFoundError,
    VersionVacuumedError,
    check_table,
    table_history,
    vacuum_table,
)
from lake.delta.commit import commit_error
from lake.delta.translate import translate_delta_error
from lake.errors import is_transient
from lake.storage import LocalProfile, moto_profile
from lake.storage.errors import BucketNotFoundError, PathIsFileError


def _no_spark_store(profile) -> DeltaTableStore:  # type: ignore[no-untyped-def]
    """A store for the lookups that never touch Spark (exists, snapshot, history)."""
    return DeltaTableStore(None, profile)  # type: ignore[arg-type]


@pytest.mark.parametrize(("exc", "kind"), [
    (CommitFailedError("Commit failed: a concurrent transaction deleted data"), ConcurrentCommitError),
    (DeltaSchemaMismatch("Cannot cast schema, number of fields does not match: 3 vs 2"), SchemaMismatchError),
    (DeltaProtocolError("reader feature deletionVectors unsupported"), TableProtocolError),
])
def test_delta_rs_errors_map_by_type(tmp_path: Path, exc: Exception, kind: type) -> None:
    error = translate_delta_error(exc, LocalProfile(tmp_path), str(tmp_path / "t"))
    assert isinstance(error, kind) and str(tmp_path / "t") in str(error)


def test_commit_errors_are_decided_by_type_not_text() -> None:
    concurrent = commit_error("/t", 3, CommitFailedError("Table version 4 already exists"))
    assert isinstance(concurrent, ConcurrentCommitError) and is_transient(concurrent)
    worded = commit_error("/t", 3, DeltaError("Generic error: conflict with a concurrent writer"))
    assert type(worded) is InvalidWriteError and not is_transient(worded)


def test_schema_mismatch_without_a_column_reads_well(tmp_path: Path) -> None:
    coloured = DeltaSchemaMismatch("\x1b[31mfields differ\x1b[0m\nmore")
    error = translate_delta_error(coloured, LocalProfile(tmp_path), "/t")
    assert str(error) == "/t: the data's schema does not fit the table's: fields differ"


def test_a_folder_of_files_is_not_a_delta_table(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x\n1\n")
    store = _no_spark_store(LocalProfile(tmp_path))
    with pytest.raises(NotADeltaTableError, match="holds files but no _delta_log"):
        store.snapshot("raw")
    with pytest.raises(TableNotFoundError, match="no Delta table at"):
        store.snapshot("nothing-here")


def test_a_table_under_a_file_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    store = _no_spark_store(LocalProfile(blocker))
    with pytest.raises(PathIsFileError, match="afile is a file"):
        store.snapshot("t")
    with pytest.raises(PathIsFileError):
        table_history(LocalProfile(blocker), "t")


@pytest.mark.moto
def test_missing_bucket_from_exists_and_snapshot(moto_endpoint: str) -> None:
    """delta-rs reports it as ``OSError("Generic S3 error … NoSuchBucket …")``: the probe names it."""
    store = _no_spark_store(moto_profile(moto_endpoint, "s3://nosuch-bucket/lake"))
    for call in (lambda: store.exists("t"), lambda: store.snapshot("t"), lambda: store.history("t")):
        with pytest.raises(BucketNotFoundError, match="bucket 'nosuch-bucket' does not exist") as info:
            call()
        assert isinstance(info.value.__cause__, OSError)


def test_check_table_reports_versions_without_spark(tmp_path: Path) -> None:
    profile = LocalProfile(tmp_path)
    uri = str(tmp_path / "t")
    write_deltalake(uri, pa.table({"a": [1, 2]}))
    write_deltalake(uri, pa.table({"a": [3]}), mode="overwrite")
    assert check_table(profile, uri) == 1 and check_table(profile, uri, version=0) == 0
    with pytest.raises(VersionNotFoundError, match="has no version 7: its latest version is 1"):
        check_table(profile, uri, version=7)
    vacuum_table(profile, uri, retain_hours=0, force=True)
    with pytest.raises(VersionVacuumedError, match="version 0 of .*removed by VACUUM"):
        check_table(profile, uri, version=0)


def test_writes_report_the_storage_problem_before_spark_writes(spark, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                               moto_endpoint: str) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PathIsFileError):
        DeltaTableStore(spark, LocalProfile(tmp_path / "afile")).write(spark.range(3), "t")
    with pytest.raises(BucketNotFoundError):
        DeltaTableStore(spark, moto_profile(moto_endpoint, "s3://nosuch-bucket/lake")).write(spark.range(3), "t")
