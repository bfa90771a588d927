"""The ``lake`` command's one error boundary: one line, exit 1 or 2, JSON for runners."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infra.cli.boundary import BoundaryGroup
from lake.errors import LakeforgeError, Transient


class _Throttled(Transient, LakeforgeError):
    template = "service {service} throttled us"
    service: str


def _app() -> typer.Typer:
    app = typer.Typer(cls=BoundaryGroup, pretty_exceptions_enable=False)

    @app.command()
    def terminal() -> None:
        raise LakeforgeError("the table x does not exist\nsecond line never shown")

    @app.command()
    def transient() -> None:
        raise _Throttled(service="kinesis")

    @app.command()
    def crash() -> None:
        raise KeyError("boom")

    @app.command()
    def usage(n: int) -> None:
        raise typer.Exit(0)

    return app


def _stderr_lines(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in res.stderr.splitlines() if line.strip()]


def test_lakeforge_error_is_one_line_and_exit_1() -> None:
    res = CliRunner().invoke(_app(), ["terminal"])
    assert res.exit_code == 1
    assert _stderr_lines(res) == ["error: the table x does not exist"]


def test_unexpected_error_is_one_line_naming_its_type_and_exit_2() -> None:
    res = CliRunner().invoke(_app(), ["crash"])
    assert res.exit_code == 2
    lines = _stderr_lines(res)
    assert len(lines) == 1 and lines[0].startswith("error: unexpected KeyError: 'boom'")
    assert "LAKEFORGE_DEBUG=1" in lines[0] and "Traceback" not in res.output


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEFORGE_DEBUG", "1")
    res = CliRunner().invoke(_app(), ["crash"])
    assert res.exit_code == 2 and "Traceback" in res.stderr and "KeyError" in res.stderr


def test_usage_errors_stay_clicks_own() -> None:
    res = CliRunner().invoke(_app(), ["usage", "not-a-number"])
    assert res.exit_code == 2 and "Invalid value" in res.output


@pytest.mark.parametrize(("command", "transient", "kind"), [("transient", True, "_Throttled"),
                                                             ("terminal", False, "LakeforgeError"),
                                                             ("crash", False, "KeyError")])
def test_error_file_tells_a_runner_whether_to_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     command: str, transient: bool, kind: str) -> None:
    target = tmp_path / "error.json"
    monkeypatch.setenv("LAKEFORGE_ERROR_FILE", str(target))
    CliRunner().invoke(_app(), [command])
    payload = json.loads(target.read_text())
    assert payload["type"] == kind and payload["transient"] is transient
    if command == "transient":
        assert payload["fields"] == {"service": "kinesis"}
        assert payload["message"] == "service kinesis throttled us"


def test_the_lake_command_uses_the_boundary() -> None:
    from infra.cli.main import app

    res = CliRunner().invoke(app, ["--profile", "nosuch", "table", "history", "x"])
    assert res.exit_code == 1
    assert _stderr_lines(res) == ["error: unknown profile 'nosuch'; valid profiles: local, moto, s3"]
