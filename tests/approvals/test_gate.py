"""A run that needs a human waits durably for a decision bound to the exact call."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from earned.approvals import ApprovalRequest, ApprovalSettings
from earned.runtime import Engine, Principal
from tests.approvals.refund_agent import AGENT, effects

FAST = ApprovalSettings(timeout=60, poll_interval=0.5)
REQUESTER = Principal(user="alice", role="operator", tenant="acme")


async def pending(engine: Engine, run_id: str) -> ApprovalRequest:
    for _ in range(400):  # bounded: the run reaches its approval step within a few steps
        found = engine.approvals.list(run_id=run_id)
        if found:
            return found[0]
        await asyncio.sleep(0.025)
    raise AssertionError(f"run {run_id} never asked for approval")


async def start(engine: Engine, **ticket: Any) -> Any:
    return await engine.start(AGENT, {"order_id": "ord_7", **ticket}, principal=REQUESTER,
                              stage="approval_required")  # fmt: skip


@pytest.mark.slow
async def test_the_run_waits_then_an_approval_runs_the_exact_call_once(database_url: str) -> None:
    async with Engine([AGENT], database_url=database_url, approval_settings=FAST) as engine:
        handle = await start(engine)
        record = await engine.settle(handle.run_id)
        assert record.status == "waiting_approval"
        request = await pending(engine, handle.run_id)
        assert request.summary == "submit_refund(order_id='ord_7', amount=120.0)"
        assert request.targets == {"order_id": "ord_7"}
        assert request.reason == "the order arrived damaged (policy 3.2)"
        assert (request.rule_id, request.approvers) == (
            "tool-default:submit_refund",
            ["reviewer", "owner"],
        )
        assert (request.capability, request.stage, request.requester, request.tenant) == (
            "submit_refund",
            "approval_required",
            "alice",
            "acme",
        )
        assert [t["tool"] for t in request.context["tried"]] == ["get_order"]
        assert request.context["gathered"][0]["tool"] == "get_order"
        assert effects() == []

        engine.approvals.approve(request.approval_id, actor="bob", role="reviewer", tenant="acme")
        result = await handle.result()
        assert result.status == "completed", result.error
        assert result.output["refund_id"] == "ref_ord_7"
        assert len(effects()) == 1
        final = engine.approvals.get(request.approval_id)
        assert final.status == "consumed"
        kinds = [e.kind for e in engine.approvals.history(request.approval_id)]
        assert kinds == ["requested", "decided", "reserved", "consumed"]
        entry = engine.services.ledger.get(effects()[0]["key"])
        assert entry.state == "committed"
        engine.spans.flush()
        approval_spans = [s for s in engine.spans.spans(handle.run_id) if s.kind == "approval"]
        assert approval_spans[0].status == "approved"
        assert approval_spans[0].attributes["decided_by"] == "bob"


@pytest.mark.slow
async def test_a_rejection_reaches_the_workflow_and_nothing_runs(database_url: str) -> None:
    async with Engine([AGENT], database_url=database_url, approval_settings=FAST) as engine:
        handle = await start(engine)
        request = await pending(engine, handle.run_id)
        engine.approvals.reject(request.approval_id, actor="bob", role="reviewer",
                                reason="customer already got a replacement")  # fmt: skip
        result = await handle.result()
    assert result.status == "completed"
    assert result.output["refunded"] is False
    assert "customer already got a replacement" in result.output["why"]
    assert effects() == []


@pytest.mark.slow
async def test_approving_with_edited_arguments_runs_the_edit(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    async with Engine([AGENT], database_url=url, approval_settings=FAST) as engine:
        handle = await start(engine)
        request = await pending(engine, handle.run_id)
        decided = engine.approvals.approve(
            request.approval_id, actor="bob", role="reviewer",
            arguments={"order_id": "ord_7", "amount": 60.0}, reason="partial refund: one item",
        )  # fmt: skip
        assert decided.decision == "approve_edited"
        assert decided.approved_digest != request.arguments_digest
        result = await handle.result()
    assert result.output["amount"] == 60.0
    assert [e["amount"] for e in effects()] == [60.0]


@pytest.mark.slow
async def test_no_decision_before_the_deadline_escalates_never_approves(tmp_path: Any) -> None:
    settings = ApprovalSettings(timeout=0.3, poll_interval=0.1)
    async with Engine([AGENT], database_url=f"sqlite:///{tmp_path}/t.db",
                      approval_settings=settings) as engine:  # fmt: skip
        result = await (await start(engine)).result()
        expired = engine.approvals.list(status="expired")
    assert result.status == "escalated"
    assert result.escalation is not None
    assert "nobody decided" in result.escalation.reason
    assert len(expired) == 1
    assert effects() == []


@pytest.mark.slow
async def test_the_safe_default_can_be_reject(tmp_path: Any) -> None:
    settings = ApprovalSettings(timeout=0.3, poll_interval=0.1, on_timeout="reject")
    async with Engine([AGENT], database_url=f"sqlite:///{tmp_path}/r.db",
                      approval_settings=settings) as engine:  # fmt: skip
        result = await (await start(engine)).result()
    assert (result.status, result.output["refunded"]) == ("completed", False)
    assert "no decision before the deadline" in result.output["why"]
