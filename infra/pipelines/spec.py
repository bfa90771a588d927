"""Pipeline files: TOML → validated :class:`Pipeline` objects.

A pipeline file names its steps (each a ``lake`` command or a spark-submit script), their
dependencies, retries and timeouts, and how the pipeline is triggered::

    name = "nightly"
    schedule = "0 3 * * *"                  # cron (UTC); optional
    catchup = "latest"                      # misfire policy: latest | all
    [params]                                # values for {{ params.NAME }}; a run may override them
    records = 5000                          #   (`lake pipeline run NAME --param records=200`)
    max_concurrency = 2                     # steps running at once
    on = {pipelines = ["ingest"], status = "success", mode = "all"}   # optional
    [defaults]                              # per-step defaults
    retries = 1
    retry_delay = "30s"
    [[steps]]
    name = "views"
    submit = "jobs/build_views.py"
    args = ["--folder", "infra/sql"]
    depends_on = ["ingest"]

Every error names the file, the step and the key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from croniter import croniter

from infra.pipelines.dag import find_cycle, topological_order
from infra.pipelines.errors import (
    CycleError,
    DuplicatePipelineError,
    PipelineSpecError,
    TemplateError,
    UnknownParamError,
    UnknownPipelineError,
)
from infra.pipelines.templating import UnknownVariable, template_variables

__all__ = [
    "LAKE_COMMANDS",
    "CatchUp",
    "OnTrigger",
    "Pipeline",
    "Step",
    "TriggerMode",
    "TriggerStatus",
    "get_pipeline",
    "load_pipeline",
    "load_pipelines",
    "parse_duration",
    "parse_pipeline",
]

LAKE_COMMANDS = (
    "simulate", "ingest", "crawl", "build-views", "etl", "quality", "train", "predict",
    "monitor", "table optimize", "table vacuum", "sql", "model alias", "invoke", "report",
)
"""The ``lake`` commands a step may run (``command = "…"``)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_ANY_TAG = re.compile(r"\{\{|\{%|\{#")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_PIPELINE_KEYS = ("name", "description", "schedule", "on", "catchup", "max_concurrency", "env", "params",
                  "defaults", "steps")
_DEFAULT_KEYS = ("retries", "retry_delay", "max_retry_delay", "timeout", "retry_on_timeout")
_STEP_KEYS = ("name", "description", "command", "submit", "args", "depends_on", "env", *_DEFAULT_KEYS)
_ON_KEYS = ("pipelines", "status", "mode")


class CatchUp(StrEnum):
    """What the scheduler runs for ticks it missed: only the latest, or all of them."""

    LATEST = "latest"
    ALL = "all"


class TriggerStatus(StrEnum):
    """The upstream outcome a conditional trigger waits for."""

    SUCCESS = "success"
    FAILURE = "failure"


class TriggerMode(StrEnum):
    """Whether any or all of the upstream pipelines must reach the status."""

    ANY = "any"
    ALL = "all"


@dataclass(frozen=True)
class OnTrigger:
    """``on = {…}``: run after other pipelines reach ``status`` for the same logical date."""

    pipelines: tuple[str, ...]
    status: TriggerStatus = TriggerStatus.SUCCESS
    mode: TriggerMode = TriggerMode.ALL


@dataclass(frozen=True)
class Step:
    """One step: a ``lake`` command (``command``) or a spark-submit script (``submit``)."""

    name: str
    command: str | None = None
    submit: str | None = None
    args: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    retries: int = 0
    retry_delay: float = 30.0
    max_retry_delay: float = 600.0
    timeout: float | None = None
    retry_on_timeout: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    description: str | None = None

    @property
    def kind(self) -> str:
        return "command" if self.command is not None else "submit"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "command": self.command, "submit": self.submit,
            "args": list(self.args), "depends_on": list(self.depends_on), "retries": self.retries,
            "retry_delay": self.retry_delay, "max_retry_delay": self.max_retry_delay,
            "timeout": self.timeout, "retry_on_timeout": self.retry_on_timeout, "env": dict(self.env),
            "description": self.description,
        }


@dataclass(frozen=True)
class Pipeline:
    """A validated pipeline: steps in declaration order, triggers, limits."""

    name: str
    steps: tuple[Step, ...]
    path: Path | None = None
    description: str | None = None
    schedule: str | None = None
    on: OnTrigger | None = None
    catchup: CatchUp = CatchUp.LATEST
    max_concurrency: int = 2
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    defaults: Step = field(default_factory=lambda: Step(name="defaults"))
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def with_params(self, values: Mapping[str, object]) -> Pipeline:
        """This pipeline with some ``[params]`` values replaced; an undeclared name is an error."""
        for name in values:
            if name not in self.params:
                raise UnknownParamError(self.name, name, tuple(self.params))
        merged = {**self.params, **{k: str(v) for k, v in values.items()}}
        return replace(self, params=MappingProxyType(merged))

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def deps(self) -> dict[str, tuple[str, ...]]:
        """``{step: steps it depends on}`` in declaration order."""
        return {s.name: s.depends_on for s in self.steps}

    def order(self) -> list[str]:
        """Step names in a valid execution order."""
        return topological_order(self.deps())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": str(self.path) if self.path else None, "description": self.description,
            "schedule": self.schedule, "catchup": self.catchup.value, "max_concurrency": self.max_concurrency,
            "on": None if self.on is None else {
                "pipelines": list(self.on.pipelines), "status": self.on.status.value, "mode": self.on.mode.value,
            },
            "env": dict(self.env), "params": dict(self.params), "steps": [s.to_dict() for s in self.steps],
        }


def parse_duration(value: object) -> float:
    """Seconds from ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``, ``"1h30m"`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 90s, 30m or 2h, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"expected a duration ≥ 0, got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match and any(match.groups()):
            d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
            return d * 86400 + h * 3600 + m * 60 + s
    raise ValueError(f"expected a duration like 90s, 30m or 2h, got {value!r}")


class _Checker:
    """Validation helpers that raise errors naming the file (and step and key)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.params: tuple[str, ...] = ()

    def fail(self, message: str, *, step: str | None = None, key: str | None = None) -> PipelineSpecError:
        return PipelineSpecError(file=self.file, message=message, step=step, key=key)

    def keys(self, table: Mapping[str, Any], valid: Sequence[str], *, step: str | None = None,
             prefix: str = "") -> None:
        for key in table:
            if key not in valid:
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(f"unknown key ({hint}valid keys: {', '.join(valid)})", step=step,
                                key=prefix + key)

    def name(self, value: object, what: str, *, step: str | None = None, key: str = "name") -> str:
        if not isinstance(value, str) or not _NAME.match(value):
            raise self.fail(f"{what} name must be letters, digits, '-' or '_' (starting with a letter or "
                            f"digit), got {value!r}", step=step, key=key)
        return value

    def string(self, value: object, *, step: str | None = None, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"expected a non-empty string, got {value!r}", step=step, key=key)
        return value

    def strings(self, value: object, *, step: str | None = None, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(f"expected a list of strings, got {value!r}", step=step, key=key)
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(f"expected a string, got {item!r}", step=step, key=f"{key}[{i}]")
            out.append(str(item))
        return tuple(out)

    def integer(self, value: object, *, step: str | None = None, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"expected an integer ≥ {minimum}, got {value!r}", step=step, key=key)
        return value

    def boolean(self, value: object, *, step: str | None = None, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"expected true or false, got {value!r}", step=step, key=key)
        return value

    def duration(self, value: object, *, step: str | None = None, key: str) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(str(exc), step=step, key=key) from None

    def choice(self, value: object, enum: type[StrEnum], *, step: str | None = None, key: str) -> Any:
        if isinstance(value, str) and value in {m.value for m in enum}:
            return enum(value)
        valid = ", ".join(repr(m.value) for m in enum)
        raise self.fail(f"expected one of {valid}, got {value!r}", step=step, key=key)

    def env(self, value: object, *, step: str | None = None) -> Mapping[str, str]:
        if not isinstance(value, dict):
            raise self.fail(f"expected a table of NAME = \"value\", got {value!r}", step=step, key="env")
        out = {}
        for name, item in value.items():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise self.fail("not a valid environment variable name", step=step, key=f"env.{name}")
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(f"expected a string, got {item!r}", step=step, key=f"env.{name}")
            out[name] = str(item)
        return MappingProxyType(out)

    def param_values(self, value: object) -> Mapping[str, str]:
        if not isinstance(value, dict):
            raise self.fail(f"expected a table of NAME = value, got {value!r}", key="params")
        out = {}
        for name, item in value.items():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise self.fail("a parameter name is letters, digits and '_' (not starting with a digit)",
                                key=f"params.{name}")
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(f"expected a string or a number, got {item!r}", key=f"params.{name}")
            if isinstance(item, str) and _ANY_TAG.search(item):
                raise self.fail("a parameter value cannot itself be a template", key=f"params.{name}")
            out[name] = str(item)
        return MappingProxyType(out)

    def templates(self, texts: Iterable[tuple[str, str]], *, step: str | None) -> None:
        for key, text in texts:
            try:
                template_variables(text, self.params)
            except UnknownVariable as exc:
                raise TemplateError(file=self.file, message=exc.reason, step=step, key=key,
                                    variable=exc.variable) from None

    def cron(self, value: object) -> str:
        text = self.string(value, key="schedule").strip()
        fields = text.split()
        if not text.startswith("@") and len(fields) != 5:
            raise self.fail(f"expected a 5-field cron expression (minute hour day month weekday) or "
                            f"@hourly/@daily/@weekly/@monthly, got {text!r}", key="schedule")
        if not croniter.is_valid(text):
            raise self.fail(f"invalid cron expression {text!r}", key="schedule")
        return text


def parse_pipeline(data: Mapping[str, Any], *, file: str = "<pipeline>", base_dir: Path | None = None) -> Pipeline:
    """Validate a parsed TOML document; ``base_dir`` (the project) checks ``submit`` scripts exist."""
    check = _Checker(file)
    check.keys(data, _PIPELINE_KEYS)
    if "name" not in data:
        raise check.fail("missing key 'name' (the pipeline's name)", key="name")
    name = check.name(data["name"], "pipeline")
    schedule = check.cron(data["schedule"]) if "schedule" in data else None
    params = check.param_values(data["params"]) if "params" in data else MappingProxyType({})
    check.params = tuple(params)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise check.fail(f"expected a table, got {defaults!r}", key="defaults")
    check.keys(defaults, _DEFAULT_KEYS, prefix="defaults.")
    base = _step_options(check, defaults, step=None, prefix="defaults.", inherited=Step(name="defaults"))
    env = check.env(data["env"]) if "env" in data else MappingProxyType({})
    check.templates(((f"env.{k}", v) for k, v in env.items()), step=None)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise check.fail("a pipeline needs at least one [[steps]] table", key="steps")
    steps: list[Step] = []
    for i, raw in enumerate(raw_steps):
        step = _parse_step(check, raw, i, base, base_dir)
        if any(s.name == step.name for s in steps):
            raise check.fail("two steps have this name; step names must be unique", step=step.name, key="name")
        steps.append(step)
    names = [s.name for s in steps]
    for s in steps:
        for dep in s.depends_on:
            if dep not in names:
                raise check.fail(f"depends on unknown step {dep!r} (steps: {', '.join(names)})",
                                 step=s.name, key="depends_on")
    cycle = find_cycle({s.name: s.depends_on for s in steps})
    if cycle:
        raise CycleError(file=file, message=f"depends_on forms a cycle: {' -> '.join(cycle)} "
                         "(each step depends on the next)", step=cycle[0], key="depends_on", cycle=cycle)
    on = _parse_on(check, data["on"], name) if "on" in data else None
    return Pipeline(
        name=name,
        steps=tuple(steps),
        path=Path(file) if file != "<pipeline>" else None,
        description=check.string(data["description"], key="description") if "description" in data else None,
        schedule=schedule,
        on=on,
        catchup=check.choice(data.get("catchup", "latest"), CatchUp, key="catchup"),
        max_concurrency=check.integer(data.get("max_concurrency", 2), key="max_concurrency", minimum=1),
        env=env,
        defaults=base,
        params=params,
    )


def _step_options(check: _Checker, raw: Mapping[str, Any], *, step: str | None, prefix: str,
                  inherited: Step) -> Step:
    """The retry/timeout options of ``raw`` over those ``inherited`` (a template Step)."""
    def key(k: str) -> str:
        return prefix + k

    timeout = inherited.timeout
    if "timeout" in raw:
        timeout = check.duration(raw["timeout"], step=step, key=key("timeout"))
        if timeout <= 0:
            raise check.fail("a timeout must be > 0", step=step, key=key("timeout"))
    return Step(
        name=inherited.name,
        retries=check.integer(raw["retries"], step=step, key=key("retries"), minimum=0)
        if "retries" in raw else inherited.retries,
        retry_delay=check.duration(raw["retry_delay"], step=step, key=key("retry_delay"))
        if "retry_delay" in raw else inherited.retry_delay,
        max_retry_delay=check.duration(raw["max_retry_delay"], step=step, key=key("max_retry_delay"))
        if "max_retry_delay" in raw else inherited.max_retry_delay,
        timeout=timeout,
        retry_on_timeout=check.boolean(raw["retry_on_timeout"], step=step, key=key("retry_on_timeout"))
        if "retry_on_timeout" in raw else inherited.retry_on_timeout,
    )


def _parse_step(check: _Checker, raw: object, index: int, base: Step, base_dir: Path | None) -> Step:
    if not isinstance(raw, dict):
        raise check.fail(f"steps[{index}] must be a table, got {raw!r}", key="steps")
    label = raw.get("name") if isinstance(raw.get("name"), str) else f"#{index + 1}"
    check.keys(raw, _STEP_KEYS, step=label)
    if "name" not in raw:
        raise check.fail("missing key 'name'", step=label, key="name")
    name = check.name(raw["name"], "step", step=label)
    has_command, has_submit = "command" in raw, "submit" in raw
    if has_command == has_submit:
        raise check.fail("give exactly one of 'command' (a lake command) or 'submit' (a spark-submit "
                         "script)" + (", not both" if has_command else ""), step=name,
                         key="command" if has_command else None)
    command = submit = None
    if has_command:
        command = " ".join(check.string(raw["command"], step=name, key="command").split())
        if command not in LAKE_COMMANDS:
            raise check.fail(f"unknown lake command {command!r} (allowed: {', '.join(LAKE_COMMANDS)}; "
                             "use 'submit' for any other spark-submit script)", step=name, key="command")
    else:
        submit = check.string(raw["submit"], step=name, key="submit")
        if base_dir is not None and not (base_dir / submit).is_file():
            raise check.fail(f"no such script {submit!r} under {base_dir}", step=name, key="submit")
    args = check.strings(raw.get("args", []), step=name, key="args")
    depends_on = check.strings(raw.get("depends_on", []), step=name, key="depends_on")
    if len(set(depends_on)) != len(depends_on):
        raise check.fail("lists a step twice", step=name, key="depends_on")
    env = check.env(raw["env"], step=name) if "env" in raw else MappingProxyType({})
    check.templates([(f"args[{i}]", a) for i, a in enumerate(args)], step=name)
    check.templates([(f"env.{k}", v) for k, v in env.items()], step=name)
    options = _step_options(check, raw, step=name, prefix="", inherited=base)
    return Step(
        name=name, command=command, submit=submit, args=args, depends_on=depends_on,
        retries=options.retries, retry_delay=options.retry_delay, max_retry_delay=options.max_retry_delay,
        timeout=options.timeout, retry_on_timeout=options.retry_on_timeout, env=env,
        description=check.string(raw["description"], step=name, key="description") if "description" in raw else None,
    )


def _parse_on(check: _Checker, raw: object, name: str) -> OnTrigger:
    if not isinstance(raw, dict):
        raise check.fail(f"expected a table like {{pipelines = [\"a\"], status = \"success\", mode = \"all\"}}, "
                         f"got {raw!r}", key="on")
    check.keys(raw, _ON_KEYS, prefix="on.")
    if "pipelines" not in raw:
        raise check.fail("missing key 'on.pipelines' (the upstream pipelines)", key="on.pipelines")
    pipelines = check.strings(raw["pipelines"], key="on.pipelines")
    if not pipelines:
        raise check.fail("lists no pipeline", key="on.pipelines")
    for upstream in pipelines:
        check.name(upstream, "pipeline", key="on.pipelines")
    if name in pipelines:
        raise check.fail("a pipeline cannot be triggered by itself", key="on.pipelines")
    return OnTrigger(
        pipelines=pipelines,
        status=check.choice(raw.get("status", "success"), TriggerStatus, key="on.status"),
        mode=check.choice(raw.get("mode", "all"), TriggerMode, key="on.mode"),
    )


def load_pipeline(path: Path, *, base_dir: Path | None = None) -> Pipeline:
    """Read and validate one pipeline file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PipelineSpecError(file=str(path), message=f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PipelineSpecError(file=str(path), message=f"not valid TOML: {exc}") from None
    return parse_pipeline(data, file=str(path), base_dir=base_dir)


def load_pipelines(dirs: Iterable[Path], *, base_dir: Path | None = None) -> dict[str, Pipeline]:
    """Every ``*.toml`` pipeline in ``dirs`` by name; ``on`` must name pipelines that exist."""
    found: dict[str, Pipeline] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise PipelineSpecError(file=str(folder), message="no such pipelines folder")
        for path in sorted(folder.glob("*.toml")):
            pipeline = load_pipeline(path, base_dir=base_dir)
            if pipeline.name in found:
                raise DuplicatePipelineError(pipeline.name, str(found[pipeline.name].path), str(path))
            found[pipeline.name] = pipeline
    for pipeline in found.values():
        for upstream in pipeline.on.pipelines if pipeline.on else ():
            if upstream not in found:
                raise PipelineSpecError(
                    file=str(pipeline.path), key="on.pipelines",
                    message=f"triggered by unknown pipeline {upstream!r} (known: {', '.join(sorted(found))})",
                )
    return dict(sorted(found.items()))


def get_pipeline(pipelines: Mapping[str, Pipeline], name: str) -> Pipeline:
    """``pipelines[name]`` or :class:`UnknownPipelineError` listing the known names."""
    try:
        return pipelines[name]
    except KeyError:
        raise UnknownPipelineError(name, tuple(sorted(pipelines))) from None
