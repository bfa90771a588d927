"""Artifact access on the lake's storage, and keeping credentials out of what MLflow records.

MLflow's S3 artifact repository takes its endpoint and credentials from the process
environment only. :func:`scoped_environ` sets them for the duration of one call, under a
process-wide lock, and restores the previous values afterwards; nothing is printed or logged.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from lake.storage import StorageProfile, uris

__all__ = ["Redactor", "artifact_environ", "scoped_environ"]

_ENV_LOCK = threading.RLock()
_MASK = "****"


@contextmanager
def scoped_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (``None``: unset) environment variables while the block runs, then restore them.

    The lock is re-entrant and held for the whole block, so concurrent callers never see each
    other's values; threads that read the environment without it are not protected.
    """
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        try:
            for name, value in values.items():
                _set(name, value)
            yield
        finally:
            for name, value in saved.items():
                _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def artifact_environ(profile: StorageProfile) -> dict[str, str | None]:
    """The variables MLflow's artifact repositories need to reach ``profile``'s lake.

    Holds credentials: pass it to :func:`scoped_environ` or a child process, never print it.
    Credentials the profile does not set (AWS instance roles, ``AWS_PROFILE``) are left alone.
    """
    env: dict[str, str | None] = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    if not uris.is_s3(profile.lake_uri):
        return env
    spec: dict[str, Any] = profile.task_spec()
    env["MLFLOW_S3_ENDPOINT_URL"] = spec.get("endpoint_url") or None
    env["AWS_DEFAULT_REGION"] = spec.get("region") or None
    env["MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE"] = "path" if spec.get("path_style", True) else "virtual"
    if spec.get("access_key_id"):
        env["AWS_ACCESS_KEY_ID"] = spec["access_key_id"]
        env["AWS_SECRET_ACCESS_KEY"] = spec.get("secret_access_key")
        env["AWS_SESSION_TOKEN"] = spec.get("session_token")
    return env


@contextmanager
def artifact_access(profile: StorageProfile) -> Iterator[None]:
    """MLflow artifact calls inside this block reach ``profile``'s lake with its credentials."""
    with scoped_environ(artifact_environ(profile)):
        if uris.is_s3(profile.lake_uri):
            _forget_cached_s3_clients()
        yield


def _forget_cached_s3_clients() -> None:
    # MLflow caches boto3 clients keyed by endpoint but not by credentials taken from the
    # environment; drop them so a client built for another profile's credentials is not reused.
    from mlflow.store.artifact import s3_artifact_repo

    cached = getattr(s3_artifact_repo, "_cached_get_s3_client", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


class Redactor:
    """Replaces known secret values with ``****`` in text MLflow is about to record."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    @classmethod
    def for_store(cls, profile: StorageProfile, *store_uris: str | None) -> Redactor:
        spec = profile.task_spec()
        secrets: list[str | None] = [spec.get("secret_access_key"), spec.get("session_token")]
        for uri in store_uris:
            if uri:
                secrets.append(urlsplit(uri).password)
        return cls(secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
