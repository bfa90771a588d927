"""How a result is read: collected when Spark's estimate is small, collected after a LIMIT run
when the estimate is large but the rows are few (joins), streamed only when the rows are many."""

from __future__ import annotations

from typing import Any

from catalog.sql import CollectSink
from catalog.sql.results import FrameResult
from catalog.sql.sinks import consume


def test_a_join_spark_overestimates_is_collected_not_streamed(local_env: Any) -> None:
    spark = local_env.spark
    left = spark.range(2000).selectExpr("id", "id % 4 AS k")
    right = spark.range(4).selectExpr("id AS k", "concat('g', CAST(id AS STRING)) AS g")
    df = left.join(right, "k").groupBy("g").count().orderBy("g")
    result = FrameResult(df, collect_below=1024)  # the join's estimate is far above 1 KiB
    assert result._estimated_bytes() > 1024
    sink = CollectSink()
    assert consume(result, [sink], page_size=3) == 4 and not result.streamed
    assert sink.dicts() == [{"g": f"g{i}", "count": 500} for i in range(4)]


def test_more_rows_than_collect_rows_stream_in_order(local_env: Any) -> None:
    df = local_env.spark.range(0, 25, 1, 4)
    few = FrameResult(df, collect_below=0, collect_rows=25)
    assert [r[0] for p in few.pages(10) for r in p] == list(range(25)) and not few.streamed
    many = FrameResult(df, collect_below=0, collect_rows=24)
    pages = list(many.pages(10))
    assert [len(p) for p in pages] == [10, 10, 5] and many.streamed
    assert [r[0] for p in pages for r in p] == list(range(25))
