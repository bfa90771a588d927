"""``python -m lake.ml.serving``: the endpoint service (same as ``python -m lake.ml.serving.server``)."""

from __future__ import annotations

import sys

from lake.ml.serving.server import main

sys.exit(main())
