"""`earned release check|attest` and `earned audit`: the release review and the audit log.

`release check` exits 0 when every item passes, 1 otherwise, 2 on bad input; `--json`
prints the report. `release attest` records who checked what. `audit` lists the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from earned.store import Database
from tests.cli_runner import run
from tests.rollout.release_support import (
    ATTESTED,
    REGRESSION,
    add_review,
    adversarial,
    pin_prompt,
    run_evals,
    run_live,
    write_matrix,
)

AGENT = "tests.rollout.release_support:shop_agent"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("EARNED_DATABASE_URL", "EARNED_MATRIX", "EARNED_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def check(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "release", "check", "notes", "--agent", AGENT, "--json", *extra)
    return code, json.loads(out)


def test_check_fails_with_exit_1_and_says_what_to_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_matrix(tmp_path)
    code, report = check(capsys)
    assert code == 1
    assert report["passed"] is False
    by_id = {i["id"]: i for i in report["items"]}
    assert by_id["teams_informed"]["status"] == "missing_attestation"
    assert by_id["owner"]["status"] == "pass"
    code, out, _ = run(capsys, "release", "check", "notes", "--agent", AGENT)
    assert code == 1
    assert "missing attestation" in out
    assert "earned release attest notes teams_informed" in out
    assert "items do not pass" in out


def test_attest_records_who_checked_what_and_the_item_then_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_matrix(tmp_path)
    code, out, _ = run(
        capsys,
        "release",
        "attest",
        "notes",
        "teams_informed",
        "--note",
        "Support briefed",
        "--as",
        "ana",
        "--json",
    )
    assert code == 0
    found = json.loads(out)
    assert (found["item"], found["attested_by"], found["note"]) == (
        "teams_informed",
        "ana",
        "Support briefed",
    )
    by_id = {i["id"]: i for i in check(capsys)[1]["items"]}
    assert by_id["teams_informed"]["status"] == "pass"
    assert by_id["teams_informed"]["attestation"]["attested_by"] == "ana"
    code, out, _ = run(capsys, "release", "attest", "notes", "ownership_escalation", "--note", "x")
    assert code == 0
    assert out.startswith("attested ownership_escalation for notes")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["release", "check", "nope", "--agent", AGENT], "no capability 'nope'"),
        (["release", "check", "notes", "--max-age-days", "0"], "--max-age-days must be above 0"),
        (["release", "check", "notes", "--matrix", "missing.yaml"], "no capability matrix"),
        (["release", "check", "notes", "--checklist", "missing.yaml"], "cannot read the checklist"),
        (["release", "check", "notes", "--agent", "nowhere:agent"], "cannot import 'nowhere'"),
        (
            ["release", "attest", "notes", "trace_coverage", "--note", "trust me"],
            "checked automatically",
        ),
        (["release", "attest", "notes", "bogus", "--note", "x"], "no checklist item 'bogus'"),
        (["audit", "--since", "yesterday"], "cannot read --since 'yesterday'"),
        (["audit", "--limit", "0"], "--limit must be between 1 and 1000"),
    ],
)
def test_bad_input_exits_2_with_the_fix_and_no_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], words: str
) -> None:
    write_matrix(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == 2
    assert words in err
    assert "Traceback" not in out + err
    code, out, _ = run(capsys, *args, "--json")
    assert code == 2
    assert words in json.loads(out)["error"]["message"]


def test_attest_needs_a_note(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write_matrix(tmp_path)
    code, _, err = run(capsys, "release", "attest", "notes", "teams_informed")
    assert code == 2
    assert "--note" in err


def test_the_agents_of_the_evals_yaml_next_to_the_matrix_are_checked_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_matrix(tmp_path)
    code, out, _ = run(capsys, "release", "check", "notes", "--json")
    assert code == 1
    items = {i["id"]: i for i in json.loads(out)["items"]}
    assert items["tool_schemas_tested"]["evidence"].startswith("no agent was given")
    (tmp_path / "evals.yaml").write_text(
        f"version: 1\ncapabilities:\n  notes:\n    agent: {AGENT}\n    gates: gates.yaml\n"
        "suites:\n  regression: regression.jsonl\n"
    )
    _, out, _ = run(capsys, "release", "check", "notes", "--json")
    items = {i["id"]: i for i in json.loads(out)["items"]}
    assert items["tool_schemas_tested"]["status"] == "pass"


async def test_check_exits_0_when_every_item_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    db = Database(f"sqlite:///{tmp_path / '.earned' / 'earned.db'}")
    db.upgrade()
    await run_live(db, matrix)
    await run_evals(db, matrix, REGRESSION, adversarial())
    pin_prompt(db, "notes")
    add_review(db, "notes")
    db.close()
    for item in ATTESTED:
        assert run(capsys, "release", "attest", "notes", item, "--note", "checked")[0] == 0
    code, report = check(capsys)
    assert [i["id"] for i in report["items"] if i["status"] != "pass"] == []
    assert code == 0
    code, out, _ = run(capsys, "release", "check", "notes", "--agent", AGENT)
    assert code == 0
    assert "every item passes" in out


def test_audit_lists_the_log_newest_first_with_filters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_matrix(tmp_path)
    for item, who in (("teams_informed", "ana"), ("ownership_escalation", "bo")):
        run(capsys, "release", "attest", "notes", item, "--note", f"{item} ok", "--as", who)
    code, out, _ = run(capsys, "audit", "--json")
    entries = json.loads(out)["entries"]
    assert code == 0
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("bo", "release.attest", "notes"),
        ("ana", "release.attest", "notes"),
    ]
    assert entries[0]["after"] == {
        "item": "ownership_escalation",
        "note": "ownership_escalation ok",
    }

    def ids(*args: str) -> list[str]:
        return [e["actor"] for e in json.loads(run(capsys, "audit", "--json", *args)[1])["entries"]]

    assert ids("--actor", "ana") == ["ana"]
    assert ids("--action", "release.*") == ["bo", "ana"]
    assert ids("--action", "rollout.*") == []
    assert ids("--target", "notes", "--limit", "1") == ["bo"]
    assert ids("--since", "1h") == ["bo", "ana"]
    assert ids("--since", "2999-01-01") == []
    code, out, _ = run(capsys, "audit", "--action", "release.*")
    assert code == 0
    assert "release.attest" in out
    assert "ownership_escalation ok" in out
    code, out, _ = run(capsys, "audit", "--actor", "nobody")
    assert "no audit entries match" in out
