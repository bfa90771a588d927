"""``{{ ds }}``-style placeholders in step arguments and environment values.

A tiny strict substitution, not Jinja: only ``{{ name }}`` with a known name is allowed, and
any other ``{{``, ``{%`` or ``{#`` is an error; ``{{ params.NAME }}`` must name a parameter the
pipeline declares in its ``[params]`` table. The same strings go unchanged into exported
Airflow DAGs, where Airflow's Jinja renders them (the DAG carries the parameters as its
``params``), so the subset must mean the same in both places (Airflow's Jinja would silently
render an unknown name as an empty string). Jinja2 is also not a declared dependency of
lakeforge.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "PARAMS_PREFIX",
    "TEMPLATE_VARIABLES",
    "TemplateContext",
    "UnknownVariable",
    "render",
    "render_all",
    "template_variables",
]

TEMPLATE_VARIABLES = ("ds", "ds_nodash", "logical_date", "run_id", "pipeline")
PARAMS_PREFIX = "params."
"""``{{ params.NAME }}``: the value of the pipeline parameter ``NAME``."""

_PLACEHOLDER = re.compile(r"\{\{\s*((?:params\.)?[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_TAG = re.compile(r"\{\{|\{%|\{#")


class UnknownVariable(ValueError):
    """A template names a variable outside :data:`TEMPLATE_VARIABLES` or has bad syntax."""

    def __init__(self, text: str, variable: str | None, reason: str) -> None:
        super().__init__(reason)
        self.text = text
        self.variable = variable
        self.reason = reason


@dataclass(frozen=True)
class TemplateContext:
    """The values of one run: pipeline name, logical date (UTC), run id and parameter values."""

    pipeline: str
    logical_date: datetime
    run_id: str
    params: Mapping[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        when = self.logical_date.astimezone(UTC)
        return {
            "ds": when.strftime("%Y-%m-%d"),
            "ds_nodash": when.strftime("%Y%m%d"),
            "logical_date": when.isoformat(),
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            **{PARAMS_PREFIX + k: v for k, v in self.params.items()},
        }


def template_variables(text: str, params: Collection[str] = ()) -> list[str]:
    """The variables ``text`` uses; raises :class:`UnknownVariable` on unknown names or syntax.

    ``params`` are the declared parameter names (``{{ params.NAME }}`` must name one of them).
    """
    names = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name.startswith(PARAMS_PREFIX):
            if name[len(PARAMS_PREFIX):] not in params:
                declared = ", ".join(sorted(params)) or "none"
                raise UnknownVariable(
                    text, name, f"unknown parameter {name!r} in {text!r} (declare it under [params]; "
                    f"declared: {declared})"
                )
        elif name not in TEMPLATE_VARIABLES:
            raise UnknownVariable(
                text, name, f"unknown template variable {name!r} in {text!r} "
                f"(known: {', '.join(TEMPLATE_VARIABLES)}, params.NAME)"
            )
        names.append(name)
    rest = _PLACEHOLDER.sub("", text)
    tag = _ANY_TAG.search(rest)
    if tag:
        raise UnknownVariable(
            text, None, f"unsupported template syntax {tag.group(0)!r} in {text!r}: only "
            "{{ name }} placeholders are allowed"
        )
    return names


def render(text: str, values: Mapping[str, str] | TemplateContext) -> str:
    """``text`` with every ``{{ name }}`` replaced; unknown names and other syntax raise."""
    table = values.values() if isinstance(values, TemplateContext) else dict(values)
    template_variables(text, [k[len(PARAMS_PREFIX):] for k in table if k.startswith(PARAMS_PREFIX)])

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in table:
            raise UnknownVariable(text, name, f"no value for template variable {name!r} in {text!r}")
        return table[name]

    return _PLACEHOLDER.sub(replace, text)


def render_all(texts: Iterable[str], values: Mapping[str, str] | TemplateContext) -> list[str]:
    """:func:`render` over a sequence."""
    return [render(t, values) for t in texts]
