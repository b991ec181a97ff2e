"""The ledger: intended before, committed after; unknown outcomes reconciled or escalated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from earned.approvals import Ledger
from earned.errors import SemanticToolError, TransientToolError
from earned.policy import Policy, Rule
from earned.runtime import Engine, RunContext, Workflow
from earned.store import Database
from earned.tools import ToolContext, tool

EXECUTED: list[str] = []
FOUND: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    EXECUTED.clear()
    FOUND.clear()
    return


@tool(risk="external_write", timeout=5)
def send_email(ctx: ToolContext, to: str) -> dict[str, Any]:
    """Send an email."""
    EXECUTED.append(to)
    if to == "timeout@x":
        raise TransientToolError("the mail server timed out after accepting the message")
    if to == "bad@x":
        raise SemanticToolError("no such mailbox", to=to)
    return {"sent": to}


@tool(risk="external_write")
def post_webhook(ctx: ToolContext, url: str) -> dict[str, Any]:
    """Post a webhook (no reconcile check declared)."""
    EXECUTED.append(url)
    raise TransientToolError("connection reset")


@send_email.reconciler
def find_email(ctx: ToolContext, to: str) -> dict[str, Any] | None:
    return FOUND.get(to)


async def flow(ctx: RunContext, target: dict[str, str]) -> Any:
    tool_name, arg = next(iter(target.items()))
    return await ctx.call_tool(tool_name, {"to" if tool_name == "send_email" else "url": arg})


AGENT = Workflow(
    "ledgered",
    flow,
    tools=[send_email, post_webhook],
    policy=Policy([Rule.build("all", "allow", tools=["*"])]),
)


async def run(url: str, target: dict[str, str]) -> Any:
    async with Engine([AGENT], database_url=url) as engine:
        result = await engine.run(AGENT, target)
        return result, Ledger(Database(url)).list(run_id=result.run_id)


@pytest.mark.slow
async def test_a_write_that_returned_is_committed(database_url: str) -> None:
    result, entries = await run(database_url, {"send_email": "ok@x"})
    assert result.status == "completed"
    assert [(e.state, e.tool, e.attempts) for e in entries] == [("committed", "send_email", 1)]
    assert entries[0].result == {"sent": "ok@x"}
    assert entries[0].idempotency_key.startswith("idem_")


async def test_a_semantic_failure_took_no_effect(tmp_path: Any) -> None:
    result, entries = await run(f"sqlite:///{tmp_path}/l.db", {"send_email": "bad@x"})
    assert result.status == "failed"
    assert [e.state for e in entries] == ["failed"]


async def test_a_transient_failure_of_a_write_is_reconciled_not_retried(tmp_path: Any) -> None:
    FOUND["timeout@x"] = {"sent": "timeout@x"}  # the server did accept it
    result, entries = await run(f"sqlite:///{tmp_path}/l.db", {"send_email": "timeout@x"})
    assert result.status == "completed"
    assert result.output == {"sent": "timeout@x"}
    assert EXECUTED == ["timeout@x"]  # never repeated
    assert [e.state for e in entries] == ["reconciled"]


async def test_reconcile_finding_nothing_means_the_call_took_no_effect(tmp_path: Any) -> None:
    result, entries = await run(f"sqlite:///{tmp_path}/l.db", {"send_email": "timeout@x"})
    assert result.status == "failed"  # the workflow did not catch the transient error
    assert [e.state for e in entries] == ["failed"]
    assert EXECUTED == ["timeout@x"]


async def test_an_unknown_outcome_without_a_reconcile_check_escalates(tmp_path: Any) -> None:
    result, entries = await run(f"sqlite:///{tmp_path}/l.db", {"post_webhook": "https://h"})
    assert result.status == "escalated"
    assert result.escalation is not None
    assert "may or may not have taken effect" in result.escalation.reason
    assert result.escalation.details["idempotency_key"] == entries[0].idempotency_key
    assert [e.state for e in entries] == ["escalated"]


def test_the_ledger_moves_only_along_its_states(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path}/m.db")
    db.upgrade()
    ledger = Ledger(db)
    created, entry = ledger.begin(
        "k1",
        run_id="r",
        call_id="c",
        position=0,
        tool="t",
        risk="external_write",
        arguments_digest="d",
    )
    again, same = ledger.begin(
        "k1",
        run_id="r",
        call_id="c",
        position=0,
        tool="t",
        risk="external_write",
        arguments_digest="d",
    )
    assert (created, again, entry.state, same.state) == (True, False, "intended", "intended")
    assert ledger.commit("k1", {"ok": 1})
    assert not ledger.commit("k1", {"ok": 2})  # committed once
    assert not ledger.fail("k1", {"type": "x"})
    assert ledger.get("k1").result == {"ok": 1}  # type: ignore[union-attr]
    assert [e.idempotency_key for e in ledger.list(state="committed")] == ["k1"]
