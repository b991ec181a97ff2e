"""`earned versions`: list, show, diff, record, pin, canary, promote, rollback, history and
compare, in JSON and in tables, with clear errors (exit 2) that say what to do."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from earned.cli import main
from earned.rollout import VersionStore
from earned.rollout._resolve import record_agent
from earned.runtime import Principal, RunResult
from earned.store import Database, RunStore
from tests.rollout.versions_agents import CAPABILITY, PROMPT_V1, PROMPT_V2, triage_agent


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project database in which the triage agent was seen at launch."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("EARNED_USER", "alice")
    database = f"sqlite:///{tmp_path / 'earned.db'}"
    monkeypatch.setenv("EARNED_DATABASE_URL", database)
    db = Database(database)
    db.upgrade()
    record_agent(VersionStore(db), triage_agent())
    db.close()
    return database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["versions", *args])
    out, err = capsys.readouterr()
    data = json.loads(out) if "--json" in args and out.strip() else out
    return code, data, err


def test_record_list_show_and_diff(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    prompt = tmp_path / "prompt.txt"
    prompt.write_text(PROMPT_V2)
    code, v2, _ = run(
        capsys, "record", "prompt", "triage_bot", "--file", str(prompt), "-m", "cite", "--json"
    )
    assert (code, v2["author"], v2["message"], v2["kind"]) == (0, "alice", "cite", "prompt")

    code, listed, _ = run(capsys, "list", "--json")
    assert code == 0
    assert [(v["kind"], v["summary"]) for v in listed if v["kind"] == "prompt"] == [
        ("prompt", PROMPT_V2),
        ("prompt", PROMPT_V1),
    ]
    assert "agent" not in {v["kind"] for v in listed}  # agent records only with --all
    assert "agent" in {v["kind"] for v in run(capsys, "list", "--all", "--json")[1]}

    code, shown, _ = run(capsys, "show", v2["short"][:6], "--json")
    assert (code, shown["content"], shown["pinned_by"]) == (0, PROMPT_V2, [])
    code, diff, _ = run(capsys, "diff", v2["short"], "--json")  # against the one before it
    assert code == 0
    assert f"-{PROMPT_V1}\n+{PROMPT_V2}\n" in diff["diff"]
    code, text, _ = run(capsys, "diff", v2["short"])
    assert code == 0
    assert PROMPT_V2 in text


def test_pin_canary_promote_rollback_and_history(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = run(capsys, "list", "--kind", "prompt", "--json")[1][0]["short"]
    v2 = run(capsys, "record", "prompt", "triage_bot", "--content", PROMPT_V2, "--json")[1]["short"]

    code, pinned, _ = run(capsys, "pin", CAPABILITY, v1, "--reason", "baseline", "--json")
    assert (code, pinned["pin"]["digest"][:12], pinned["pin"]["updated_by"]) == (0, v1, "alice")
    code, canary, _ = run(
        capsys, "canary", CAPABILITY, v2, "--percent", "5", "--by", "user", "--as", "bob", "--json"
    )
    assert code == 0
    assert (canary["pin"]["canary_percent"], canary["pin"]["canary_by"]) == (5, "user")
    code, table, _ = run(capsys, "pins")
    assert code == 0
    assert f"{v2} at 5% by user" in table

    code, promoted, _ = run(capsys, "promote", CAPABILITY, "prompt", "--reason", "better", "--json")
    assert (code, promoted["pin"]["digest"][:12], promoted["pin"]["canary_digest"]) == (0, v2, None)
    code, back, _ = run(capsys, "rollback", CAPABILITY, "prompt", "--reason", "worse", "--json")
    assert (code, back["pin"]["digest"][:12]) == (0, v1)
    code, out, _ = run(capsys, "rollback", CAPABILITY, "prompt")
    assert code == 0
    assert "no longer pins a prompt" in out

    code, history, _ = run(capsys, "history", CAPABILITY, "prompt", "--json")
    assert code == 0
    assert [(e["action"], e["actor"], e["reason"]) for e in history] == [
        ("versions.pin", "alice", "baseline"),
        ("versions.canary", "bob", None),
        ("versions.promote", "alice", "better"),
        ("versions.rollback", "alice", "worse"),
        ("versions.rollback", "alice", None),
    ]


def test_errors_say_what_to_do_and_exit_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = run(capsys, "list", "--kind", "prompt", "--json")[1][0]["short"]
    code, error, _ = run(capsys, "show", "abcdef", "--json")
    assert code == 2
    assert error["error"]["type"] == "VersionNotFound"
    assert error["error"]["details"]["close_matches"]
    code, _, err = run(capsys, "pin", "triag", v1)
    assert code == 2
    assert "no capability 'triag' is known; known: triage" in err
    model = run(capsys, "list", "--kind", "model", "--json")[1][0]["short"]
    code, _, err = run(capsys, "canary", CAPABILITY, model, "--percent", "5")
    assert code == 2
    assert "pin the baseline first" in err
    assert f"earned versions pin {CAPABILITY} {model}" in err
    code, _, err = run(capsys, "record", "prompt", "x")
    assert code == 2
    assert "--file PATH" in err
    assert "Traceback" not in err


START = time.time() - 3600


def _finish(runs: RunStore, i: int, *, variant: str, pins: str, status: str, cost: float) -> None:
    runs.finish(
        RunResult(
            run_id=f"run_{variant}_{i}",
            agent="triage_bot",
            status=status,  # type: ignore[arg-type]
            cost=cost,
            capability=CAPABILITY,
            principal=Principal(tenant=f"t{i}"),
            versions={"variant": variant, "pins": pins},
            started_at=START + i,
            ended_at=START + i + (1 + i % 10),
        )
    )


def test_compare_shows_pinned_and_canary_side_by_side(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = run(capsys, "list", "--kind", "prompt", "--json")[1][0]["short"]
    v2 = run(capsys, "record", "prompt", "triage_bot", "--content", PROMPT_V2, "--json")[1]["short"]
    run(capsys, "pin", CAPABILITY, v1)
    run(capsys, "canary", CAPABILITY, v2, "--percent", "10")
    db = Database(url)
    runs = RunStore(db)
    for i in range(20):
        _finish(runs, i, variant="pinned", pins=f"prompt:{v1}", status="completed", cost=0.01)
    for i in range(4):
        status = "completed" if i < 3 else "escalated"
        _finish(runs, i, variant="canary", pins=f"prompt:{v2}", status=status, cost=0.02)
    _finish(runs, 99, variant="pinned", pins="prompt:000000000000", status="failed", cost=0.0)
    db.close()

    code, report, _ = run(capsys, "compare", CAPABILITY, "--window", "2h", "--json")
    assert code == 0
    arms = {a["arm"]: a for a in report["arms"]}
    assert set(arms) == {"pinned", "canary", "earlier"}
    assert (arms["pinned"]["runs"], arms["canary"]["runs"], arms["earlier"]["runs"]) == (20, 4, 1)
    assert arms["pinned"]["completion_rate"] == 1.0
    assert (arms["canary"]["completion_rate"], arms["canary"]["escalation_rate"]) == (0.75, 0.25)
    assert arms["canary"]["cost_per_run"] == pytest.approx(0.02)
    assert arms["pinned"]["latency_p95"] == 10.0  # 20 runs of 1-10 s: rank 19 is 10 s
    assert arms["earlier"]["error_rate"] == 1.0

    code, text, _ = run(capsys, "compare", CAPABILITY, "--window", "2h")
    assert code == 0
    assert "completion" in text
    assert "75.0%" in text
    assert "100.0%" in text
    code, _, err = run(capsys, "compare", CAPABILITY, "--window", "forever")
    assert code == 2
    assert "cannot read the window" in err
