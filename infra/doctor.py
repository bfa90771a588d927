"""``lake doctor``: is this machine ready to run lakeforge?

Checks Java, the S3A JARs, the active profile (credentials masked), the lake endpoint, the
moto service and whether Spark starts and reaches the lake. Every check reports
``pass``, ``warn``, ``fail`` or ``skip`` with a one-line detail; any ``fail`` fails the run.
Known credential values are scrubbed from every detail before it is returned.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.child_env import child_env
from infra.errors import JavaMissingError
from infra.java import MIN_JAVA, require_java
from infra.services.moto import moto_status
from infra.spark_probe import RESULT_PREFIX
from lake.config import Secret, Settings, is_secret_key
from lake.errors import LakeforgeError
from lake.spark.jars import verify_jars
from lake.storage import StorageProfile, get_profile

__all__ = ["CHECK_NAMES", "Check", "CheckStatus", "doctor_ok", "run_doctor"]

CheckStatus = Literal["pass", "warn", "fail", "skip"]
CHECK_NAMES = ("java", "jars", "profile", "endpoint", "moto", "spark", "spark_lake")


@dataclass(frozen=True)
class Check:
    """One doctor check: its name, outcome and a one-line detail (credentials masked)."""

    name: str
    status: CheckStatus
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "data": self.data}


def doctor_ok(checks: Iterable[Check]) -> bool:
    """True when no check failed."""
    return all(check.status != "fail" for check in checks)


def _secrets(settings: Settings, profile: StorageProfile | None) -> list[str]:
    values: set[str] = set()
    for opts in settings.profiles.values():
        for key, value in opts.items():
            if isinstance(value, Secret):
                values.add(value.reveal())
            elif is_secret_key(key) and isinstance(value, str):
                values.add(value)
    if profile is not None:
        for key, value in profile.storage_options().items():
            if is_secret_key(key):
                values.add(value)
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "****")
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _check_java() -> Check:
    try:
        info = require_java(MIN_JAVA)
    except JavaMissingError as exc:
        return Check("java", "fail", str(exc))
    return Check(
        "java",
        "pass",
        f"Java {info.major} at {info.executable} ({info.banner})",
        {"major": info.major, "executable": str(info.executable)},
    )


def _check_jars(settings: Settings) -> Check:
    status = verify_jars(settings.jars_dir)
    summary = ", ".join(f"{name}: {state}" for name, state in status.items())
    ok = all(state == "ok" for state in status.values())
    detail = f"{summary} in {settings.jars_dir}"
    if not ok:
        detail += " (the next Spark start downloads them; or run `python -m lake.spark.jars DIR`)"
    data = {"dir": str(settings.jars_dir), **status}
    return Check("jars", "pass" if ok else "fail", detail, data)


def _check_profile(settings: Settings) -> tuple[Check, StorageProfile | None]:
    try:
        profile = get_profile(settings)
    except LakeforgeError as exc:
        return Check("profile", "fail", str(exc)), None
    detail = f"{profile.name} ({profile.kind}), lake {profile.lake_uri}"
    return Check("profile", "pass", detail, profile.describe()), profile


def _check_endpoint(profile: StorageProfile | None) -> Check:
    if profile is None:
        return Check("endpoint", "skip", "no usable profile")
    where = getattr(profile, "endpoint_url", None) or profile.lake_uri
    try:
        profile.check()
    except LakeforgeError as exc:
        return Check("endpoint", "fail", str(exc), {"endpoint": where})
    missing = _missing_bucket(profile)
    if missing:
        hint = " (`lake up` creates it for the moto profile)" if profile.kind == "moto" else ""
        return Check(
            "endpoint",
            "fail",
            f"{where} reachable, but bucket {missing} does not exist{hint}",
            {"endpoint": where, "bucket": missing},
        )
    return Check("endpoint", "pass", f"{where} reachable", {"endpoint": where})


def _missing_bucket(profile: StorageProfile) -> str | None:
    """The lake bucket's name when the endpoint says it does not exist."""
    bucket = getattr(profile, "bucket", None)
    client = getattr(profile, "client", None)
    if not bucket or client is None:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client().head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        return str(bucket) if code in ("404", "NoSuchBucket", "NotFound") else None
    except BotoCoreError:
        return None
    return None


def _check_moto(settings: Settings, profile: StorageProfile | None) -> Check:
    entry = moto_status(settings.home)
    kind = profile.kind if profile is not None else (settings.profile_options().get("kind") or settings.profile)
    needed = kind == "moto"
    if entry is None:
        status: CheckStatus = "fail" if needed else "warn"
        return Check("moto", status, "not running (start it with `lake up`)")
    data = {k: entry.get(k) for k in ("pid", "endpoint", "started_at", "log", "status")}
    if entry["status"] == "running":
        return Check("moto", "pass", f"running at {entry['endpoint']} (pid {entry['pid']})", data)
    status = "fail" if needed else "warn"
    return Check("moto", status, f"{entry['status']} entry (pid {entry.get('pid')}); `lake up` replaces it", data)


def _run_probe(settings: Settings, with_lake: bool, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "infra.spark_probe", *(["--lake"] if with_lake else [])]
    try:
        proc = subprocess.run(
            cmd,
            env=child_env(settings),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    errors = [line.strip() for line in proc.stderr.splitlines() if "rror" in line]
    last = errors[-1] if errors else (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"probe exited with code {proc.returncode}: {last[:300]}"}


def _check_spark(settings: Settings, prerequisites_ok: bool, with_lake: bool, timeout: float) -> list[Check]:
    if not prerequisites_ok:
        reason = "needs Java and verified S3A JARs"
        return [Check("spark", "skip", reason), Check("spark_lake", "skip", reason)]
    result = _run_probe(settings, with_lake, timeout)
    if "error" in result:
        return [
            Check("spark", "fail", f"Spark did not start: {result['error']}"),
            Check("spark_lake", "skip", "Spark did not start"),
        ]
    spark = Check(
        "spark",
        "pass",
        f"Spark {result['spark_version']} on {result['master']}: test job ok",
        {"version": result["spark_version"], "master": result["master"]},
    )
    lake = result.get("lake")
    if lake is None:
        return [spark, Check("spark_lake", "skip", "lake endpoint not reachable")]
    if "error" in lake:
        return [spark, Check("spark_lake", "fail", f"{lake['uri']}: {lake['error']}", lake)]
    detail = f"wrote and read {lake['rows']} rows at {lake['uri']}"
    return [spark, Check("spark_lake", "pass", detail, lake)]


def run_doctor(settings: Settings, *, spark: bool = True, spark_timeout: float = 300.0) -> list[Check]:
    """Run every check; Spark ones only when ``spark`` (they start a JVM, ~10-20 s)."""
    java = _check_java()
    jars = _check_jars(settings)
    profile_check, profile = _check_profile(settings)
    endpoint = _check_endpoint(profile)
    checks = [java, jars, profile_check, endpoint, _check_moto(settings, profile)]
    if spark:
        ready = java.status == "pass" and jars.status == "pass" and profile is not None
        checks += _check_spark(settings, ready, endpoint.status == "pass", spark_timeout)
    else:
        checks += [Check("spark", "skip", "skipped (--no-spark)"), Check("spark_lake", "skip", "skipped (--no-spark)")]
    secrets = _secrets(settings, profile)
    return [Check(c.name, c.status, _scrub(c.detail, secrets), _scrub(c.data, secrets)) for c in checks]
