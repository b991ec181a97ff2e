"""`earned run` on the refund agent through the CLI, durably on SQLite, on the committed data.

A refund above the auto limit waits durably for a reviewer: the run shows up in
`earned approvals list`, and once approved the refund is submitted and the run completes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from examples.refund_agent.orders import ORDERS_SOURCE, OrderDatabase

from earned.cli import main

ROOT = Path(__file__).resolve().parents[2]
AGENT = str(ROOT / "examples" / "refund_agent" / "agent.py")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EARNED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def _order_between(low: float, high: float) -> dict[str, Any]:
    for line in ORDERS_SOURCE.read_text().splitlines():
        order = json.loads(line)
        plain = order["sku"].startswith("STD") and "(" not in order["product_names"][0]
        fits = order["status"] == "delivered" and low < order["total"] <= high
        if plain and fits and order["region"] == "US":
            return order
    raise AssertionError("no such order in the committed data")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def _wait_for_pending(capsys: pytest.CaptureFixture[str], process: subprocess.Popen[str]) -> Any:
    """Poll `earned approvals list` until the run asks for approval (or the run ends)."""
    for _ in range(600):
        code, pending = _run(capsys, "approvals", "list", "--json")
        if code == 0 and pending:
            return pending
        if process.poll() is not None:
            raise AssertionError(f"the run ended without asking: {process.communicate()}")
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the run never asked for approval")


@pytest.mark.slow
def test_a_refund_above_the_auto_limit_waits_for_approval_then_is_submitted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    order = _order_between(25, 500)
    created = dt.date.fromisoformat(order["date"]) + dt.timedelta(days=5)
    ticket = {
        "ticket_id": "TCK-424242",
        "text": f"Hi, I'd like to return the {order['product_names'][0].lower()}, it just "
        "isn't for me. Can I get a refund?",
        "order_id": order["order_id"],
        "region": "US",
        "channel": "email",
        "customer_tier": "standard",
        "created_at": created.isoformat(),
    }
    (tmp_path / "ticket.json").write_text(json.dumps(ticket))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EARNED_USER": "agent-operator"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from earned.cli import run; run()", "run", f"{AGENT}:AGENT",
         "--input", "@ticket.json", "--stage", "conditional_auto", "--json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        (request,) = _wait_for_pending(capsys, process)
        assert request["tool"] == "submit_refund"
        assert request["arguments"] == {
            "order_id": order["order_id"],
            "amount": order["total"],
            "policy_citation": "refund_policy.section_3.1@2026-02-01",
        }
        code, _ = _run(
            capsys, "approvals", "approve", request["approval_id"], "--as", "rita",
            "--role", "reviewer", "--json",
        )  # fmt: skip
        assert code == 0
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    result = json.loads(out)
    assert result["status"] == "completed"
    assert result["output"]["decision"] == "approve"
    assert result["output"]["action"].startswith("refund submitted")
    orders = OrderDatabase(tmp_path / ".earned" / "refund_agent" / "orders.db")
    assert [(r["order_id"], r["amount"]) for r in orders.refunds()] == [
        (order["order_id"], order["total"])
    ]


@pytest.mark.slow
def test_a_billing_ticket_is_classified_and_routed(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _run(
        capsys, "run", f"{AGENT}:AGENT", "--text", "I was charged twice for my last order.",
        "--json",
    )  # fmt: skip
    assert (code, result["status"]) == (0, "completed")
    assert result["output"]["class"] == "billing"
    assert result["decisions"] == []


def test_the_tool_table_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, rows = _run(capsys, "tools", f"{AGENT}:AGENT", "--json")
    assert code == 0
    assert [r["name"] for r in rows] == [
        "get_order_summary",
        "get_refund_policy",
        "create_refund_recommendation",
        "submit_refund",
    ]


def test_policy_check_with_the_agent_knows_its_python_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy = str(ROOT / "examples" / "refund_agent" / "policy.yaml")
    assert main(["policy", "check", policy]) == 2  # alone, `exact_policy_match` is unknown
    assert "unknown check 'exact_policy_match'" in capsys.readouterr().err
    assert main(["policy", "check", policy, "--agent", f"{AGENT}:AGENT", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    auto = next(r for r in rules if r["id"] == "auto-small-refunds")
    assert auto["predicate"] == "exact_policy_match"
