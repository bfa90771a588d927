"""``{{ ds }}``-style placeholders: known names render, anything else is an error naming it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from infra.pipelines.templating import TemplateContext, UnknownVariable, render, template_variables

CTX = TemplateContext("nightly", datetime(2024, 3, 1, 3, 0, tzinfo=UTC), "nightly-20240301T030000Z-abc123")


def test_every_variable_renders() -> None:
    text = "{{ ds }} {{ds_nodash}} {{ logical_date }} {{ run_id }} {{  pipeline  }}"
    assert render(text, CTX) == ("2024-03-01 20240301 2024-03-01T03:00:00+00:00 "
                                 "nightly-20240301T030000Z-abc123 nightly")


def test_logical_date_is_rendered_in_utc() -> None:
    local = datetime(2024, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    ctx = TemplateContext("p", local, "r")
    assert render("{{ ds }}|{{ logical_date }}", ctx) == "2024-02-29|2024-02-29T23:30:00+00:00"


def test_text_without_placeholders_is_unchanged() -> None:
    assert render("--folder infra/sql {x} }}", CTX) == "--folder infra/sql {x} }}"


def test_unknown_variable_is_named() -> None:
    with pytest.raises(UnknownVariable) as info:
        render("--date {{ execution_date }}", CTX)
    assert info.value.variable == "execution_date"
    assert "execution_date" in str(info.value) and "ds_nodash" in str(info.value)


@pytest.mark.parametrize("text", ["{{ ds | upper }}", "{% if x %}", "{# note #}", "{{ ds", "{{ 'a' }}"])
def test_other_template_syntax_is_refused(text: str) -> None:
    with pytest.raises(UnknownVariable, match="unsupported template syntax|unknown template variable"):
        template_variables(text)


def test_template_variables_lists_names_in_order() -> None:
    assert template_variables("{{ ds }}/{{ run_id }}/{{ ds }}") == ["ds", "run_id", "ds"]
