"""Where the running ``lake serve`` endpoints of a home are: their state-file entries ``endpoint:<name>``.

The service itself lives in ``infra.services.model_server``; SQL (Athena's ``USING EXTERNAL
FUNCTION … SAGEMAKER 'name'``) only needs to find a running endpoint's URL, which this module
reads from the state file (the pid alive and ``GET /ping`` answering).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from catalog.inference.errors import EndpointUnavailableError

__all__ = ["ENTRY_PREFIX", "EndpointUnavailableError", "endpoint_entries", "endpoint_url"]

ENTRY_PREFIX = "endpoint:"


def endpoint_entries(home: Path) -> dict[str, dict[str, Any]]:
    """``{name: entry}`` of every recorded endpoint (live or not)."""
    from lake.state import ServiceState

    return {key[len(ENTRY_PREFIX):]: entry for key, entry in ServiceState(home).read().items()
            if key.startswith(ENTRY_PREFIX) and isinstance(entry, dict)}


def endpoint_url(home: Path, name: str, *, timeout: float = 2.0) -> str:
    """The base URL of running endpoint ``name`` (its pid alive and ``/ping`` answering ``ok``)."""
    from lake.state import pid_alive

    entries = endpoint_entries(home)
    live = sorted(n for n, e in entries.items() if pid_alive(e.get("pid")))
    entry = entries.get(name)
    if entry is None or not pid_alive(entry.get("pid")):
        raise EndpointUnavailableError(name=name, reason="not recorded in the state file" if entry is None
                                       else f"its process {entry.get('pid')} is gone", known=live)
    url = str(entry.get("url"))
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=timeout) as resp:
            answer = json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise EndpointUnavailableError(name=name, reason=f"{url}/ping does not answer: {exc}", known=live) from None
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        raise EndpointUnavailableError(name=name, reason=f"{url}/ping answers {answer!r}", known=live)
    return url
