"""Correctness oracle: analytic queries through the engine (catalog names, Spark) give the same
rows as DuckDB running the same SQL on the same files (Delta snapshot files and raw Parquet)."""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

duckdb = pytest.importorskip("duckdb")

QUERIES = {
    "join_group_by": """
        SELECT c.region, count(*) AS n, sum(o.amount) AS total
        FROM {orders} o JOIN {customers} c ON o.customer_id = c.customer_id
        GROUP BY c.region""",
    "delta_partition_filter": """
        SELECT order_date, count(*) AS n, avg(amount) AS mean
        FROM {orders} WHERE order_date = DATE '2024-01-03' GROUP BY order_date""",
    "raw_partition_filter": "SELECT customer_id, name, tier FROM {customers} WHERE region = 'eu'",
    "top_two_per_customer": """
        SELECT customer_id, order_id, amount FROM (
          SELECT customer_id, order_id, amount,
                 row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC, order_id) AS rn
          FROM {orders}) ranked
        WHERE rn <= 2""",
    "running_total": """
        SELECT order_id, customer_id,
               sum(amount) OVER (PARTITION BY customer_id ORDER BY order_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
        FROM {orders}""",
    "distinct_having": """
        SELECT product_id, count(DISTINCT customer_id) AS buyers, count(*) AS n
        FROM {orders} GROUP BY product_id HAVING count(*) > 25""",
    "in_subquery": """
        SELECT count(*) AS n, sum(amount) AS total FROM {orders}
        WHERE customer_id IN (SELECT customer_id FROM {customers} WHERE tier = 'gold')""",
    "cte_three_way_join_limit": """
        WITH spend AS (
          SELECT customer_id, product_id, sum(amount) AS total FROM {orders} GROUP BY customer_id, product_id)
        SELECT c.name, p.category, s.total
        FROM spend s JOIN {customers} c ON s.customer_id = c.customer_id
        JOIN {products} p ON s.product_id = p.product_id
        ORDER BY s.total DESC, c.name, p.category LIMIT 10""",
    "left_join_without_orders": """
        SELECT c.customer_id, coalesce(sum(o.amount), 0) AS spent, count(o.order_id) AS orders
        FROM {customers} c LEFT JOIN {orders} o ON o.customer_id = c.customer_id
        GROUP BY c.customer_id""",
    "union_all_buckets": """
        SELECT kind, count(*) AS n FROM (
          SELECT 'big' AS kind FROM {orders} WHERE amount > 50
          UNION ALL SELECT 'small' AS kind FROM {orders} WHERE amount <= 50) u
        GROUP BY kind""",
    "daily_lag": """
        SELECT order_date, total, lag(total) OVER (ORDER BY order_date) AS previous
        FROM (SELECT order_date, sum(amount) AS total FROM {orders} GROUP BY order_date) d""",
    "case_buckets_partition_range": """
        SELECT CASE WHEN amount < 20 THEN 'low' WHEN amount < 60 THEN 'mid' ELSE 'high' END AS bucket,
               count(*) AS n, max(order_date) AS last_day
        FROM {orders} WHERE order_date BETWEEN DATE '2024-01-02' AND DATE '2024-01-04'
        GROUP BY 1""",
}


def _orders() -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    return [
        (i, rng.randrange(1, 31), rng.randrange(1, 9), round(rng.uniform(1, 100), 2),
         date(2024, 1, rng.randrange(1, 6)))
        for i in range(1, 401)
    ]


@pytest.fixture(scope="module")
def oracle(sql_env: Any) -> dict[str, Any]:
    env = sql_env
    db = env.unique_db("orc")
    orders = env.spark.createDataFrame(
        _orders(), "order_id long, customer_id long, product_id long, amount double, order_date date")
    orders_uri = env.delta_table(db, "orders", orders.repartition(3), ["order_date"])
    rng = random.Random(11)
    regions = {"eu": [], "us": [], "apac": []}
    for cid in range(1, 36):  # customers 31..35 have no orders
        regions[rng.choice(sorted(regions))].append((cid, f"cust-{cid:02d}", rng.choice(["gold", "silver", "basic"])))
    for region, rows in regions.items():
        env.put_parquet(f"raw/{db}/customers/region={region}/part-0.parquet", pa.table({
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "name": [r[1] for r in rows], "tier": [r[2] for r in rows]}))
    env.raw_table(db, "customers", [("customer_id", "bigint"), ("name", "string"), ("tier", "string")],
                  f"raw/{db}/customers", "parquet", partition_keys=[("region", "string")],
                  partitions={(r,): f"raw/{db}/customers/region={r}" for r in regions})
    env.put_parquet(f"raw/{db}/products/p.parquet", pa.table({
        "product_id": pa.array(range(1, 9), pa.int64()), "category": [f"cat{i % 3}" for i in range(1, 9)]}))
    env.raw_table(db, "products", [("product_id", "bigint"), ("category", "string")],
                  f"raw/{db}/products", "parquet")

    fs = env.profile.filesystem()
    snapshot = env.delta.snapshot(orders_uri)
    files = [env.profile.fs_path(u) for u in snapshot.file_uris()]
    date_part = ds.partitioning(pa.schema([("order_date", pa.date32())]), flavor="hive")
    con = duckdb.connect()
    con.register("orders", ds.dataset(files, filesystem=fs, format="parquet", partitioning=date_part,
                                      partition_base_dir=env.profile.fs_path(orders_uri)).to_table())
    region_part = ds.partitioning(pa.schema([("region", pa.string())]), flavor="hive")
    con.register("customers", ds.dataset(env.profile.fs_path(env.profile.resolve(f"raw/{db}/customers")),
                                         filesystem=fs, format="parquet", partitioning=region_part).to_table())
    con.register("products", ds.dataset(env.profile.fs_path(env.profile.resolve(f"raw/{db}/products")),
                                        filesystem=fs, format="parquet").to_table())
    return {"env": env, "db": db, "duck": con}


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=lambda r: [(v is None, str(v)) for v in r])


def _same(ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> bool:
    if len(ours) != len(theirs):
        return False
    for a, b in zip(_rows(ours), _rows(theirs), strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-6):
                    return False
            elif x != y:
                return False
    return True


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_engine_matches_duckdb(oracle: dict[str, Any], name: str) -> None:
    env, db, duck = oracle["env"], oracle["db"], oracle["duck"]
    sql = QUERIES[name]
    ours = env.tuples(sql.format(orders=f"{db}.orders", customers=f"{db}.customers", products=f"{db}.products"))
    theirs = duck.execute(sql.format(orders="orders", customers="customers", products="products")).fetchall()
    assert ours, f"{name}: no rows"
    assert _same(ours, theirs), f"{name}:\nengine {_rows(ours)[:5]}\nduckdb {_rows(theirs)[:5]}"
