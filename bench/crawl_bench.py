"""Crawler benchmark: full crawl, unchanged recrawl and Spark's schema inference, one run.

    .venv/bin/python bench/crawl_bench.py [--partitions 250] [--objects 40]

Starts its own moto server (127.0.0.1, free port), writes ``partitions x objects`` small
newline-delimited JSON objects under ``s3://crawl-bench/raw/events/dt=…/``, then times:

1. a full crawl (CRAWL_NEW_FOLDERS_ONLY with LOG policies; the first run reads every folder),
2. an unchanged recrawl of the same crawler (only a listing of known folders' parents),
3. ``spark.read.json(prefix)`` — Spark's own schema inference with default sampling
   (the session is started before the clock starts).

Goals: full crawl ≥ 10x faster than Spark's inference; unchanged recrawl ≤ 5 % of the full
crawl. Prints the times and ratios; exit code 0 when both goals are met.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BUCKET = "crawl-bench"
PREFIX = "raw/events"


def _records(partition: int, obj: int, n: int) -> bytes:
    lines = [
        json.dumps(
            {
                "device_id": f"d-{partition}-{obj}-{i}",
                "seq": obj * n + i,
                "heart_rate": 60 + (i * 7 + obj) % 40,
                "temperature": 36.0 + ((i + partition) % 20) / 10,
                "ok": i % 2 == 0,
                "meta": {"fw": "1.2.3", "battery": 50 + i},
            }
        )
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def generate(client: object, partitions: int, objects: int, records: int) -> int:
    """Write the objects concurrently; returns how many were written."""

    def put(p: int) -> int:
        for o in range(objects):
            client.put_object(  # type: ignore[attr-defined]
                Bucket=BUCKET,
                Key=f"{PREFIX}/dt=2024-{1 + p // 28 % 12:02d}-{1 + p % 28:02d}-{p:04d}/part-{o:05d}.json",
                Body=_records(p, o, records),
            )
        return objects

    with ThreadPoolExecutor(16) as pool:
        return sum(pool.map(put, range(partitions)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--partitions", type=int, default=250)
    parser.add_argument("--objects", type=int, default=40, help="objects per partition")
    parser.add_argument("--records", type=int, default=5, help="JSON records per object")
    parser.add_argument("--workers", type=int, default=8, help="crawler listing/sampling threads")
    args = parser.parse_args(argv)

    import boto3
    from moto.server import ThreadedMotoServer

    from catalog.crawler import Crawler, CrawlerDefinition
    from catalog.stores.embedded import EmbeddedStore
    from lake.config import load_settings
    from lake.spark.session import build_spark
    from lake.storage import moto_profile

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        t0 = time.perf_counter()
        total = generate(client, args.partitions, args.objects, args.records)
        print(f"generated {total} objects in {args.partitions} partitions ({time.perf_counter() - t0:.1f}s)")

        profile = moto_profile(endpoint, f"s3://{BUCKET}")
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "catalog.db")
            definition = CrawlerDefinition.create(
                "bench",
                "raw",
                [f"s3://{BUCKET}/{PREFIX}"],
                recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY",
                update_behavior="LOG",
                delete_behavior="LOG",
            )
            crawler = Crawler(store, profile, workers=args.workers)

            t0 = time.perf_counter()
            full = crawler.run(definition)
            full_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = crawler.run(definition)
            recrawl_s = time.perf_counter() - t0
            store.close()

        settings = load_settings({"profiles.moto.endpoint_url": endpoint})
        spark = build_spark(settings, profile, app_name="crawl-bench")
        try:
            t0 = time.perf_counter()
            df = spark.read.json(f"s3a://{BUCKET}/{PREFIX}")
            spark_s = time.perf_counter() - t0
            spark_schema = df.schema.simpleString()
        finally:
            spark.stop()
    finally:
        server.stop()

    fm, rm = full.metrics, again.metrics
    (table,) = full.tables
    print(f"crawler schema: {[(n, str(t)) for n, t in table.columns]} + {table.partition_keys}")
    print(f"spark schema:   {spark_schema}")
    print(
        f"full crawl:        {full_s:7.2f}s  listed {fm.objects_listed}, sampled {fm.objects_sampled}, "
        f"{fm.list_requests} list + {fm.read_requests} read requests, "
        f"{fm.partitions_added} partitions added"
    )
    print(
        f"unchanged recrawl: {recrawl_s:7.2f}s  listed {rm.objects_listed}, sampled {rm.objects_sampled}, "
        f"{rm.list_requests} list requests"
    )
    print(f"spark inference:   {spark_s:7.2f}s  (spark.read.json, default samplingRatio=1.0)")
    speedup = spark_s / full_s
    share = recrawl_s / full_s
    print(f"spark / full crawl = {speedup:.1f}x  (goal ≥ 10x: {'met' if speedup >= 10 else 'NOT met'})")
    print(f"recrawl / full crawl = {share:.1%}  (goal ≤ 5%: {'met' if share <= 0.05 else 'NOT met'})")
    return 0 if speedup >= 10 and share <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
