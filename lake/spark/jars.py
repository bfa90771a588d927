"""The S3A JARs, taken from the PyPI sdist ``sagemaker-pyspark`` and verified by SHA-256.

Maven is unreachable, so ``hadoop-aws`` and the AWS SDK bundle come from that sdist, fetched
with ``pip download --no-deps`` (it pins pyspark 3.3 and must never be installed) and
extracted into a project-local cache. Later runs reuse the cache.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from lake.spark.errors import JarError

__all__ = ["JAR_SHA256", "SOURCE_SDIST", "JarError", "ensure_s3a_jars", "verify_jars"]

SOURCE_SDIST = "sagemaker-pyspark==1.4.5"
JAR_SHA256: dict[str, str] = {
    "hadoop-aws-3.3.1.jar": "6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e",
    "aws-java-sdk-bundle-1.11.901.jar": (
        "b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead"
    ),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_jars(cache: Path) -> dict[str, str]:
    """Map each JAR name to ``ok``, ``missing`` or ``checksum mismatch``."""
    status: dict[str, str] = {}
    for name, expected in JAR_SHA256.items():
        path = cache / name
        if not path.is_file():
            status[name] = "missing"
        elif _sha256(path) != expected:
            status[name] = "checksum mismatch"
        else:
            status[name] = "ok"
    return status


def _fetch(cache: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lakeforge-jars-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--quiet", "-d", tmp, SOURCE_SDIST]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise JarError(f"cannot download {SOURCE_SDIST}: {last}")
        sdists = list(Path(tmp).glob("sagemaker_pyspark-*.tar.gz"))
        if not sdists:
            raise JarError(f"pip download of {SOURCE_SDIST} produced no sdist")
        cache.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdists[0], "r:gz") as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if name in JAR_SHA256 and member.isfile():
                    src = tar.extractfile(member)
                    assert src is not None
                    partial = cache / f".{name}.part"
                    with partial.open("wb") as out:
                        shutil.copyfileobj(src, out)
                    partial.replace(cache / name)


def ensure_s3a_jars(cache: Path) -> list[Path]:
    """Return the verified JAR paths, downloading them into ``cache`` when needed."""
    status = verify_jars(cache)
    if any(v != "ok" for v in status.values()):
        _fetch(cache)
        status = verify_jars(cache)
        bad = {k: v for k, v in status.items() if v != "ok"}
        if bad:
            raise JarError(f"S3A JARs in {cache} failed verification: {bad}")
    return [cache / name for name in JAR_SHA256]


if __name__ == "__main__":  # pragma: no cover - used by the set-up scripts
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".lakeforge/jars")
    for jar in ensure_s3a_jars(target):
        print(jar)
