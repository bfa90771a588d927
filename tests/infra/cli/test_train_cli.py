"""``lake train``, ``lake model …`` and ``jobs/train.py`` on a local lake (in process, the session's Spark)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from infra.cli.main import app

REPO = Path(__file__).resolve().parents[3]
TRAIN_KEYS = {"run_id", "model", "version", "status", "metrics", "artifact_uri", "seconds", "error"}
SPEC = """
name = "cli_risk"
source = "ml.cli_visits"
task = "binary"
label = "label"
id = "visit_id"

[split]
train = 0.6
validation = 0.2
test = 0.2
seed = 5

[model]
algorithm = "logistic_regression"
max_iter = 10
"""


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            "LAKEFORGE_PROFILE": "local",
            "LAKEFORGE_LAKE": str(root / "lake"),
            "LAKEFORGE_HOME": str(root / "home"),
            "LAKEFORGE_CATALOG__PATH": str(root / "catalog.db"),
        }
        self.runner = CliRunner()

    def lake(self, *args: str) -> Any:
        return self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)

    def spec(self, text: str = SPEC, name: str = "spec.toml") -> str:
        path = self.root / name
        path.write_text(text)
        return str(path)


@pytest.fixture(scope="module")
def cli(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    from catalog import register_delta_table
    from catalog.sql import SqlEngine
    from catalog.stores.embedded import EmbeddedStore
    from lake.delta import DeltaTableStore
    from lake.storage import LocalProfile

    root = tmp_path_factory.mktemp("train-cli")
    (root / "lake").mkdir()
    profile = LocalProfile(root / "lake")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 2))
    label = (x @ [1.5, -1.0] + rng.logistic(0, 0.5, 200) > 0).astype(int)
    rows = [(i, float(x[i, 0]), float(x[i, 1]), ["a", "b"][i % 2], int(label[i])) for i in range(200)]
    delta = DeltaTableStore(spark, profile)
    delta.write(spark.createDataFrame(rows, "visit_id long, a double, b double, kind string, label int"),
                "silver/cli_visits", mode="create")
    store = EmbeddedStore(root / "catalog.db")
    register_delta_table(store, "silver", "cli_visits", "silver/cli_visits", profile)
    SqlEngine(spark, store, profile, save_results=False, record_history=False).execute(
        "CREATE VIEW ml.cli_visits AS SELECT * FROM silver.cli_visits")
    store.close()
    yield Lake(root)


@pytest.fixture(scope="module")
def trained(cli: Lake) -> dict[str, Any]:
    result = cli.lake("train", cli.spec(), "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)  # exactly one JSON object on stdout
    return data


def test_train_json_prints_one_object_with_the_run(trained: dict[str, Any]) -> None:
    assert set(trained) == TRAIN_KEYS
    assert (trained["model"], trained["version"], trained["status"]) == ("cli_risk", 1, "FINISHED")
    assert trained["error"] is None and set(trained["metrics"]) == {"train", "validation", "test"}
    assert 0 <= trained["metrics"]["test"]["roc_auc"] <= 1
    assert trained["artifact_uri"].startswith("file://") and trained["seconds"] > 0


def test_spec_errors_are_one_line_before_spark(cli: Lake) -> None:
    bad = cli.spec(SPEC.replace("label = \"label\"", "lable = \"label\""), "bad.toml")
    result = cli.lake("train", bad)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: spec lable: unknown key (did you mean 'label'?); valid: name, source, sql, source_version, task, "
        "label, id, features, exclude, text, prep, split, model, tune, evaluate"]
    overridden = cli.lake("train", cli.spec(), "--set", "model.algorithm=gbtx")
    assert overridden.exit_code == 1 and "unknown algorithm 'gbtx'" in overridden.stderr
    assert len(overridden.stderr.strip().splitlines()) == 1
    both = cli.lake("train", cli.spec(), "--reproduce", "cli_risk:1")
    assert both.exit_code == 1 and "give a spec file or --reproduce" in both.stderr


def test_a_failed_run_prints_its_json_then_one_error_line(cli: Lake) -> None:
    spec = cli.spec(SPEC.replace('source = "ml.cli_visits"', 'sql = "SELECT * FROM ml.cli_visits WHERE label = 0"')
                    .replace("cli_risk", "cli_failing"), "failing.toml")
    result = cli.lake("train", spec, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "FAILED" and data["version"] is None and "single class" in data["error"]
    assert result.stderr.strip().splitlines()[-1].startswith("error: column 'label': has a single class")


def test_the_job_reproduces_a_version_and_model_commands_manage_both(cli: Lake, trained: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in cli.env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("train_job", REPO / "jobs" / "train.py")
    assert spec is not None and spec.loader is not None
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    assert job.main(["--reproduce", "cli_risk:1"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    reproduced = json.loads(line)
    assert reproduced["version"] == 2 and reproduced["reproduces"] == {"ref": "cli_risk:1", "same_metrics": True}
    assert reproduced["metrics"] == trained["metrics"]
    assert job.main([str(REPO / "infra" / "ml" / "no-such-spec.toml")]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"train failed: spec {REPO / 'infra' / 'ml' / 'no-such-spec.toml'}: no such spec file"]

    listed = json.loads(cli.lake("model", "list", "--json").stdout)
    assert [(m["name"], m["latest_version"], m["versions"]) for m in listed] == [("cli_risk", 2, 2)]
    shown = json.loads(cli.lake("model", "show", "cli_risk:1", "--json").stdout)
    assert shown["approval"]["status"] == "PendingManualApproval"
    assert shown["lineage"]["tables"][0]["name"] == "silver.cli_visits"
    assert shown["metrics"]["test"] == pytest.approx(trained["metrics"]["test"])

    approved = json.loads(cli.lake("model", "approve", "cli_risk:2", "--comment", "same data, same metrics",
                                   "--json").stdout)
    assert approved["status"] == "Approved"
    refused = cli.lake("model", "reject", "cli_risk:1", "--comment", " ")
    assert refused.exit_code == 1 and "needs a comment" in refused.stderr
    rejected = json.loads(cli.lake("model", "reject", "cli_risk:1", "--comment", "superseded", "--json").stdout)
    assert rejected["status"] == "Rejected"
    aliased = json.loads(cli.lake("model", "alias", "cli_risk", "champion", "2", "--json").stdout)
    assert aliased["ref"] == "cli_risk:2"
    assert json.loads(cli.lake("model", "show", "cli_risk@champion", "--json").stdout)["version"] == 2
    compared = json.loads(cli.lake("model", "compare", "cli_risk", "1", "champion", "--json").stdout)
    assert compared["versions"] == ["cli_risk:1", "cli_risk:2"]
    assert compared["metrics"]["test_roc_auc"][0] == compared["metrics"]["test_roc_auc"][1]
    unknown = cli.lake("model", "show", "cli_risk:9")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: model 'cli_risk' has no version 9")


def test_model_ui_prints_the_mlflow_command(cli: Lake) -> None:
    shown = cli.lake("model", "ui")
    assert shown.exit_code == 0
    assert shown.stdout.strip().splitlines()[-1] == (
        f"mlflow ui --backend-store-uri sqlite:///{cli.root / 'home' / 'mlflow.db'}")
    data = json.loads(cli.lake("model", "ui", "--json").stdout)
    assert data["command"][:3] == ["mlflow", "ui", "--backend-store-uri"] and data["env"] == {}
