"""Stored runs, spans and approvals written through the real stores, for review and API tests."""

from __future__ import annotations

from typing import Any

from earned.approvals import ApprovalRequest, ApprovalStore, arguments_digest
from earned.runtime import Principal, RunEvent, RunRequest, RunResult
from earned.store import Database, RunStore, SpanStore

NOW = 1_800_000_000.0
HOUR = 3600.0


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def seed_run(
    db: Database,
    run_id: str,
    *,
    tenant: str | None = "acme",
    user: str = "customer-1",
    status: str = "completed",
    stage: str | None = None,
    output: Any = None,
    input: Any = None,
    created_at: float = NOW - HOUR,
    tainted: bool = False,
    agent: str = "refunds",
    capability: str | None = "draft_reply",
) -> None:
    """Store one run (finished unless `status` says otherwise) and its run span."""
    principal = Principal(user=user, role="operator", tenant=tenant)
    request = RunRequest(
        run_id=run_id,
        agent=agent,
        input=input if input is not None else {"ticket": f"ticket of {run_id}"},
        principal=principal,
        capability=capability,
        stage=stage,
        created_at=created_at,
    )
    runs = RunStore(db, clock=lambda: created_at + 2)
    runs.create(request, status="running")
    if status in ("completed", "escalated", "denied", "failed", "cancelled"):
        runs.finish(
            RunResult(
                run_id=run_id,
                agent=agent,
                status=status,  # type: ignore[arg-type]
                output=output if output is not None else {"reply": f"draft for {run_id}"},
                tainted=tainted,
                decisions=[{"tool": "get_order", "effect": "allow", "rule_id": "reads"}],
                principal=principal,
                capability=capability,
                stage=stage,
                started_at=created_at,
                ended_at=created_at + 2,
            )
        )
    elif status != "running":
        runs.set_status(run_id, status)
    with SpanStore(db) as spans:
        spans.emit(
            RunEvent(
                run_id=run_id,
                span_id=f"{run_id}:00001",
                parent_id=None,
                kind="run",
                name=agent,
                started_at=created_at,
                ended_at=created_at + 2,
                status=status,
            )
        )


def seed_approval(
    db: Database,
    run_id: str,
    *,
    tenant: str | None = "acme",
    requester: str = "customer-1",
    tool: str = "submit_refund",
    risk: str = "irreversible",
    arguments: dict[str, Any] | None = None,
    created_at: float = NOW - HOUR,
    expires_in: float = 24 * HOUR,
    approvers: list[str] | None = None,
) -> ApprovalRequest:
    """A pending approval of a waiting run (the run is stored too)."""
    seed_run(db, run_id, tenant=tenant, user=requester, status="waiting_approval",
             created_at=created_at, capability="submit_refund")  # fmt: skip
    args = arguments or {"order_id": "ord_1", "amount": 40.0}
    digest = arguments_digest(tool, args)
    request = ApprovalRequest(
        approval_id=f"apr_{run_id}",
        run_id=run_id,
        call_id=f"{run_id}:call-1",
        agent="refunds",
        tool=tool,
        risk=risk,
        arguments=args,
        arguments_digest=digest,
        summary=f"{tool}({', '.join(f'{k}={v!r}' for k, v in args.items())})",
        targets={"order_id": args.get("order_id")},
        reason="the item arrived damaged (policy 3.2)",
        rule_id="refunds-with-approval",
        rule_reason="refunds over $25 need a reviewer",
        policy_version="refunds@abc",
        approvers=approvers or ["reviewer", "owner"],
        requester=requester,
        tenant=tenant,
        capability="submit_refund",
        stage="approval_required",
        context={
            "tried": [{"tool": "get_order", "status": "ok"}],
            "gathered": [{"tool": "get_order", "result": {"total": 40.0}}],
            "arguments_schema": {
                "properties": {"order_id": {}, "amount": {}},
                "required": ["order_id", "amount"],
            },
        },
        status="pending",
        on_timeout="escalate",
        created_at=created_at,
        expires_at=created_at + expires_in,
    )
    return ApprovalStore(db).create(request)
