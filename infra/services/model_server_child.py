"""The process of one ``lake serve`` endpoint.

    python -m infra.services.model_server_child --home=H --endpoint=N -- SERVER-ARGS


``--home`` and ``--endpoint`` only mark the command line (so a stop signals exactly this home's
endpoint of that name); everything after ``--`` goes to :func:`lake.ml.serving.server.main`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args:
        print("usage: python -m infra.services.model_server_child --home=H --endpoint=N -- SERVER-ARGS",
              file=sys.stderr)
        return 2
    rest = args[args.index("--") + 1:]
    from lake.ml.serving.server import main as serve_main

    return serve_main(rest)


if __name__ == "__main__":
    sys.exit(main())
