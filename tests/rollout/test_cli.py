"""`earned matrix`, `earned flags ...`, `earned rollout ...`: tables for people, JSON for CI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from earned.store import AuditLog, Database
from tests.cli_runner import run
from tests.rollout.evidence import denied, eval_run, spans

MATRIX = """\
version: 1
name: helpdesk
owner: support
capabilities:
  - name: payments
    owner: finance
    stage: shadow
    required_eval: gates.yaml
    tools: [pay]
    max_risk: irreversible
    rollback: Keep approval required
    fallback_stage: shadow
    stop_conditions:
      - id: unauthorized
        count: unauthorized
        above: 0
  - name: notes
    owner: support
    stage: assist
    required_eval: gates.yaml
    tools: [note]
    max_risk: internal_write
    rollback: Hide notes
"""

GATES = """\
version: 1
capability: payments
owner: finance
gates:
  - eval: tool_selection
    minimum: 98%
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Database) -> Database:
    (tmp_path / "capabilities.yaml").write_text(MATRIX)
    (tmp_path / "gates.yaml").write_text(GATES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EARNED_DATABASE_URL", db.url)
    monkeypatch.setenv("EARNED_USER", "alice")
    monkeypatch.setenv("COLUMNS", "250")
    return db


def test_matrix_prints_seed_000s_table_from_live_state(
    project: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "matrix")
    assert code == 0
    for words in (
        "payments",
        "finance",
        "shadow",
        "gates.yaml",
        "no run yet",
        "irreversible",
        "Keep approval required",
        "on",
    ):
        assert words in out
    eval_run(project, Path("gates.yaml"), verdict="passed", at=time.time())
    code, out, _ = run(capsys, "matrix", "--json")
    data = json.loads(out)
    payments = next(c for c in data["capabilities"] if c["capability"] == "payments")
    assert (payments["stage"], payments["eval"]["passed"], payments["enabled"]) == (
        "shadow",
        True,
        True,
    )
    assert payments["permission"] == {"max_risk": "irreversible", "tools": ["pay"]}
    assert data["matrix"].startswith("helpdesk@")


def test_flags_list_set_and_kill_are_audited(
    project: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "flags", "kill", "payments", "--reason", "incident 42", "--json")
    assert code == 0
    assert json.loads(out)["flag"] == {
        **json.loads(out)["flag"],
        "flag": "payments/enabled",
        "enabled": False,
        "updated_by": "alice",
    }
    run(capsys, "flags", "set", "write_tools_enabled", "off")
    run(capsys, "flags", "kill")  # the whole agent
    _, out, _ = run(capsys, "flags", "list", "--json")
    values = {f["flag"]: f["enabled"] for f in json.loads(out)["flags"]}
    assert values["payments/enabled"] is False
    assert values["write_tools_enabled"] is False
    assert values["agent_enabled"] is False
    assert values["notes/enabled"] is True
    entries = AuditLog(project).list(action="rollout.flag")
    assert [(e.target, e.before, e.after) for e in entries][-1] == ("payments/enabled", True, False)


def test_bad_flag_input_is_a_clear_error(
    project: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "flags", "set", "write_tools_enabled", "maybe")
    assert (code, "a flag is `on` or `off`" in err) == (2, True)
    code, out, _ = run(capsys, "flags", "set", "nope", "on", "--json")
    assert code == 2
    assert "known: agent_enabled" in json.loads(out)["error"]["message"]


def test_promote_explains_every_unmet_gate_and_exits_1(
    project: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "rollout", "promote", "payments")
    assert code == 1
    assert "eval" in out
    assert "FAIL" in out
    assert "not promoted: 1 gate(s) unmet" in out
    eval_run(project, Path("gates.yaml"), verdict="passed", at=time.time())
    code, out, _ = run(capsys, "rollout", "promote", "payments", "--dry-run", "--json")
    assert (code, json.loads(out)["allowed"], json.loads(out)["promoted"]) == (0, True, False)
    code, out, _ = run(capsys, "rollout", "promote", "payments", "--json")
    data = json.loads(out)
    assert (code, data["promoted"], data["to"]) == (0, True, "assist")
    code, _, err = run(capsys, "rollout", "promote", "payments", "--to", "beta")
    assert code == 2
    assert "no stage 'beta'" in err


def test_rollback_and_check(project: Database, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rollout", "rollback", "notes", "--json")
    assert (code, json.loads(out)["state"]["stage"]) == (0, "shadow")
    eval_run(project, Path("gates.yaml"), verdict="passed", at=time.time())
    run(capsys, "rollout", "promote", "payments")
    spans(project, denied("pay", time.time() - 5))
    code, out, _ = run(capsys, "rollout", "check", "--no-demote", "--json")
    assert (code, json.loads(out)["demotions"]) == (1, [])
    code, out, _ = run(capsys, "rollout", "check")
    assert code == 1
    assert "demoted payments: assist -> shadow (unauthorized)" in out


def test_a_missing_matrix_says_where_it_looked(
    project: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "matrix", "--matrix", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no capability matrix at" in err
    assert "--matrix PATH" in err
