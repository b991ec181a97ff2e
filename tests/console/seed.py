"""Traces with a realistic span tree (model call, policy decision, tool call), for page tests."""

from __future__ import annotations

from earned.messages import Usage
from earned.runtime import Principal, RunEvent, RunRequest, RunResult
from earned.store import Database, RunStore, SpanStore
from tests.review.seed import HOUR, NOW


def seed_trace(
    db: Database,
    run_id: str,
    *,
    tenant: str | None = "acme",
    agent: str = "refunds",
    capability: str = "refund_recommendation",
    stage: str = "recommend",
    status: str = "completed",
    tool: str = "get_order",
    cost: float = 0.0042,
    created_at: float = NOW - HOUR,
    seconds: float = 1.5,
    email: str = "ana.lopez@example.com",
) -> None:
    """A finished run of `agent` that called a model, then `tool` (allowed by policy)."""
    principal = Principal(user="customer-7", role="operator", tenant=tenant)
    request = RunRequest(
        run_id=run_id, agent=agent, input={"ticket": f"Refund please, reach me at {email}"},
        principal=principal, capability=capability, stage=stage, created_at=created_at,
    )  # fmt: skip
    end = created_at + seconds
    runs = RunStore(db, clock=lambda: end)
    runs.create(request, status="running")
    runs.finish(
        RunResult(
            run_id=run_id, agent=agent, status=status,  # type: ignore[arg-type]
            output={"recommendation": "refund", "amount": 40.0},
            usage=Usage(input_tokens=812, output_tokens=96, requests=1), cost=cost, steps=2,
            decisions=[{"tool": tool, "effect": "allow", "rule_id": "reads"}],
            principal=principal, capability=capability, stage=stage,
            started_at=created_at, ended_at=end,
            versions={"prompt": "refunds@3f2a", "model": "classifier@1"},
        )
    )  # fmt: skip
    root = f"{run_id}:00001"
    call = f"{run_id}:call-1"
    events = [
        RunEvent(run_id=run_id, span_id=root, parent_id=None, kind="run", name=agent,
                 started_at=created_at, ended_at=end, status=status),
        RunEvent(run_id=run_id, span_id=f"{run_id}:00002", parent_id=root, kind="model_call",
                 name="classify", started_at=created_at + 0.1, ended_at=created_at + 0.9,
                 attributes={"model": "classifier@1", "input_tokens": 812,
                             "output_tokens": 96, "cost": cost}),
        RunEvent(run_id=run_id, span_id=f"{run_id}:00003", parent_id=root,
                 kind="policy_decision", name=tool, started_at=created_at + 1.0,
                 ended_at=created_at + 1.0, status="allow",
                 attributes={"tool": tool, "call_id": call, "rule_id": "reads",
                             "reason": "reads are allowed at every stage",
                             "policy_version": "refunds@abc"}),
        RunEvent(run_id=run_id, span_id=f"{run_id}:00004", parent_id=root, kind="tool_call",
                 name=tool, started_at=created_at + 1.0, ended_at=created_at + 1.4,
                 attributes={"tool": tool, "call_id": call, "risk": "read",
                             "tool_args": {"order_id": "ord_7", "email": email},
                             "fields_returned": ["total", "status"]}),
    ]  # fmt: skip
    with SpanStore(db) as spans:
        for event in events:
            spans.emit(event)
