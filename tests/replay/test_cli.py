"""`earned shadow run` and `earned replay`: reports, --json, exit codes, clear errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from earned.models import allow_model_requests
from earned.testing import respond, tool_call
from earned.testing.model_server import ModelServer
from tests.cli_runner import run
from tests.replay.agents import effects, payout_agent, refund_agent
from tests.replay.conftest import GOLDEN, golden, record

REFUND = "tests.replay.agents:refund_agent"
PAYOUT = "tests.replay.agents:payout_agent"


@pytest.fixture(autouse=True)
def _database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARNED_DATABASE_URL", database_url)
    monkeypatch.delenv("EARNED_AGENT", raising=False)


def _payout_run(database_url: str) -> str:
    (run_id,) = asyncio.run(
        record(database_url, payout_agent(), [{"order_id": "ord_1"}],
               decide=lambda i, a: ("approve", 0))
    )  # fmt: skip
    return run_id


def test_shadow_on_a_dataset_reports_agreement_per_class_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["shadow", "run", "submit_refund", "--from", str(GOLDEN), "--split", "test",
            "--limit", "40", "--agent", REFUND]  # fmt: skip
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["cases"], report["labelled"], report["executed_writes"]) == (40, 40, 0)
    assert report["capability"] == "submit_refund"
    assert {c["class"] for c in report["per_class"]} <= {
        "account", "billing", "other", "refund", "technical",
    }  # fmt: skip
    assert sum(c["cases"] for c in report["per_class"]) == 40
    assert report["agreement"] == report["agreed"] / 40
    assert all(r["run_id"].startswith("shadow_") for r in report["results"])
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "agreement per class" in out
    assert "human \\ agent" in out
    assert "writes simulated" in out
    assert "executed 0" in out


def test_shadow_on_traces_names_the_original_trace_of_each_disagreement(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = golden(decision="approve")[:2]
    recorded = asyncio.run(
        record(
            database_url,
            refund_agent(),
            [c["input"] for c in cases],
            decide=lambda i, a: ("approve", None) if i == 0 else ("reject", "no"),
        )
    )
    code, out, _ = run(
        capsys, "shadow", "run", "submit_refund", "--from", "traces", "--agent", REFUND, "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert report["labelled"] == 2
    assert report["agreed"] == 1
    (disagreement,) = report["disagreements"]
    assert disagreement["source_run_id"] == recorded[1]
    assert (disagreement["human"], disagreement["agent"]) == ("decline", "approve")
    assert disagreement["human_source"] == "approval"


def test_replay_of_a_trace_with_the_same_agent_is_identical_and_exits_0(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _payout_run(database_url)
    code, out, _ = run(capsys, "replay", run_id, "--agent", PAYOUT, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["identical"] is True
    assert result["original_run_id"] == run_id
    assert (result["calls_served"], result["calls_recorded"]) == (2, 2)
    code, out, _ = run(capsys, "replay", "run", run_id, "--agent", PAYOUT)
    assert code == 0
    assert f"replayed {run_id} as replay_" in out
    assert ": identical" in out


def test_replay_with_another_prompt_shows_the_diff_and_exits_1(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    run_id = _payout_run(database_url)
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Look the order up, then be generous.")
    code, out, _ = run(
        capsys, "replay", run_id, "--agent", PAYOUT, "--prompt", f"@{prompt}", "--json"
    )
    assert code == 1
    result = json.loads(out)
    assert [d["kind"] for d in result["divergences"]] == ["unrecorded_call", "unused_recorded_call"]
    (change,) = result["diff"]["calls"]
    assert change["fields"]["amount"] == [40.0, 80.0]
    code, out, _ = run(capsys, "replay", run_id, "--agent", PAYOUT, "--prompt", f"@{prompt}")
    assert code == 1
    assert "DIFFERENT" in out
    assert "divergences (never executed)" in out
    assert [e["amount"] for e in effects()] == [40.0]


def test_replay_on_another_model_over_http(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _payout_run(database_url)
    script = [
        respond(tool_calls=[tool_call("lookup", {"order_id": "ord_1"}, id="c1")]),
        respond(tool_calls=[tool_call("escalate_case", {"order_id": "ord_1"}, id="c2")]),
        respond("handed over"),
    ]
    with ModelServer(script) as server, allow_model_requests():
        code, out, _ = run(
            capsys, "replay", run_id, "--agent", PAYOUT, "--model", server.openai_spec(), "--json"
        )
    assert code == 1
    result = json.loads(out)
    assert [(c["change"], c["tool"]) for c in result["diff"]["calls"]] == [
        ("removed", "pay"),
        ("added", "escalate_case"),
    ]
    assert result["diff"]["output"] == {"(output)": ["done", "handed over"]}
    assert len(server.requests) == 3


def test_batch_replay_summarises_every_run_it_finds(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _payout_run(database_url)
    second = _payout_run(database_url)
    code, out, _ = run(capsys, "replay", "batch", "--agent", PAYOUT, "--agent-name", "payout",
                       "--json")  # fmt: skip
    assert code == 0
    batch = json.loads(out)
    assert (batch["replayed"], batch["identical"], batch["diverged"]) == (2, 2, 0)
    assert {r["original_run_id"] for r in batch["results"]} == {first, second}
    code, out, _ = run(capsys, "replay", "batch", "--agent", PAYOUT, "--prompt", "be generous")
    assert code == 1
    assert "2 replayed: 0 identical, 2 with divergences" in out


def test_user_errors_say_what_to_fix_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "replay", "run_nope", "--agent", PAYOUT)
    assert code == 2
    assert "no trace 'run_nope'" in err
    code, _, err = run(capsys, "replay", "run_nope")
    assert code == 2
    assert "pass --agent MODULE:ATTR" in err
    code, out, _ = run(capsys, "shadow", "run", "x", "--from", "missing.jsonl", "--agent",
                       PAYOUT, "--json")  # fmt: skip
    assert code == 2
    assert json.loads(out)["error"]["fix"] == "pass PATH.jsonl (a dataset) or `traces`"
    code, _, err = run(capsys, "shadow", "run", "x", "--from", "traces", "--agent", PAYOUT,
                       "--compare", "mood")  # fmt: skip
    assert code == 2
    assert "--compare must be decision or class" in err
