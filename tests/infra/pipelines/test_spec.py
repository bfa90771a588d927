"""Pipeline files: the TOML shape, and errors that name the file, the step and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.pipelines import SPECS_DIR
from infra.pipelines.errors import (
    CycleError,
    DuplicatePipelineError,
    PipelineSpecError,
    TemplateError,
    UnknownPipelineError,
)
from infra.pipelines.spec import (
    LAKE_COMMANDS,
    CatchUp,
    TriggerMode,
    TriggerStatus,
    get_pipeline,
    load_pipeline,
    load_pipelines,
    parse_duration,
)

ISSUE_EXAMPLE = """
name = "nightly"
schedule = "0 3 * * *"
[[steps]]
name = "ingest"
command = "ingest"
args = ["--stream", "heart", "--available-now"]
retries = 2
timeout = "30m"
[[steps]]
name = "views"
depends_on = ["ingest"]
submit = "jobs/build_views.py"
args = ["--folder", "infra/sql"]
"""


def _write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> PipelineSpecError:
    path = _write(tmp_path, text)
    with pytest.raises(PipelineSpecError) as info:
        load_pipeline(path)
    assert str(path) in str(info.value)
    return info.value


def _steps(*bodies: str) -> str:
    return 'name = "p"\n' + "".join(f"[[steps]]\n{b}\n" for b in bodies)


def test_the_issue_example_loads_with_its_keys(tmp_path: Path) -> None:
    p = load_pipeline(_write(tmp_path, ISSUE_EXAMPLE))
    assert p.name == "nightly" and p.schedule == "0 3 * * *"
    ingest, views = p.steps
    assert (ingest.command, ingest.args, ingest.retries, ingest.timeout) == (
        "ingest", ("--stream", "heart", "--available-now"), 2, 1800.0)
    assert (views.submit, views.depends_on, views.kind) == ("jobs/build_views.py", ("ingest",), "submit")
    assert p.catchup == CatchUp.LATEST and p.on is None and p.max_concurrency == 2


def test_extended_keys_defaults_env_trigger_and_catchup(tmp_path: Path) -> None:
    text = """
name = "report"
description = "after ingest"
catchup = "all"
max_concurrency = 3
env = {REGION = "eu", DAY = "{{ ds }}"}
on = {pipelines = ["a", "b"], status = "failure", mode = "any"}
[defaults]
retries = 3
retry_delay = "90s"
max_retry_delay = "1h"
timeout = "2h"
[[steps]]
name = "one"
command = "table vacuum"
env = {LEVEL = "2"}
[[steps]]
name = "two"
command = "sql"
retries = 0
retry_on_timeout = true
timeout = "1h30m"
"""
    p = load_pipeline(_write(tmp_path, text))
    assert p.description == "after ingest" and p.catchup == CatchUp.ALL and p.max_concurrency == 3
    assert dict(p.env) == {"REGION": "eu", "DAY": "{{ ds }}"}
    assert p.on is not None
    assert (p.on.pipelines, p.on.status, p.on.mode) == (("a", "b"), TriggerStatus.FAILURE, TriggerMode.ANY)
    one, two = p.steps
    assert (one.retries, one.retry_delay, one.max_retry_delay, one.timeout) == (3, 90.0, 3600.0, 7200.0)
    assert dict(one.env) == {"LEVEL": "2"}
    assert (two.retries, two.timeout, two.retry_on_timeout) == (0, 5400.0, True)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400),
                                                ("1h30m", 5400), (45, 45), ("0.5s", 0.5)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30 minutes", "m", "", "-5", True, "5x"])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_unknown_top_level_key_lists_the_valid_ones(tmp_path: Path) -> None:
    err = _error(tmp_path, 'name = "p"\nschedul = "0 3 * * *"\n[[steps]]\nname = "a"\ncommand = "sql"\n')
    assert err.key == "schedul" and err.step is None
    assert "did you mean 'schedule'" in str(err) and "max_concurrency" in str(err)


def test_unknown_step_key_names_step_and_key(tmp_path: Path) -> None:
    err = _error(tmp_path, _steps('name = "a"\ncommand = "sql"\nretry = 2'))
    assert (err.step, err.key) == ("a", "retry")
    assert "step 'a'" in str(err) and "key 'retry'" in str(err) and "retries" in str(err)


def test_unknown_command_lists_the_allowed_lake_commands(tmp_path: Path) -> None:
    err = _error(tmp_path, _steps('name = "a"\ncommand = "table"'))
    assert (err.step, err.key) == ("a", "command")
    for command in LAKE_COMMANDS:
        assert command in str(err)
    assert "submit" in str(err)


def test_command_and_submit_together_or_neither(tmp_path: Path) -> None:
    both = _error(tmp_path, _steps('name = "a"\ncommand = "sql"\nsubmit = "jobs/x.py"'))
    assert both.step == "a" and "not both" in str(both)
    neither = _error(tmp_path, _steps('name = "a"\nargs = []'))
    assert neither.step == "a" and "exactly one of 'command'" in str(neither)


def test_unknown_dependency_lists_the_steps(tmp_path: Path) -> None:
    err = _error(tmp_path, _steps('name = "a"\ncommand = "sql"', 'name = "b"\ncommand = "sql"\ndepends_on = ["c"]'))
    assert (err.step, err.key) == ("b", "depends_on")
    assert "unknown step 'c'" in str(err) and "a, b" in str(err)


def test_cycle_is_named(tmp_path: Path) -> None:
    text = _steps('name = "a"\ncommand = "sql"\ndepends_on = ["c"]',
                  'name = "b"\ncommand = "sql"\ndepends_on = ["a"]',
                  'name = "c"\ncommand = "sql"\ndepends_on = ["b"]')
    with pytest.raises(CycleError) as info:
        load_pipeline(_write(tmp_path, text))
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"} and len(cycle) == 4
    assert " -> ".join(cycle) in str(info.value)


def test_self_dependency_is_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(CycleError, match="a -> a"):
        load_pipeline(_write(tmp_path, _steps('name = "a"\ncommand = "sql"\ndepends_on = ["a"]')))


def test_unknown_template_variable_is_named(tmp_path: Path) -> None:
    err = _error(tmp_path, _steps('name = "a"\ncommand = "sql"\nargs = ["--date", "{{ dss }}"]'))
    assert isinstance(err, TemplateError)
    assert (err.step, err.key, err.variable) == ("a", "args[1]", "dss")
    assert "'dss'" in str(err) and "logical_date" in str(err)


def test_bad_values_name_their_key(tmp_path: Path) -> None:
    cases = {
        'name = "a"\ncommand = "sql"\ntimeout = "soon"': "timeout",
        'name = "a"\ncommand = "sql"\nretries = -1': "retries",
        'name = "a"\ncommand = "sql"\nargs = "--x"': "args",
        'name = "a"\ncommand = "sql"\nenv = {"1X" = "v"}': "env.1X",
    }
    for body, key in cases.items():
        err = _error(tmp_path, _steps(body))
        assert (err.step, err.key) == ("a", key), body


@pytest.mark.parametrize(("line", "key"), [
    ('schedule = "61 3 * * *"', "schedule"),
    ('schedule = "0 3 * *"', "schedule"),
    ('catchup = "some"', "catchup"),
    ("max_concurrency = 0", "max_concurrency"),
    ('on = {pipelines = ["p"]}', "on.pipelines"),
    ('on = {pipelines = ["x"], mode = "either"}', "on.mode"),
    ('on = {pipelines = ["x"], when = "success"}', "on.when"),
])
def test_bad_pipeline_options(tmp_path: Path, line: str, key: str) -> None:
    err = _error(tmp_path, f'name = "p"\n{line}\n[[steps]]\nname = "a"\ncommand = "sql"\n')
    assert err.key == key


def test_missing_name_steps_and_bad_toml(tmp_path: Path) -> None:
    assert _error(tmp_path, '[[steps]]\nname = "a"\ncommand = "sql"\n').key == "name"
    assert _error(tmp_path, 'name = "p"\n').key == "steps"
    assert "not valid TOML" in str(_error(tmp_path, 'name = "p\n'))


def test_duplicate_step_names_are_refused(tmp_path: Path) -> None:
    err = _error(tmp_path, _steps('name = "a"\ncommand = "sql"', 'name = "a"\ncommand = "sql"'))
    assert (err.step, err.key) == ("a", "name") and "unique" in str(err)


def test_submit_script_must_exist_under_the_project(tmp_path: Path) -> None:
    path = _write(tmp_path, _steps('name = "a"\nsubmit = "jobs/missing.py"'))
    with pytest.raises(PipelineSpecError) as info:
        load_pipeline(path, base_dir=tmp_path)
    assert (info.value.step, info.value.key) == ("a", "submit")


def test_folder_load_checks_duplicates_and_trigger_targets(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    step = '[[steps]]\nname = "a"\ncommand = "sql"\n'
    _write(one, f'name = "a"\n{step}', "a.toml")
    _write(one, f'name = "b"\non = {{pipelines = ["a"]}}\n{step}', "b.toml")
    assert list(load_pipelines([one])) == ["a", "b"]
    _write(two, f'name = "a"\n{step}', "again.toml")
    with pytest.raises(DuplicatePipelineError, match="declared twice"):
        load_pipelines([one, two])
    _write(one, f'name = "c"\non = {{pipelines = ["zzz"]}}\n{step}', "c.toml")
    with pytest.raises(PipelineSpecError, match="unknown pipeline 'zzz'"):
        load_pipelines([one])


def test_unknown_pipeline_lists_known_names() -> None:
    with pytest.raises(UnknownPipelineError, match=r"known: demo, nightly"):
        get_pipeline(load_pipelines([SPECS_DIR]), "nightlyy")


def test_shipped_nightly_pipeline_is_valid_and_uses_existing_scripts() -> None:
    repo = Path(__file__).resolve().parents[3]
    nightly = load_pipelines([SPECS_DIR], base_dir=repo)["nightly"]
    assert nightly.schedule == "0 3 * * *"
    commands = {s.command for s in nightly.steps if s.command}
    assert commands <= set(LAKE_COMMANDS)
    assert {"simulate", "ingest", "crawl", "etl", "sql", "table optimize", "table vacuum"} <= commands
    assert [s.submit for s in nightly.steps if s.submit] == ["jobs/build_views.py"]
    sql = nightly.step("check")
    assert (repo / sql.args[sql.args.index("--file") + 1]).is_file()
