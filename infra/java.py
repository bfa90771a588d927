"""Find the Java runtime Spark will use and read its major version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra.errors import JavaMissingError

__all__ = ["MIN_JAVA", "JavaInfo", "find_java", "java_info", "parse_java_version", "require_java"]

MIN_JAVA = 17
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


@dataclass(frozen=True)
class JavaInfo:
    """The ``java`` executable, its major version and the banner line it printed."""

    executable: Path
    major: int
    banner: str


def find_java() -> Path | None:
    """``$JAVA_HOME/bin/java`` when set (as ``spark-class`` does), else ``java`` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        return candidate if os.access(candidate, os.X_OK) else None
    found = shutil.which("java")
    return Path(found) if found else None


def parse_java_version(text: str) -> int | None:
    """The major version in ``java -version`` output (``1.8.0_x`` → 8, ``17.0.15`` → 17)."""
    match = _VERSION.search(text)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def java_info() -> JavaInfo:
    """Run ``java -version``; raise :class:`JavaMissingError` if there is no usable Java."""
    java = find_java()
    if java is None:
        where = "JAVA_HOME/bin/java is not executable" if os.environ.get("JAVA_HOME") else ("no `java` on PATH")
        raise JavaMissingError(where)
    try:
        proc = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaMissingError(f"{java} -version failed: {exc}") from None
    output = proc.stderr + proc.stdout
    major = parse_java_version(output)
    if major is None:
        raise JavaMissingError(f"cannot read the version printed by {java} -version")
    banner = next((line.strip() for line in output.splitlines() if "version" in line), "")
    return JavaInfo(executable=java, major=major, banner=banner)


def require_java(minimum: int = MIN_JAVA) -> JavaInfo:
    """:func:`java_info`, failing when the major version is below ``minimum``."""
    info = java_info()
    if info.major < minimum:
        raise JavaMissingError(f"{info.executable} is Java {info.major} ({info.banner})")
    return info
