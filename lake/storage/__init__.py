"""Storage profiles: where the lake lives and how each engine reaches it.

A registry maps profile kinds to loaders; ``[profiles.NAME]`` in ``lakeforge.toml`` may
define further named profiles with ``kind = "s3"`` (e.g. MinIO) or ``kind = "local"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lake.config import Secret, Settings
from lake.state import ServiceState
from lake.storage.base import (
    StorageError,
    StorageProfile,
    StorageUnreachableError,
    UnknownProfileError,
)
from lake.storage.local import LocalProfile
from lake.storage.s3 import S3Profile, filesystem_from_spec

__all__ = [
    "PROFILE_KINDS",
    "LocalProfile",
    "S3Profile",
    "StorageError",
    "StorageProfile",
    "StorageUnreachableError",
    "UnknownProfileError",
    "filesystem_from_spec",
    "get_profile",
    "moto_profile",
]

MOTO_CREDENTIALS = ("testing", "testing")
DEFAULT_MOTO_LAKE = "s3://lakeforge"


def _secret(value: Any) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(str(value))


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def moto_profile(endpoint: str, lake: str | None = None, *, name: str = "moto") -> S3Profile:
    """An S3 profile on a moto server at ``endpoint``."""
    return S3Profile(
        name=name,
        kind="moto",
        lake_uri=lake or DEFAULT_MOTO_LAKE,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id=MOTO_CREDENTIALS[0],
        secret_access_key=Secret(MOTO_CREDENTIALS[1]),
        path_style=True,
    )


def _load_local(name: str, settings: Settings, opts: Mapping[str, Any]) -> StorageProfile:
    lake = settings.lake or opts.get("lake") or "lakehouse"
    root = Path(str(lake))
    if not root.is_absolute():
        root = settings.project_dir / root
    endpoint = opts.get("endpoint_url") or ServiceState(settings.home).moto_endpoint()
    return LocalProfile(root, name=name, services_endpoint=endpoint)


def _load_moto(name: str, settings: Settings, opts: Mapping[str, Any]) -> StorageProfile:
    endpoint = opts.get("endpoint_url") or ServiceState(settings.home).moto_endpoint()
    if not endpoint:
        raise StorageError(
            f"profile {name!r} needs the local moto server: run `lake up` first "
            f"(no live entry in {ServiceState(settings.home).path})"
        )
    return moto_profile(str(endpoint), settings.lake or opts.get("lake"), name=name)


def _load_s3(name: str, settings: Settings, opts: Mapping[str, Any]) -> StorageProfile:
    lake = settings.lake or opts.get("lake")
    if not lake:
        raise StorageError(
            f"profile {name!r} needs a lake URI: pass --lake s3://bucket/prefix, set "
            f"LAKEFORGE_LAKE or profiles.{name}.lake"
        )
    return S3Profile(
        name=name,
        kind="s3",
        lake_uri=str(lake),
        endpoint_url=opts.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL"),
        region=str(opts.get("region") or os.environ.get("AWS_REGION") or "us-east-1"),
        access_key_id=opts.get("access_key_id") or os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_access_key=_secret(
            opts.get("secret_access_key") or os.environ.get("AWS_SECRET_ACCESS_KEY")
        ),
        session_token=_secret(opts.get("session_token") or os.environ.get("AWS_SESSION_TOKEN")),
        path_style=_as_bool(opts.get("path_style"), True),
    )


ProfileLoader = Callable[[str, Settings, Mapping[str, Any]], StorageProfile]
PROFILE_KINDS: dict[str, ProfileLoader] = {
    "local": _load_local,
    "moto": _load_moto,
    "s3": _load_s3,
}


def get_profile(settings: Settings, name: str | None = None) -> StorageProfile:
    """Build the storage profile ``name`` (the active one by default) from settings."""
    name = name or settings.profile
    opts = settings.profile_options(name)
    kind = str(opts.get("kind") or name)
    loader = PROFILE_KINDS.get(kind)
    if loader is None:
        known = sorted({*PROFILE_KINDS, *settings.profiles})
        raise UnknownProfileError(name, known)
    return loader(name, settings, opts)
