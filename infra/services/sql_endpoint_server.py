"""The SQL endpoint process: a PySpark driver running Spark's Thrift server over the catalog.

Run by ``lake sql-server`` as ``python -m infra.services.sql_endpoint_server --home=H --port N …``:

1. builds a SparkSession with Hive support whose metastore, warehouse and scratch space live
   under ``<home>/sql-server`` (never the working directory), with the storage profile's conf
   (S3A for moto/S3 lakes) from :func:`lake.spark.session.spark_conf`;
2. exposes every catalog table and view (:class:`~catalog.sql.endpoint_expose.CatalogExposer`);
3. with ``--read-only`` installs the guard (:mod:`catalog.sql.endpoint_guard`);
4. starts ``HiveThriftServer2`` on 127.0.0.1 through py4j (``startWithContext``);
5. marks itself ``running`` in the state file and waits: SIGHUP → forced refresh, every
   ``--refresh-interval`` seconds → refresh of what changed, SIGTERM/SIGINT → clean stop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from infra.services.process import LOOPBACK, port_free, utc_now, wait_for
from infra.services.sql_endpoint import (
    REFRESH_FILE,
    SqlEndpoint,
    endpoint_dir,
    jdbc_url,
    update_entry,
)
from lake.config import Settings, load_settings
from lake.state import pid_alive

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from catalog.sql.endpoint_expose import CatalogExposer, RefreshReport
    from lake.storage import StorageProfile

__all__ = ["build_endpoint_session", "endpoint_conf", "main", "serve"]

APP_NAME = "lakeforge-sql-server"


def _log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} sql-server: {message}", flush=True)


def endpoint_conf(settings: Settings, profile: StorageProfile, port: int) -> dict[str, str]:
    """Spark conf added for the endpoint: Hive catalog under ``<home>/sql-server``, Thrift on loopback."""
    from lake.spark.session import spark_conf

    base = endpoint_dir(settings.home)
    tmp = base / "tmp"
    java_opts = " ".join([
        spark_conf(settings, profile).get("spark.driver.extraJavaOptions", ""),
        f"-Dderby.system.home={base}",
        f"-Djava.io.tmpdir={tmp}",
        f"-Dlakeforge.home={settings.home}",
        "-Dlakeforge.service=sql-server",
    ]).strip()
    hive = {
        "javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={base / 'metastore_db'};create=true",
        "hive.metastore.warehouse.dir": str(base / "warehouse"),
        "hive.server2.thrift.port": str(port),
        "hive.server2.thrift.bind.host": LOOPBACK,
        "hive.server2.transport.mode": "binary",
        "hive.server2.authentication": "NONE",
        "hive.server2.enable.doAs": "false",
        "hive.server2.logging.operation.log.location": str(base / "operation_logs"),
        "hive.exec.local.scratchdir": str(tmp / "hive-local"),
        "hive.exec.scratchdir": str(tmp / "hive-scratch"),
        "hive.downloaded.resources.dir": str(tmp / "resources"),
    }
    conf = {f"spark.hadoop.{k}": v for k, v in hive.items()}
    conf.update({
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        "spark.sql.hive.thriftServer.singleSession": "false",
        "spark.driver.extraJavaOptions": java_opts,
    })
    return conf


def build_endpoint_session(settings: Settings, profile: StorageProfile, port: int) -> SparkSession:
    """The endpoint's SparkSession (settings' own ``spark.conf`` entries still win)."""
    from lake.spark.session import build_spark

    base = endpoint_dir(settings.home)
    for sub in ("hive-local", "hive-scratch", "resources"):
        (base / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = {**endpoint_conf(settings, profile, port), **settings.spark.conf}
    tuned = replace(settings, spark=replace(settings.spark, conf=MappingProxyType(conf)))
    return build_spark(tuned, profile, app_name=APP_NAME)


class _Signals:
    """SIGTERM/SIGINT ask to stop, SIGHUP asks for a refresh; the main loop polls both."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.refresh = threading.Event()
        self.install()

    def install(self) -> None:
        """(Re)install the handlers: creating a SparkContext replaces the SIGINT handler."""
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        signal.signal(signal.SIGHUP, lambda *_: self.refresh.set())


def _write_report(home: Path, data: dict[str, Any]) -> None:
    path = endpoint_dir(home) / REFRESH_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _refresh(home: Path, exposer: CatalogExposer, *, force: bool) -> RefreshReport:
    """Refresh, then publish the report (file + state entry); a failed refresh is published too."""
    try:
        report = exposer.refresh(force=force)
    except Exception as exc:
        failed = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        _write_report(home, {"seq": exposer.seq, "at": utc_now(), "failed": failed})
        update_entry(home, os.getpid(), refresh_seq=exposer.seq, refresh_failed=failed)
        raise
    _write_report(home, {**report.to_json(), "objects": exposer.listing()})
    update_entry(
        home, os.getpid(), refresh_seq=report.seq, refreshed_at=report.at, tables=report.tables,
        views=report.views, errors=len(report.errors), refresh_failed=None,
    )
    changes = len(report.added) + len(report.changed) + len(report.removed)
    if changes or report.errors or force:
        _log(f"refresh #{report.seq} ({report.seconds:.1f} s): {len(report.added)} added, "
             f"{len(report.changed)} changed, {len(report.removed)} removed, {report.unchanged} unchanged")
        for name, error in sorted(report.errors.items()):
            _log(f"  {name}: {error}")
    return report


def serve(settings: Settings, *, port: int, read_only: bool = False, refresh_interval: float = 60.0) -> int:
    """Run the endpoint until SIGTERM/SIGINT; returns the process exit code."""
    from catalog.sql.endpoint_expose import CatalogExposer
    from catalog.stores import get_catalog
    from lake.storage import get_profile

    home = settings.home
    signals = _Signals()
    pid = os.getpid()
    update_entry(home, pid, port=port, host=LOOPBACK, jdbc_url=jdbc_url(port), read_only=read_only,
                 refresh_interval=refresh_interval, status="starting", started_at=utc_now())
    profile = get_profile(settings)
    _log(f"starting on {LOOPBACK}:{port} (profile {profile.name}, lake {profile.lake_uri}, "
         f"catalog {settings.catalog_store}{', read-only' if read_only else ''})")
    spark: SparkSession | None = None
    server = None
    try:
        spark = build_endpoint_session(settings, profile, port)
        signals.install()
        jvm: Any = spark._jvm
        jvm_pid = int(jvm.java.lang.ProcessHandle.current().pid())
        update_entry(home, pid, jvm_pid=jvm_pid)
        exposer = CatalogExposer(spark, lambda: get_catalog(settings, profile), profile)
        _refresh(home, exposer, force=True)
        from catalog.sql.endpoint_ml import install_ml_functions, settings_overrides

        install_ml_functions(spark, settings_overrides(settings))  # ML.PREDICT / ml_predict in JDBC sessions
        if read_only:
            from catalog.sql.endpoint_guard import install_read_only_guard

            install_read_only_guard(spark)
        if signals.stop.is_set():
            return 0
        if not port_free(port):
            raise RuntimeError(f"port {port} on {LOOPBACK} was taken while the endpoint started")
        thrift = jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
        server = thrift.startWithContext(spark._jsparkSession.sqlContext())
        if not wait_for(lambda: not port_free(port), 120.0, interval=0.2):
            raise RuntimeError(f"the Thrift server did not listen on {LOOPBACK}:{port} within 120 s")
        update_entry(home, pid, status="running", ready_at=utc_now())
        _log(f"ready: {jdbc_url(port)}")
        return _wait(home, exposer, signals, refresh_interval, jvm_pid)
    finally:
        if spark is not None:
            _shutdown(spark, server)
        SqlEndpoint(home).forget(pid)


def _wait(home: Path, exposer: CatalogExposer, signals: _Signals, interval: float, jvm_pid: int) -> int:
    """Serve until asked to stop, refreshing on SIGHUP and every ``interval`` seconds."""
    next_periodic = time.monotonic() + interval
    while not signals.stop.is_set():
        forced = signals.refresh.is_set()
        if forced or (interval and time.monotonic() >= next_periodic):
            signals.refresh.clear()
            try:
                _refresh(home, exposer, force=forced)
            except Exception as exc:  # a catalog outage must not take the endpoint down
                _log(f"refresh failed, keeping what is exposed: {type(exc).__name__}: {exc}")
            next_periodic = time.monotonic() + interval
        if not pid_alive(jvm_pid):
            _log("the Spark JVM exited; stopping")
            return 1
        signals.stop.wait(0.5)
    _log("stopping")
    return 0


def _shutdown(spark: SparkSession, server: Any) -> None:
    with contextlib.suppress(Exception):
        if server is not None:
            server.stop()
    with contextlib.suppress(Exception):
        spark.stop()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name if __spec__ else 'endpoint_server'}")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--refresh-interval", type=float, default=60.0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a settings override (profile, lake, spark.master …)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    settings = load_settings(overrides)
    if settings.home.resolve() != args.home.resolve():
        print(f"error: --home {args.home} differs from the settings' home {settings.home}", file=sys.stderr)
        return 2
    try:
        return serve(settings, port=args.port, read_only=args.read_only,
                     refresh_interval=args.refresh_interval)
    except Exception:  # the log is where a detached server reports
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
