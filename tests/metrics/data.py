"""Write runs, tool-call spans, approvals, sessions and feedback with known values.

Runs go through `RunStore`, spans through `SpanStore` (the paths the runtime uses);
approvals are inserted directly (their store is not what is under test here).
"""

from __future__ import annotations

import itertools
from typing import Any

from earned.messages import Usage
from earned.runtime._events import RunEvent
from earned.runtime._state import Principal, RunRequest, RunResult
from earned.store import Database, RunStore, SpanStore
from earned.store._tables import APPROVAL_SCHEMA_VERSION, approvals

#: The fixed "now" of every metrics test (epoch seconds).
NOW = 1_000_000.0
HOUR = 3600.0
DAY = 86400.0

_SEQ = itertools.count()


def add_run(
    db: Database,
    run_id: str,
    *,
    at: float,
    status: str = "completed",
    agent: str = "refunds",
    capability: str | None = "refund",
    tenant: str | None = "acme",
    user: str | None = "u1",
    seconds: float = 1.0,
    requests: int = 1,
    cost: float = 0.0,
    input_tokens: int = 0,
    output_tokens: int = 0,
    fallback: str | None = None,
) -> None:
    """A run that started at `at` and, unless still running, ended `seconds` later."""
    store = RunStore(db, clock=lambda: at + seconds)
    principal = Principal(user=user, tenant=tenant)
    if status in ("running", "waiting_approval", "pending"):
        request = RunRequest(
            run_id=run_id, agent=agent, principal=principal, capability=capability, created_at=at
        )
        store.create(request, status=status)
        return
    store.finish(
        RunResult(
            run_id=run_id,
            agent=agent,
            status=status,  # type: ignore[arg-type]
            usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens, requests=requests),
            cost=cost,
            fallback=fallback,
            principal=principal,
            capability=capability,
            started_at=at,
            ended_at=at + seconds,
        )
    )


def tool_call(
    run_id: str,
    tool: str,
    *,
    at: float,
    status: str = "ok",
    attempts: int = 1,
    ms: float = 100.0,
    error_type: str | None = None,
    **attributes: Any,
) -> RunEvent:
    """A finished tool-call span, shaped as the runtime records it."""
    return RunEvent(
        run_id=run_id,
        span_id=f"{run_id}:{next(_SEQ)}",
        parent_id=None,
        kind="tool_call",
        name=tool,
        started_at=at,
        ended_at=at + ms / 1000,
        status=status,
        attributes={
            "tool": tool,
            "attempts": attempts,
            "error_type": error_type,
            "cached": False,
            **attributes,
        },
    )


def add_spans(db: Database, *events: RunEvent) -> None:
    """Store spans through the batched SpanStore and wait until they are written."""
    with SpanStore(db) as store:
        for event in events:
            store.emit(event)


def add_approval(
    db: Database,
    approval_id: str,
    *,
    decided_at: float | None,
    decision: str | None,
    tool: str = "submit_refund",
    agent: str = "refunds",
    capability: str | None = "refund",
    tenant: str | None = "acme",
    status: str | None = None,
) -> None:
    """An approval request, decided (`decision` at `decided_at`) or not."""
    created = (decided_at or NOW) - 60
    row = {
        "approval_id": approval_id,
        "run_id": f"run_{approval_id}",
        "call_id": "call_1",
        "agent": agent,
        "tool": tool,
        "risk": "irreversible",
        "arguments": {"amount": 30},
        "arguments_digest": "d" * 16,
        "summary": f"{tool}(amount=30)",
        "rule_id": "refunds-with-approval",
        "policy_version": "refunds@abc",
        "approvers": ["reviewer"],
        "tenant": tenant,
        "capability": capability,
        "status": status
        or {"approve": "approved", "reject": "rejected"}.get(decision or "", "expired"),
        "on_timeout": "reject",
        "created_at": created,
        "expires_at": created + 3600,
        "decision": decision,
        "decided_at": decided_at,
        "schema_version": APPROVAL_SCHEMA_VERSION,
    }
    with db.engine.begin() as conn:
        conn.execute(approvals.insert().values(row))


def build_world(db: Database) -> None:
    """The known traffic most metric tests measure (see each test for the expected values).

    In the hour before NOW: five `refunds` runs (tenant acme) and two `triage` runs (tenant
    globex, one still running); tool calls on four runs; six decided approvals; three
    sessions and four thumbs. Before the hour: one expensive run, one old error type, one
    old session, one old rejection and one old thumbs-down, which 1-hour metrics must ignore.
    """
    t = NOW - 1000
    add_run(
        db,
        "r1",
        at=t + 1,
        user="u1",
        seconds=2,
        requests=2,
        cost=0.10,
        input_tokens=1000,
        output_tokens=100,
    )
    add_run(
        db,
        "r2",
        at=t + 2,
        user="u1",
        seconds=4,
        requests=4,
        cost=0.30,
        input_tokens=3000,
        output_tokens=300,
    )
    add_run(
        db,
        "r3",
        at=t + 3,
        user="u2",
        status="escalated",
        seconds=10,
        requests=3,
        cost=0.20,
        input_tokens=2000,
        output_tokens=200,
    )
    add_run(db, "r4", at=t + 4, user="u2", status="denied", seconds=1, requests=1)
    add_run(
        db,
        "r5",
        at=t + 5,
        user="u3",
        seconds=3,
        requests=2,
        cost=0.05,
        input_tokens=500,
        output_tokens=50,
        fallback="model:cheap",
    )
    add_run(
        db,
        "t1",
        at=t + 6,
        agent="triage",
        capability="classify",
        tenant="globex",
        user="u4",
        requests=1,
        cost=0.01,
        input_tokens=100,
        output_tokens=10,
    )
    add_run(
        db,
        "t2",
        at=t + 7,
        agent="triage",
        capability="classify",
        tenant="globex",
        user="u4",
        status="running",
    )
    add_run(db, "old", at=NOW - 4000, user="u1", cost=9.99, requests=9)  # the hour before
    add_spans(
        db,
        tool_call("r1", "get_order", at=t + 1, ms=200),
        tool_call("r1", "submit_refund", at=t + 1.5, ms=1000, logged={"tool_cost": 0.02}),
        tool_call("r2", "get_order", at=t + 2, attempts=2, ms=400),
        tool_call("r2", "get_order", at=t + 2.5, status="error", attempts=3, ms=3000,
                  error_type="TransientToolError"),
        tool_call("r2", "get_order", at=t + 3, status="invalid_arguments", attempts=0, ms=0,
                  error_type="invalid_arguments"),
        tool_call("r2", "submit_refund", at=t + 3.5, status="denied", attempts=0, ms=1,
                  error_type="denied_by_policy"),
        tool_call("r3", "get_order", at=t + 3, attempts=0, ms=1, cached=True),
        tool_call("r3", "lookup_kb", at=t + 3.5, status="error", ms=100,
                  error_type="SemanticToolError", cost=0.005),
        tool_call("t1", "classify", at=t + 6, ms=50),
        tool_call("old", "get_order", at=NOW - 5000, status="error",
                  error_type="TransientToolError"),
    )  # fmt: skip
    for i, decision in enumerate(["approve", "approve", "approve", "approve_edited", "reject"]):
        add_approval(db, f"a{i}", decided_at=t + i, decision=decision)
    add_approval(db, "a5", decided_at=t + 9, decision="reject", tool="send_email")
    add_approval(db, "a6", decided_at=None, decision=None, status="expired")
    add_approval(db, "a7", decided_at=NOW - 2 * HOUR, decision="reject")


def build_user_signals(db: Database) -> None:
    """Sessions and feedback in the hour before NOW, and one of each before it."""
    from earned.metrics import FeedbackStore

    signals = FeedbackStore(db, redact=lambda text: text)
    t = NOW - 1000
    signals.start_session("s1", user="u1", tenant="acme", agent="refunds", at=t)
    for _ in range(3):
        signals.record_turn("s1", at=t + 10)
    signals.start_session("s2", user="u5", tenant="acme", agent="refunds", at=t + 20)
    signals.start_session("s3", user="u1", tenant="acme", agent="refunds", at=t + 30)
    signals.record_turn("s3", at=t + 40)
    signals.start_session("old", user="u9", tenant="acme", agent="refunds", at=NOW - 5000)
    for rating in ("up", "up", "up", "down"):
        signals.record_feedback(rating, run_id="r1", at=t + 50)
    signals.record_feedback("down", session_id="old", at=NOW - 5000)
