"""Result output: pages (small results collected, large ones streamed), CSV / JSON lines /
Parquet, the Athena-style saved result and --no-save."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest

from catalog.sql import CollectSink, CsvSink, JsonLinesSink, ParquetSink
from catalog.sql.results import FrameResult
from catalog.sql.sinks import consume

TYPED = """
    SELECT id, CAST(id * 1.25 AS DECIMAL(10, 2)) AS price, DATE '2024-01-01' + CAST(id AS INT) AS day,
           TIMESTAMP '2024-01-01 10:00:00' AS ts, IF(id = 1, NULL, concat('n,', CAST(id AS STRING))) AS name,
           array(id, id + 1) AS pair, named_struct('k', id) AS s, id % 2 = 0 AS even
    FROM range(3)
"""


def test_large_results_stream_page_by_page(local_env: Any) -> None:
    df = local_env.spark.range(0, 7, 1, 3)
    pages = list(FrameResult(df, collect_below=0).pages(3))
    assert [len(p) for p in pages] == [3, 3, 1] and [r[0] for p in pages for r in p] == list(range(7))
    streamed = FrameResult(df, collect_below=0)
    small = FrameResult(df)
    sink = CollectSink()
    assert consume(streamed, [sink], page_size=2) == 7 and streamed.streamed
    assert consume(small, [CollectSink()]) == 7 and not small.streamed


def test_csv_json_and_parquet_sinks(local_env: Any, tmp_path: Any) -> None:
    csv_out, json_out = io.StringIO(), io.StringIO()
    result = FrameResult(local_env.spark.sql(TYPED))
    consume(result, [CsvSink(csv_out), JsonLinesSink(json_out), ParquetSink(str(tmp_path / "r.parquet"))],
            page_size=2)
    assert csv_out.getvalue().splitlines() == [
        "id,price,day,ts,name,pair,s,even",
        '0,0.00,2024-01-01,2024-01-01 10:00:00,"n,0","[0,1]","{""k"":0}",true',
        "1,1.25,2024-01-02,2024-01-01 10:00:00,,\"[1,2]\",\"{\"\"k\"\":1}\",false",
        '2,2.50,2024-01-03,2024-01-01 10:00:00,"n,2","[2,3]","{""k"":2}",true',
    ]
    rows = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert rows[1] == {"id": 1, "price": 1.25, "day": "2024-01-02", "ts": "2024-01-01 10:00:00", "name": None,
                       "pair": [1, 2], "s": {"k": 1}, "even": False}
    table = pq.read_table(tmp_path / "r.parquet")
    assert [str(t) for t in table.schema.types] == [
        "int64", "decimal128(10, 2)", "date32[day]", "timestamp[us]", "string", "list<element: int64>",
        "struct<k: int64>", "bool"]
    assert table.to_pylist()[2]["price"] == Decimal("2.50") and table.to_pylist()[0]["day"] == date(2024, 1, 1)
    assert table.to_pylist()[0]["ts"] == datetime(2024, 1, 1, 10, 0)


def test_saved_result_and_no_save(local_env: Any) -> None:
    env = local_env
    engine = env.new_engine(save_results=True)
    saved, ddl = engine.execute("SELECT 1 AS x, 'a' AS y; CREATE DATABASE IF NOT EXISTS default")
    assert saved.result_location and saved.result_location.endswith(f"/_results/{saved.query_id}.csv")
    with open(saved.result_location) as f:
        assert f.read() == "x,y\n1,a\n"
    assert ddl.result_location is None  # nothing to save for DDL
    (unsaved,) = engine.execute("SELECT 2 AS x", save_results=False)
    assert unsaved.result_location is None


@pytest.mark.parametrize("limit", [None, 2])
def test_engine_query_collects_rows_as_dicts(local_env: Any, limit: int | None) -> None:
    rows = local_env.engine.query("SELECT id FROM range(4) ORDER BY id", limit=limit)
    assert rows == [{"id": i} for i in range(4)][:limit]
