"""A small PySpark job for the cluster test (run with ``lake submit``, not collected by pytest).

Writes a partitioned Parquet dataset under the lake, reads it back, runs a Python RDD
transformation on the executors and prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import json
import sys

from lake.config import load_settings
from lake.spark.session import build_spark
from lake.storage import get_profile


def main(argv: list[str]) -> int:
    target = argv[1] if len(argv) > 1 else "cluster-job/out"
    settings = load_settings()
    profile = get_profile(settings)
    spark = build_spark(settings, profile, app_name="lakeforge-cluster-job")
    uri = profile.to_spark_uri(profile.resolve(target))
    df = spark.range(0, 1000, numPartitions=2).selectExpr("id", "id % 3 AS bucket")
    df.write.mode("overwrite").partitionBy("bucket").parquet(uri)
    back = spark.read.parquet(uri)
    doubled = spark.sparkContext.parallelize(range(100), 2).map(lambda x: x * 2).sum()
    result = {
        "rows": back.count(),
        "buckets": back.select("bucket").distinct().count(),
        "python_sum": doubled,
        "master": spark.sparkContext.master,
        "app_id": spark.sparkContext.applicationId,
        "uri": uri,
    }
    spark.stop()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
