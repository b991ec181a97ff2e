"""The `earned` command: complete help, JSON everywhere, clear errors, no stack traces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earned import __version__
from tests.cli_runner import run

POLICY = """\
version: 1
name: echo
rules:
  - id: echo
    effect: allow
    tools: [echo]
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EARNED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("demo", "run", "runs", "tools", "policy", "version"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "version")[1].startswith(f"earned {__version__}")
    code, out, _ = run(capsys, "version", "--json")
    assert (code, json.loads(out)["earned"]) == (0, __version__)


@pytest.mark.slow
def test_run_prints_json_and_exits_by_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "run", "tests.cli.cli_agents:ECHO", "--input", '{"text": "hi"}', "--json"
    )
    result = json.loads(out)
    assert (code, result["status"], result["output"]) == (0, "completed", {"echo": "hi"})
    assert result["decisions"][0]["rule_id"] == "echo"
    code, out, _ = run(
        capsys, "run", "tests.cli.cli_agents:make_echo", "--text", "escalate", "--json"
    )
    assert (code, json.loads(out)["status"]) == (3, "escalated")
    code, out, _ = run(capsys, "runs", "list", "--json")
    assert len(json.loads(out)) == 2
    run_id = result["run_id"]
    code, out, _ = run(capsys, "runs", "show", run_id, "--json")
    assert json.loads(out)["output"] == {"echo": "hi"}
    code, out, _ = run(capsys, "runs", "show", run_id)
    assert run_id in out
    assert "completed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "tests.cli.cli_agents"], "write MODULE:ATTR"),
        (["run", "tests.cli.cli_agents:NOPE"], "has no attribute 'NOPE'"),
        (["run", "tests.cli.cli_agents:NOT_AN_AGENT"], "not an earned Agent"),
        (["run", "no_such_module:x"], "cannot import 'no_such_module'"),
        (["run", "tests.cli.cli_agents:ECHO", "--input", "{bad"], "not valid JSON"),
        (["run", "tests.cli.cli_agents:ECHO", "--model", "gpt4"], "cannot read model 'gpt4'"),
        (["runs", "show", "run_missing"], "no run 'run_missing'"),
    ],
)
def test_user_errors_say_what_to_fix_without_a_traceback(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    code, out, _ = run(capsys, *args, "--json")
    assert code == 2
    assert message in json.loads(out)["error"]["message"]


def test_usage_errors_come_from_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", "tests.cli.cli_agents:ECHO", "--stage", "yolo")
    assert code == 2
    assert "yolo" in err


def test_tools_prints_the_tool_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tools", "tests.cli.cli_agents:ECHO", "--json")
    row = json.loads(out)[0]
    assert (code, row["name"], row["risk"], row["allowed_use"]) == (
        0,
        "echo",
        "read",
        "Echo text back",
    )
    code, out, _ = run(capsys, "tools", "tests.cli.cli_agents:ECHO")
    assert "Echo text back" in out


def test_policy_check_reports_the_line_and_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "policy.yaml"
    good.write_text(POLICY)
    code, out, _ = run(
        capsys, "policy", "check", str(good), "--agent", "tests.cli.cli_agents:ECHO", "--json"
    )
    assert (code, json.loads(out)["rules"][0]["id"]) == (0, "echo")
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("tools: [echo]", "tools: [ecko]"))
    code, _, err = run(capsys, "policy", "check", str(bad), "--agent", "tests.cli.cli_agents:ECHO")
    assert code == 2
    assert f"{bad}:6: unknown tool 'ecko'" in err
    assert "did you mean 'echo'" in err


def test_unexpected_errors_are_reported_as_bugs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import earned.cli._app as app

    def boom() -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(app, "version_command", boom)
    code, _, err = run(capsys, "version")
    assert code == 1
    assert "internal error: RuntimeError: kaboom" in err
    assert "EARNED_DEBUG=1" in err
