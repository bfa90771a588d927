"""Benchmark: analytic queries through the SQL engine vs the same SQL on DataFrames read directly.

    .venv/bin/python bench/sql_bench.py [--rows 1000000] [--repeat 5] [--profiles local,moto]

The engine path is what ``lake sql`` runs for a statement: parse (sqlglot), resolve every
name through the catalog (Delta snapshot + pruning plan, raw partitions listed), bind,
run on Spark and read the result page by page (no saved result, no history row). The
direct path runs the same SQL on temporary views over DataFrames read once with Spark from
the same files. Both run after warm-up in one SparkSession, alternately (which goes first
switches every repetition); the script prints the median time per query, the engine/direct
ratio of the medians (goal: at most 1.1x), the ratio of the fastest runs (other jobs on a
shared machine only ever add time, so it is the steadier of the two), and whether the
engine streamed the result (``toLocalIterator``) rather than collecting it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

QUERIES = {
    "revenue_by_region": """
        SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
        FROM {orders} o JOIN {customers} c ON o.customer_id = c.customer_id GROUP BY c.region""",
    "daily_totals": "SELECT order_date, count(*) AS n, sum(amount) AS total FROM {orders} GROUP BY order_date",
    "one_day_partition": """
        SELECT product_id, count(*) AS n, avg(amount) AS mean FROM {orders}
        WHERE order_date = DATE '2024-01-15' GROUP BY product_id""",
    "top_customers_window": """
        SELECT region, customer_id, revenue FROM (
          SELECT c.region, o.customer_id, sum(o.amount) AS revenue,
                 rank() OVER (PARTITION BY c.region ORDER BY sum(o.amount) DESC) AS r
          FROM {orders} o JOIN {customers} c ON o.customer_id = c.customer_id
          GROUP BY c.region, o.customer_id) t
        WHERE r <= 3""",
    "distinct_buyers": "SELECT product_id, count(DISTINCT customer_id) AS buyers FROM {orders} GROUP BY product_id",
    "running_total_one_week": """
        SELECT customer_id, order_id, sum(amount) OVER (PARTITION BY customer_id ORDER BY order_id) AS running
        FROM {orders} WHERE order_date BETWEEN DATE '2024-01-08' AND DATE '2024-01-14' AND customer_id < 50""",
    "id_range_skipping": "SELECT count(*) AS n, max(amount) AS top FROM {orders} WHERE order_id >= 990000",
    "three_way_join_having": """
        SELECT p.category, c.tier, count(*) AS n, sum(o.amount) AS revenue
        FROM {orders} o JOIN {customers} c ON o.customer_id = c.customer_id
        JOIN {products} p ON o.product_id = p.product_id
        GROUP BY p.category, c.tier HAVING count(*) > 100""",
}


def _setup(spark: Any, profile: Any, store: Any, rows: int) -> dict[str, str]:
    """Write the tables (Delta orders, raw Parquet customers/products) and register them."""
    from catalog import register_delta_table
    from catalog.sql import SqlEngine
    from lake.delta import DeltaTableStore

    delta = DeltaTableStore(spark, profile)
    orders = spark.range(rows).selectExpr(
        "id AS order_id", "CAST(id * 7919 % 5000 AS BIGINT) AS customer_id",
        "CAST(id % 200 AS BIGINT) AS product_id", "CAST(rand(3) * 100 AS DOUBLE) AS amount",
        "date_add(DATE '2024-01-01', CAST(id * 30 / " + str(rows) + " AS INT)) AS order_date",
    )
    delta.write(orders, "bench/orders", mode="overwrite", partition_by=["order_date"])
    register_delta_table(store, "bench", "orders", "bench/orders", profile)
    customers = spark.range(5000).selectExpr(
        "id AS customer_id", "concat('c', CAST(id AS STRING)) AS name",
        "element_at(array('gold', 'silver', 'basic'), CAST(id % 3 + 1 AS INT)) AS tier",
        "element_at(array('eu', 'us', 'apac', 'latam'), CAST(id % 4 + 1 AS INT)) AS region")
    customers.write.mode("overwrite").partitionBy("region").parquet(profile.to_spark_uri("raw/bench/customers"))
    spark.range(200).selectExpr("id AS product_id", "concat('cat', CAST(id % 12 AS STRING)) AS category") \
        .write.mode("overwrite").parquet(profile.to_spark_uri("raw/bench/products"))
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False)
    location = profile.resolve("raw/bench")
    engine.execute("""
        DROP TABLE IF EXISTS bench.customers; DROP TABLE IF EXISTS bench.products;
        CREATE DATABASE IF NOT EXISTS bench""")
    from catalog import Table

    store.create_table(Table.external("bench", "customers", [("customer_id", "bigint"), ("name", "string"),
                                                              ("tier", "string")],
                                      f"{location}/customers", "parquet", partition_keys=[("region", "string")]))
    store.create_table(Table.external("bench", "products", [("product_id", "bigint"), ("category", "string")],
                                      f"{location}/products", "parquet"))
    engine.execute("MSCK REPAIR TABLE bench.customers")
    return {"orders": "bench.orders", "customers": "bench.customers", "products": "bench.products"}


def _direct_views(spark: Any, profile: Any) -> dict[str, str]:
    """The same files read directly with Spark (Delta: the snapshot's files), as temp views."""
    from deltalake import DeltaTable

    uri = profile.resolve("bench/orders")
    files = [profile.to_spark_uri(u) for u in DeltaTable(uri, storage_options=profile.storage_options() or None)
             .file_uris()]
    spark.read.option("basePath", profile.to_spark_uri(uri)).parquet(*files).createOrReplaceTempView("d_orders")
    spark.read.parquet(profile.to_spark_uri("raw/bench/customers")).createOrReplaceTempView("d_customers")
    spark.read.parquet(profile.to_spark_uri("raw/bench/products")).createOrReplaceTempView("d_products")
    return {"orders": "d_orders", "customers": "d_customers", "products": "d_products"}


def _time(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_profile(name: str, spark: Any, profile: Any, store: Any, rows: int, repeat: int) -> None:
    from catalog.sql import CollectSink, SqlEngine

    print(f"\n== profile {name}: lake {profile.lake_uri}")
    t = time.perf_counter()
    engine_names = _setup(spark, profile, store, rows)
    print(f"setup (write {rows:,} orders + raw tables): {time.perf_counter() - t:.1f}s")
    direct_names = _direct_views(spark, profile)
    engine = SqlEngine(spark, store, profile, save_results=False, record_history=False)

    streamed: list[bool] = []

    def via_engine(sql: str) -> None:
        (result,) = engine.execute(sql, sinks=lambda _: [CollectSink()])
        streamed.append(result.streamed)

    def direct(sql: str) -> None:
        spark.sql(sql).collect()

    print(f"{'query':<26}{'engine s':>10}{'direct s':>10}{'ratio':>8}{'fastest':>9}{'resolve s':>11}  streamed")
    ratios, fastest = [], []
    for qname, template in QUERIES.items():
        ours, theirs = template.format(**engine_names), template.format(**direct_names)
        via_engine(ours)  # warm-up both paths
        direct(theirs)
        e_times: list[float] = []
        d_times: list[float] = []
        for i in range(repeat):
            runs = [(e_times, lambda: via_engine(ours)), (d_times, lambda: direct(theirs))]  # noqa: B023
            for times, run in runs if i % 2 == 0 else runs[::-1]:
                times.append(_time(run))
        resolve = statistics.median(_time(lambda: engine.dataframe(ours)) for _ in range(3))  # noqa: B023
        e, d = statistics.median(e_times), statistics.median(d_times)
        ratios.append(e / d)
        fastest.append(min(e_times) / min(d_times))
        print(f"{qname:<26}{e:>10.3f}{d:>10.3f}{e / d:>7.2f}x{fastest[-1]:>8.2f}x{resolve:>11.3f}  "
              f"{'yes' if streamed[-1] else 'no'}")
    geo, geo_fastest = statistics.geometric_mean(ratios), statistics.geometric_mean(fastest)
    print(f"{'geometric mean ratio':<46}{geo:>7.2f}x{geo_fastest:>8.2f}x   (max {max(ratios):.2f}x / "
          f"{max(fastest):.2f}x; goal <= 1.10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profiles", default="local", help="comma-separated: local, moto")
    args = parser.parse_args()

    from catalog.stores.embedded import EmbeddedStore
    from lake.config import load_settings
    from lake.spark.session import build_spark
    from lake.storage import LocalProfile, moto_profile

    tmp = Path(tempfile.mkdtemp(prefix="lakeforge-sql-bench-"))
    server = None
    profiles: dict[str, Any] = {"local": LocalProfile(tmp / "lake")}
    if "moto" in args.profiles.split(","):
        from infra.services.moto import spawn_moto

        server = spawn_moto()
        profiles["moto"] = moto_profile(server.endpoint, "s3://sql-bench")
    settings = load_settings({"spark.master": "local[2]"})
    spark = build_spark(settings, profiles.get("moto", profiles["local"]), app_name="sql-bench")
    print(f"rows={args.rows:,} repeat={args.repeat} (median) spark master=local[2]")
    try:
        for name in args.profiles.split(","):
            profile = profiles[name]
            profile.ensure_lake()
            store = EmbeddedStore(tmp / f"catalog-{name}.db")
            run_profile(name, spark, profile, store, args.rows, args.repeat)
    finally:
        spark.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
