"""Queue items from approvals and review rows, and the order the queue is worked in.

The order, for the reviewer at the top of the queue:

1. items that are **overdue** (waiting longer than `overdue_after`, or an approval that
   expires within `expiring_within`), oldest first: a wait must not starve;
2. then by **risk**, highest first (`RISK_RANK`);
3. then by **age**, oldest first.
"""

from __future__ import annotations

from typing import Any

from earned.approvals import ApprovalRequest
from earned.review._records import QueueItem

__all__ = ["RISK_RANK", "from_approval", "from_row", "sort_key"]

#: Higher is reviewed first. Approvals carry their tool's risk class; drafts are
#: customer-facing text that nothing has sent yet; flagged audits are failures that already
#: happened; plain audits are a random sample of runs that went well enough.
RISK_RANK: dict[str, int] = {
    "irreversible": 5,
    "external_write": 4,
    "internal_write": 3,
    "draft": 3,
    "flagged": 2,
    "read": 1,
    "audit": 0,
}


def from_approval(
    approval: ApprovalRequest, *, now: float, overdue_after: float, expiring_within: float
) -> QueueItem:
    """A pending (or decided) approval as a queue item, with its whole review context."""
    context = approval.context or {}
    expiring = approval.status == "pending" and approval.expires_at - now < expiring_within
    return QueueItem(
        item_id=approval.approval_id,
        kind="approval",
        status=approval.status,
        run_id=approval.run_id,
        agent=approval.agent,
        capability=approval.capability,
        stage=approval.stage,
        tenant=approval.tenant,
        requester=approval.requester,
        risk=approval.risk,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        overdue=approval.status == "pending"
        and (now - approval.created_at > overdue_after or expiring),
        context={
            "action": approval.summary,
            "tool": approval.tool,
            "arguments": approval.arguments,
            "arguments_digest": approval.arguments_digest,
            "arguments_schema": context.get("arguments_schema"),
            "targets": approval.targets,
            "reason": approval.reason,
            "rule_id": approval.rule_id,
            "rule_reason": approval.rule_reason,
            "policy_version": approval.policy_version,
            "approvers": approval.approvers,
            "tried": context.get("tried", []),
            "gathered": context.get("gathered", []),
            "on_timeout": approval.on_timeout,
            "decision": approval.decision,
            "decided_by": approval.decided_by,
            "decision_reason": approval.decision_reason,
        },
    )


def from_row(row: dict[str, Any], *, now: float, overdue_after: float) -> QueueItem:
    """A draft or audit row as a queue item."""
    context: dict[str, Any] = {"output": row["output"]}
    if row["kind"] == "audit":
        context["flags"] = row["flags"] or []
        context["sample_week"] = row["sample_week"]
    context.update(row["details"] or {})
    return QueueItem(
        item_id=row["item_id"],
        kind=row["kind"],
        status=row["status"],
        run_id=row["run_id"],
        agent=row["agent"],
        capability=row["capability"],
        stage=row["stage"],
        tenant=row["tenant"],
        requester=row["requester"],
        risk=row["risk"],
        created_at=row["created_at"],
        overdue=row["status"] == "pending" and now - row["created_at"] > overdue_after,
        context=context,
    )


def sort_key(item: QueueItem) -> tuple[int, float, float, str]:
    """Overdue first (oldest first), then highest risk, then oldest."""
    if item.overdue:
        return (0, 0.0, item.created_at, item.item_id)
    return (1, -float(RISK_RANK.get(item.risk, 0)), item.created_at, item.item_id)
