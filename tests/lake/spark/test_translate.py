"""Spark's S3A errors become storage errors, by the Java classes of their cause chain."""

from __future__ import annotations

import pytest

from lake.spark.translate import is_spark_error, java_classes, translate_spark_error
from lake.storage import moto_profile
from lake.storage.errors import BucketNotFoundError


@pytest.mark.moto
def test_s3a_read_of_a_missing_bucket(spark, moto_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    profile = moto_profile(moto_endpoint, "s3://nosuch-spark-bucket/lake")
    with pytest.raises(Exception) as info:
        spark.read.parquet("s3a://nosuch-spark-bucket/lake/t").count()
    assert is_spark_error(info.value)
    assert "org.apache.hadoop.fs.s3a.UnknownStoreException" in java_classes(info.value)
    error = translate_spark_error(info.value, profile, "s3://nosuch-spark-bucket/lake/t")
    assert isinstance(error, BucketNotFoundError) and error.bucket == "nosuch-spark-bucket"


def test_other_exceptions_are_not_spark_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lake.storage import LocalProfile

    assert translate_spark_error(ValueError("x"), LocalProfile(tmp_path), str(tmp_path)) is None
    assert java_classes(ValueError("x")) == []


def test_a_failed_write_task_is_explained_by_probing_the_location(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Python task's own ``NotADirectoryError`` arrives as a PythonException: the probe names the file."""
    from lake.storage import LocalProfile
    from lake.storage.errors import PathIsFileError

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    target = str(blocker / "t" / "part-0.parquet")

    def write(batches):  # type: ignore[no-untyped-def]
        import pyarrow.fs as pafs

        for batch in batches:
            pafs.LocalFileSystem().open_output_stream(target).close()
            yield batch

    with pytest.raises(Exception) as info:
        spark.range(1).mapInArrow(write, "id long").collect()
    assert is_spark_error(info.value)
    error = translate_spark_error(info.value, LocalProfile(blocker), str(blocker / "t"))
    assert isinstance(error, PathIsFileError) and error.path == str(blocker)
