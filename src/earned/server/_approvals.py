"""Approvals: list, read, decide; every decision goes through the review queue's record.

Deciding maps the token to `Approvals.approve/reject(actor=name, role=role, tenant=tenant)`,
so every integrity check applies: a refusal is a 403 (role, self-approval) or a 409 (not
pending, expired, digest changed, edit does not fit) with `details.check` naming it.
Approving with edited arguments, and rejecting, take a reason code and a note (seed 000's
taxonomy), and the example is routed into datasets by reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from earned.approvals import ApprovalRequest
from earned.review import ReasonCode
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx, Reader, ReviewerId
from earned.server._errors import NotFound
from earned.server._schemas import Body, Id, IdPath, JsonValue, Limit, NameQuery, Note, Offset

__all__ = ["router", "visible_approval"]

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])

ApprovalStatusQuery = Literal[
    "pending", "approved", "rejected", "expired", "reserved", "consumed", "cancelled"
]


class ApproveRequest(Body):
    """Approve as requested, or with edited arguments (then a reason code and note)."""

    arguments: dict[str, JsonValue] | None = Field(
        default=None, description="Edited arguments (a new digest); omit to approve as is."
    )
    reason_code: ReasonCode | None = Field(default=None, description="Required with an edit.")
    note: Note | None = Field(default=None, description="Required with an edit.")
    expected_digest: Id | None = Field(
        default=None, description="The argument digest you reviewed; refused if it changed."
    )


class RejectRequest(Body):
    """Reject, with seed 000's reason code and a note."""

    reason_code: ReasonCode
    note: Note = Field(min_length=1)


def visible_approval(context: ApiContext, caller: Identity, approval_id: str) -> ApprovalRequest:
    """The approval, or 404 when it does not exist or belongs to another tenant."""
    found = context.approvals.store.get(approval_id)
    if found is None or not caller.sees(found.tenant):
        raise NotFound(f"no approval {approval_id!r}", fix="list them with GET /v1/approvals")
    return found


@router.get("", summary="List approval requests, oldest first")
def list_approvals(
    caller: Reader,
    context: Ctx,
    status: Annotated[ApprovalStatusQuery, Query()] = "pending",
    tool: NameQuery = None,
    capability: NameQuery = None,
    run_id: NameQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The token's tenant's approvals (pending ones by default)."""
    found = context.approvals.store.list(
        status=status,
        tenant=caller.tenant,
        tool=tool,
        capability=capability,
        run_id=run_id,
        limit=limit,
        offset=offset,
    )
    return [a.to_dict() for a in found]


@router.get("/stats", summary="Decision counts and approval rate")
def approval_stats(
    caller: Reader,
    context: Ctx,
    tool: NameQuery = None,
    capability: NameQuery = None,
    days: Annotated[float | None, Query(gt=0, le=3660)] = None,
) -> dict[str, Any]:
    """What auto-promotion looks at, for the token's tenant."""
    since = None if days is None else context.clock() - days * 86400
    stats = context.approvals.stats(
        tool=tool, capability=capability, tenant=caller.tenant, since=since
    )
    return stats.to_dict()


@router.get("/{approval_id}", summary="One approval with its history")
def get_approval(approval_id: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """Everything a reviewer needs to decide, and the approval's history."""
    approval = visible_approval(context, caller, approval_id)
    history = [e.__dict__ for e in context.approvals.store.history(approval_id)]
    reviews = [d.to_dict() for d in context.review.history(approval_id)]
    return {**approval.to_dict(), "history": history, "reviews": reviews}


@router.post("/{approval_id}/approve", summary="Approve, as requested or with edits")
def approve(
    approval_id: IdPath, body: ApproveRequest, caller: ReviewerId, context: Ctx
) -> dict[str, Any]:
    """Approve; with `arguments`, approve the edited call (reason code and note required)."""
    visible_approval(context, caller, approval_id)
    decision = context.review.decide(
        approval_id,
        action="approve" if body.arguments is None else "approve_edited",
        edited=body.arguments,
        reason_code=body.reason_code,
        note=body.note,
        expected_digest=body.expected_digest,
        reviewer=caller.name,
        role=caller.role,
        tenant=caller.tenant,
    )
    return _decided(context, approval_id, decision.to_dict())


@router.post("/{approval_id}/reject", summary="Reject, with a reason code and a note")
def reject(
    approval_id: IdPath, body: RejectRequest, caller: ReviewerId, context: Ctx
) -> dict[str, Any]:
    """Reject the call; the run is told and goes on without it."""
    visible_approval(context, caller, approval_id)
    decision = context.review.decide(
        approval_id,
        action="reject",
        reason_code=body.reason_code,
        note=body.note,
        reviewer=caller.name,
        role=caller.role,
        tenant=caller.tenant,
    )
    return _decided(context, approval_id, decision.to_dict())


def _decided(context: ApiContext, approval_id: str, review: dict[str, Any]) -> dict[str, Any]:
    approval = context.approvals.store.get(approval_id)
    assert approval is not None
    return {"approval": approval.to_dict(), "review": review}
