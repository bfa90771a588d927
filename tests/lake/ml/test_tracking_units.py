"""Tracking building blocks without Spark: references, lineage, approval rules, env scoping, stores."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest

from lake.config import Secret, load_settings
from lake.errors import ConfigError
from lake.ml.errors import (
    ApprovalTransitionError,
    InvalidAliasError,
    InvalidModelNameError,
    InvalidModelReferenceError,
    NoLocalUiError,
    UnknownTrackingBackendError,
)
from lake.ml.tracking import (
    ApprovalStatus,
    Lineage,
    ModelRef,
    TableVersion,
    default_tracking_uri,
    open_tracking,
    scoped_environ,
    validate_alias,
    validate_name,
)
from lake.ml.tracking.access import Redactor, artifact_environ
from lake.ml.tracking.approval import Approval, check_transition
from lake.ml.tracking.logs import configure_mlflow_logging
from lake.storage import LocalProfile, S3Profile

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _settings(tmp_path: Path, **overrides: str):  # type: ignore[no-untyped-def]
    return load_settings({"home": str(tmp_path / "home"), **overrides}, project_dir=tmp_path)


def _s3_profile() -> S3Profile:
    return S3Profile(
        name="s3", kind="s3", lake_uri="s3://bucket/lake", endpoint_url="http://127.0.0.1:9",
        region="eu-west-1", access_key_id="AKIAFAKE", secret_access_key=Secret(SECRET),
    )


# -- references and names -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("heart_risk", ModelRef("heart_risk")),
        ("heart_risk:3", ModelRef("heart_risk", version=3)),
        ("heart_risk:latest", ModelRef("heart_risk")),
        ("heart_risk@champion", ModelRef("heart_risk", alias="champion")),
        ("iot.failure-v2@prod_1", ModelRef("iot.failure-v2", alias="prod_1")),
    ],
)
def test_reference_strings_parse(text: str, expected: ModelRef) -> None:
    assert ModelRef.parse(text) == expected
    assert str(ModelRef.parse(text)) == (text if ":latest" not in text else "heart_risk")


@pytest.mark.parametrize("text", ["", "m:", "m:0", "m:x", "m:1@a", "m@", "a/b", ":3", "@alias", "m:-1"])
def test_malformed_references_are_clear_errors(text: str) -> None:
    with pytest.raises(InvalidModelReferenceError, match="expected NAME, NAME:VERSION or NAME@ALIAS"):
        ModelRef.parse(text)


@pytest.mark.parametrize("name", ["a/b", "a:b", "a@b", "-x", "", "a..b", "x" * 201, "a b"])
def test_invalid_model_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidModelNameError, match="invalid model name"):
        validate_name(name)


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12", "3x", "a b", "a:b", ""])
def test_reserved_or_malformed_aliases_are_refused(alias: str) -> None:
    with pytest.raises(InvalidAliasError):
        validate_alias(alias)


def test_good_aliases_pass() -> None:
    assert validate_alias("champion") == "champion"
    assert validate_alias("challenger_2") == "challenger_2"


# -- lineage ----------------------------------------------------------------------------------

def test_lineage_round_trips_through_json() -> None:
    lineage = Lineage(
        "ml.heart_features",
        "SELECT v.* FROM delta.`s3://b/silver/vitals` v",
        [
            TableVersion("silver.vitals", "s3://b/silver/vitals", 12),
            TableVersion("raw.heart", "s3://b/raw/heart", None, ["year=2026/month=11", "year=2026/month=12"]),
        ],
        source_version=None,
    )
    again = Lineage.from_json(lineage.to_json())
    assert again == lineage
    assert isinstance(again.tables, tuple)
    assert again.tables[1].partitions == ("year=2026/month=11", "year=2026/month=12")
    tags = lineage.tags()
    assert tags["lakeforge.lineage.tables"] == "silver.vitals@12,raw.heart[2 partitions]"
    assert tags["lakeforge.lineage.sql_sha256"] == lineage.sql_sha256 and len(lineage.sql_sha256 or "") == 64


def test_lineage_refuses_bad_versions_and_unknown_formats() -> None:
    with pytest.raises(ValueError, match="Delta version"):
        TableVersion("t", "/x", -1)
    with pytest.raises(ValueError, match="source_version"):
        Lineage("t", None, [], source_version="12")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format 99"):
        Lineage.from_dict({"format": 99, "source": "t"})


def test_lineage_tag_stays_bounded_for_many_tables() -> None:
    tables = [TableVersion(f"db.table_{i:04d}", f"/lake/t{i}", i) for i in range(1000)]
    tag = Lineage("db.v", "SELECT 1", tables).tags()["lakeforge.lineage.tables"]
    assert len(tag) < 4200 and tag.endswith("(1000 tables; see lineage.json)")


# -- approval rules ---------------------------------------------------------------------------

P, A, R = ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.REJECTED


@pytest.mark.parametrize(
    ("current", "requested", "comment"),
    [(P, A, None), (P, R, "AUC too low"), (A, R, "leak found"), (R, A, "retrained on fixed data")],
)
def test_allowed_transitions(current: ApprovalStatus, requested: ApprovalStatus, comment: str | None) -> None:
    assert check_transition("m", 1, current, requested, comment) is True


@pytest.mark.parametrize(
    ("current", "requested", "comment", "rule"),
    [
        (P, R, None, "rejection needs a comment"),
        (A, R, "  ", "rejection needs a comment"),
        (R, A, None, "re-approving a rejected version needs a comment"),
        (A, P, "x", "never goes back to review"),
        (R, P, "x", "never goes back to review"),
    ],
)
def test_forbidden_transitions(
    current: ApprovalStatus, requested: ApprovalStatus, comment: str | None, rule: str
) -> None:
    with pytest.raises(ApprovalTransitionError, match=rule) as info:
        check_transition("m", 4, current, requested, comment)
    assert info.value.fields == {
        "name": "m", "version": 4, "current": current.value, "requested": requested.value, "rule": info.value.rule,
    }
    assert pickle.loads(pickle.dumps(info.value)).fields == info.value.fields


def test_same_status_is_a_no_op() -> None:
    assert check_transition("m", 1, A, A, None) is False


def test_approval_tags_round_trip_with_history() -> None:
    first = Approval.initial("alice")
    decided = first.moved_to(R, "bob", "bias in age groups").moved_to(A, "carol", "reweighted")
    again = Approval.from_tags(decided.to_tags())
    assert again.status is A and again.by == "carol" and again.comment == "reweighted"
    assert [e.status for e in again.history] == [P, R, A]
    assert Approval.from_tags({}).status is P


def test_approval_status_parses_loosely_and_lists_valid_values() -> None:
    assert ApprovalStatus.parse("approved") is A and ApprovalStatus.parse("PENDING") is P
    with pytest.raises(Exception, match="PendingManualApproval, Approved, Rejected"):
        ApprovalStatus.parse("maybe")


# -- environment and credentials --------------------------------------------------------------

def test_scoped_environ_sets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEFORGE_T_KEEP", "before")
    monkeypatch.delenv("LAKEFORGE_T_NEW", raising=False)
    with scoped_environ({"LAKEFORGE_T_KEEP": None, "LAKEFORGE_T_NEW": "x"}):
        assert "LAKEFORGE_T_KEEP" not in os.environ and os.environ["LAKEFORGE_T_NEW"] == "x"
    assert os.environ["LAKEFORGE_T_KEEP"] == "before" and "LAKEFORGE_T_NEW" not in os.environ


def test_scoped_environ_restores_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEFORGE_T_NEW", raising=False)
    with pytest.raises(RuntimeError), scoped_environ({"LAKEFORGE_T_NEW": "x"}):
        raise RuntimeError("boom")
    assert "LAKEFORGE_T_NEW" not in os.environ


def test_artifact_environ_for_s3_and_local(tmp_path: Path) -> None:
    env = artifact_environ(_s3_profile())
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["AWS_ACCESS_KEY_ID"] == "AKIAFAKE" and env["AWS_SECRET_ACCESS_KEY"] == SECRET
    assert env["AWS_SESSION_TOKEN"] is None  # a stale token from the environment must not be mixed in
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1" and env["MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE"] == "path"
    local = artifact_environ(LocalProfile(tmp_path))
    assert set(local) == {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"}


def test_redactor_masks_profile_secrets_and_uri_passwords() -> None:
    redact = Redactor.for_store(_s3_profile(), "postgresql://u:dbpa55word@h/db", None)
    text = redact(f"failed with key {SECRET} on postgresql://u:dbpa55word@h/db")
    assert SECRET not in text and "dbpa55word" not in text and text.count("****") == 2
    assert SECRET not in repr(redact)


# -- stores -----------------------------------------------------------------------------------

def test_embedded_store_is_sqlite_under_home_with_artifacts_in_the_lake(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = open_tracking(settings, LocalProfile(tmp_path / "lake"))
    db = settings.home / "mlflow.db"
    assert store.backend == "embedded"
    assert store.tracking_uri == store.registry_uri == default_tracking_uri(settings) == f"sqlite:///{db}"
    assert store.artifact_root == (tmp_path / "lake" / "ml" / "artifacts").as_uri()
    assert store.experiment_location("heart_risk") == store.artifact_root + "/heart_risk"
    assert store.ui_command() == ["mlflow", "ui", "--backend-store-uri", f"sqlite:///{db}"]


def test_s3_lake_artifact_root_and_experiment_names(tmp_path: Path) -> None:
    store = open_tracking(_settings(tmp_path), _s3_profile())
    assert store.artifact_root == "s3://bucket/lake/ml/artifacts"
    with pytest.raises(InvalidModelNameError, match="invalid experiment name"):
        store.experiment_location("../escape")
    assert SECRET not in repr(store) and SECRET not in str(store.describe())
    assert store.ui_environment()["AWS_SECRET_ACCESS_KEY"] == SECRET


def test_uri_backend_from_settings_masks_passwords(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        **{"ml.tracking_uri": "postgresql://ml:dbpa55word@db:5432/mlflow", "ml.registry_uri": "sqlite:////r/reg.db"},
    )
    store = open_tracking(settings, LocalProfile(tmp_path / "lake"))
    assert store.backend == "uri" and store.registry_uri == "sqlite:////r/reg.db"
    assert store.ui_command() == [
        "mlflow", "ui", "--backend-store-uri", "postgresql://ml:****@db:5432/mlflow",
        "--registry-store-uri", "sqlite:////r/reg.db",
    ]
    assert "dbpa55word" in " ".join(store.ui_command(reveal=True))
    assert "dbpa55word" not in str(store.describe()) and "dbpa55word" not in repr(store)


def test_a_tracking_server_has_no_local_ui(tmp_path: Path) -> None:
    store = open_tracking(_settings(tmp_path, **{"ml.tracking_uri": "http://127.0.0.1:5000"}), LocalProfile(tmp_path))
    with pytest.raises(NoLocalUiError, match="open http://127.0.0.1:5000 in a browser"):
        store.ui_command()


def test_uri_backend_without_uri_and_unknown_backend_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[ml\] tracking_uri.*\(ml.tracking_uri\)"):
        open_tracking(_settings(tmp_path), LocalProfile(tmp_path), backend="uri")
    with pytest.raises(UnknownTrackingBackendError, match="valid backends: embedded, uri"):
        open_tracking(_settings(tmp_path), LocalProfile(tmp_path), backend="glue")


def test_mlflow_logs_go_to_a_file_and_errors_still_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "mlflow.log"
    configure_mlflow_logging(log_file)
    configure_mlflow_logging(log_file)  # idempotent: one file handler, not two
    logger = logging.getLogger("mlflow.some.module")
    logger.info("chatty detail")
    logger.warning("a hint")
    logger.error("a real failure")
    for handler in logging.getLogger("mlflow").handlers:
        handler.flush()
    err = capsys.readouterr().err
    assert "chatty detail" not in err and "a hint" not in err
    assert "a real failure" in err
    written = log_file.read_text()
    assert written.count("chatty detail") == 1 and "a hint" in written and "a real failure" in written
