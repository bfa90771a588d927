"""``[params]``: declared values for ``{{ params.NAME }}``, overridden per run, exported to Airflow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipelines_testkit import DAY, make_pipeline

from infra.cli.pipeline import parse_params
from infra.errors import InvalidOptionError
from infra.pipelines.airflow import dag_source
from infra.pipelines.errors import TemplateError, UnknownParamError
from infra.pipelines.history import InMemoryRunHistory
from infra.pipelines.runner import PipelineRunner
from infra.pipelines.spec import PipelineSpecError, parse_pipeline
from infra.pipelines.templating import TemplateContext, UnknownVariable, render, template_variables

CTX = TemplateContext("demo", datetime(2024, 3, 1, tzinfo=UTC), "demo-1", {"records": "4000"})


def test_a_declared_param_renders_beside_the_date_variables() -> None:
    assert render("--records {{ params.records }} --start {{ ds }}", CTX) == "--records 4000 --start 2024-03-01"


def test_an_undeclared_param_is_named_with_the_declared_ones() -> None:
    with pytest.raises(UnknownVariable) as info:
        template_variables("{{ params.rows }}", ["records", "seed"])
    assert info.value.variable == "params.rows"
    assert "declared: records, seed" in str(info.value)


def test_params_are_parsed_as_strings_and_checked_against_the_steps() -> None:
    p = make_pipeline([{"name": "a", "args": ["--n", "{{ params.records }}", "--f", "{{ params.rate }}"]}],
                      params={"records": 4000, "rate": 0.5})
    assert dict(p.params) == {"records": "4000", "rate": "0.5"}
    with pytest.raises(TemplateError, match=r"key 'args\[1\]'.*params.missing.*declared: records"):
        make_pipeline([{"name": "a", "args": ["--n", "{{ params.missing }}"]}], params={"records": 1})


@pytest.mark.parametrize(("params", "match"), [
    ({"1x": 1}, "parameter name"), ({"ok": True}, "string or a number"), ({"ok": [1]}, "string or a number"),
    ({"ok": "{{ ds }}"}, "cannot itself be a template"),
])
def test_bad_params_are_refused_naming_the_key(params: dict[str, object], match: str) -> None:
    with pytest.raises(PipelineSpecError, match=match) as info:
        make_pipeline([{"name": "a"}], params=params)
    assert info.value.key == f"params.{next(iter(params))}"


def test_with_params_overrides_declared_values_only() -> None:
    p = make_pipeline([{"name": "a"}], params={"records": 10, "seed": 1})
    assert dict(p.with_params({"records": 200}).params) == {"records": "200", "seed": "1"}
    assert dict(p.params) == {"records": "10", "seed": "1"}  # the original is unchanged
    with pytest.raises(UnknownParamError, match=r"no parameter 'rows' \(declared: records, seed\)"):
        p.with_params({"rows": 1})


def test_param_option_values_are_name_equals_value() -> None:
    assert parse_params(["records=200", "where=a=b"]) == {"records": "200", "where": "a=b"}
    with pytest.raises(InvalidOptionError, match="NAME=VALUE"):
        parse_params(["records"])


def test_the_runner_renders_the_run_s_param_values(tmp_path: Path, make_runner) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "argv.json"
    p = make_pipeline([{"name": "a", "args": ["--argv-out", str(out), "n={{ params.records }}", "{{ ds }}"]}],
                      params={"records": 10})
    runner: PipelineRunner = make_runner(InMemoryRunHistory())
    assert runner.run(p.with_params({"records": 250}), DAY).ok
    assert json.loads(out.read_text())[-2:] == ["n=250", DAY.strftime("%Y-%m-%d")]


def test_airflow_dag_carries_the_params_and_keeps_the_placeholders() -> None:
    step = {"name": "sim", "command": "simulate", "args": ["--records", "{{ params.records }}"]}
    p = parse_pipeline({"name": "demo", "params": {"records": 4000}, "steps": [step]})
    source = dag_source(p)
    assert "params={'records': '4000'}," in source
    assert "{{ params.records }}" in source
    compile(source, "demo.py", "exec")


def test_the_cli_shows_params_and_refuses_an_undeclared_one_before_running(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from infra.cli.main import app

    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "p.toml").write_text('name = "p"\n[params]\nrecords = 10\n[[steps]]\nname = "a"\ncommand = "simulate"\n'
                                   'args = ["--records", "{{ params.records }}"]\n')
    shown = CliRunner().invoke(app, ["pipeline", "show", "p", "--pipelines", str(folder), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["params"] == {"records": "10"}
    refused = CliRunner().invoke(app, ["pipeline", "run", "p", "--pipelines", str(folder), "--param", "rows=5"])
    assert refused.exit_code == 1
    assert "pipeline 'p' has no parameter 'rows' (declared: records)" in refused.output
