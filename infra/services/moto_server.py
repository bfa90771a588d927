"""The moto server process started by ``lake up`` (S3, Kinesis, Glue, DynamoDB, ...).

Run as ``python -m infra.services.moto_server --host 127.0.0.1 --port 0 --ready-file F``: it binds
(port 0 = a free port), writes the bound port to ``F`` and serves until SIGTERM/SIGINT — or,
with ``--exit-on-stdin-eof``, until the parent closes its stdin (tests, benchmarks, the demo).
moto keeps its state in memory only; delta-rs holds the GIL while it waits on HTTP, so the
server must never share a process with a delta-rs client.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["main"]

_log = logging.getLogger("lakeforge.moto")


def _write_ready(path: Path, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(str(port))
    os.replace(tmp, path)


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _shutdown_on_eof(server: Any) -> None:
    sys.stdin.read()
    server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.services.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--home", default="", help="lakeforge home (identifies the process)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="serve until the parent closes our stdin (a child tied to its parent)")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # it logs every request otherwise

    from infra.services.moto_fidelity import patch_moto_performance, patch_moto_resharding

    patch_moto_resharding()  # split/merge keep records where Kinesis keeps them
    patch_moto_performance()  # constant-time puts and GetRecords per shard
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    try:
        server = make_server(
            args.host,
            args.port,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
    except OSError as exc:
        _log.error("cannot bind %s:%s: %s", args.host, args.port, exc.strerror or exc)
        return 2
    port = int(server.server_address[1])
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.exit_on_stdin_eof:
        threading.Thread(target=_shutdown_on_eof, args=(server,), daemon=True).start()
    _write_ready(args.ready_file, port)
    _log.info("moto server listening on http://%s:%d (pid %d)", args.host, port, os.getpid())
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        _log.info("moto server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
