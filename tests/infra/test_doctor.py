"""``lake doctor`` checks (without Spark; the Spark check runs in the CLI test)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.doctor import CHECK_NAMES, doctor_ok, run_doctor
from infra.services.moto import start_moto
from infra.services.process import free_port
from lake.config import load_settings

FAKE_SECRET = "doctor-fake-secret-9f8e7d6c5b4a"


def _by_name(checks):  # type: ignore[no-untyped-def]
    return {c.name: c for c in checks}


def test_local_profile_passes_without_services(lake_home: Path) -> None:
    checks = run_doctor(load_settings(), spark=False)
    assert [c.name for c in checks] == list(CHECK_NAMES)
    by = _by_name(checks)
    assert by["java"].status == "pass" and by["java"].data["major"] >= 17
    assert by["jars"].status == "pass"
    assert by["profile"].status == "pass" and by["profile"].data["kind"] == "local"
    assert by["endpoint"].status == "pass"
    assert by["moto"].status == "warn"
    assert by["spark"].status == "skip"
    assert doctor_ok(checks)


def test_missing_jars_fail(lake_home: Path, tmp_path: Path) -> None:
    settings = load_settings({"jars_dir": str(tmp_path / "no-jars")})
    by = _by_name(run_doctor(settings, spark=True))
    assert by["jars"].status == "fail"
    assert "missing" in by["jars"].detail
    assert by["spark"].status == "skip"  # no JVM is started without the JARs
    assert not doctor_ok(by.values())


def test_moto_profile_without_lake_up_fails_with_a_hint(lake_home: Path) -> None:
    by = _by_name(run_doctor(load_settings({"profile": "moto"}), spark=False))
    assert by["profile"].status == "fail" and "lake up" in by["profile"].detail
    assert by["moto"].status == "fail"
    assert by["endpoint"].status == "skip"


def test_moto_profile_with_a_missing_bucket_names_it(lake_home: Path) -> None:
    start_moto(lake_home)
    by = _by_name(run_doctor(load_settings({"profile": "moto"}), spark=False))
    assert by["moto"].status == "pass"
    assert by["endpoint"].status == "fail"
    assert "bucket lakeforge does not exist" in by["endpoint"].detail


def test_unreachable_endpoint_fails_and_never_shows_the_secret(lake_home: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(
        {
            "profile": "s3",
            "lake": "s3://some-bucket/lake",
            "profiles.s3.endpoint_url": endpoint,
            "profiles.s3.access_key_id": "AKIDEXAMPLE",
            "profiles.s3.secret_access_key": FAKE_SECRET,
        }
    )
    checks = run_doctor(settings, spark=False)
    by = _by_name(checks)
    assert by["profile"].status == "pass"
    assert by["profile"].data["secret_access_key"].startswith("****")
    assert by["endpoint"].status == "fail" and endpoint in by["endpoint"].detail
    assert not doctor_ok(checks)
    dumped = json.dumps([c.as_dict() for c in checks])
    assert FAKE_SECRET not in dumped
