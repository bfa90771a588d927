"""Finding Java and reading its version."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import JavaMissingError
from infra.java import MIN_JAVA, java_info, parse_java_version, require_java


@pytest.mark.parametrize(
    ("banner", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_292"', 8),
        ('openjdk version "11.0.2-ea" 2018-10-16', 11),
        ('openjdk version "25-ea" 2025-09-16', 25),
    ],
)
def test_parse_java_version_reads_the_major_version(banner: str, major: int) -> None:
    assert parse_java_version(banner) == major


def test_parse_java_version_returns_none_for_unrelated_text() -> None:
    assert parse_java_version("bash: java: command not found") is None


def test_java_on_this_machine_is_recent_enough() -> None:
    info = require_java()
    assert info.major >= MIN_JAVA
    assert info.executable.exists()
    assert "version" in info.banner


def test_java_home_without_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(JavaMissingError, match="JAVA_HOME/bin/java is not executable"):
        java_info()


def test_old_java_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'java version \"1.8.0_292\"' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(JavaMissingError, match="is Java 8"):
        require_java()
