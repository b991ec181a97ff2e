"""Approval requests, their history, approval statistics, and ledger entries as values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ApprovalEvent",
    "ApprovalRequest",
    "ApprovalStats",
    "ApprovalStatus",
    "LedgerEntry",
    "LedgerState",
]

#: pending -> approved | rejected | expired | cancelled;  approved -> reserved -> consumed;
#: approved -> expired (the decision was not used in time).
ApprovalStatus = Literal[
    "pending", "approved", "rejected", "expired", "reserved", "consumed", "cancelled"
]
#: intended -> committed | failed | unknown;  unknown -> reconciled | intended | escalated.
LedgerState = Literal["intended", "committed", "failed", "unknown", "reconciled", "escalated"]


@dataclass(frozen=True, kw_only=True)
class ApprovalRequest:
    """A call waiting for (or decided by) a human, with everything the reviewer needs."""

    approval_id: str
    run_id: str
    call_id: str
    agent: str
    tool: str
    risk: str
    arguments: dict[str, Any]
    arguments_digest: str
    summary: str
    targets: dict[str, Any] | None
    reason: str | None
    rule_id: str
    rule_reason: str | None
    policy_version: str
    approvers: list[str]
    requester: str | None
    tenant: str | None
    capability: str | None
    stage: str | None
    context: dict[str, Any] | None
    status: str
    on_timeout: str
    created_at: float
    expires_at: float
    decision: str | None = None
    decided_at: float | None = None
    decided_by: str | None = None
    decided_role: str | None = None
    decision_reason: str | None = None
    decision_expires_at: float | None = None
    edited_arguments: dict[str, Any] | None = None
    approved_digest: str | None = None
    reserved_at: float | None = None
    consumed_at: float | None = None
    schema_version: int = 1

    @property
    def approved_arguments(self) -> dict[str, Any]:
        """What may run: the edited arguments if the reviewer edited them, else the originals."""
        return self.edited_arguments if self.edited_arguments is not None else self.arguments

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class ApprovalEvent:
    """One entry of an approval's append-only history."""

    approval_id: str
    at: float
    kind: str
    actor: str | None = None
    role: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ApprovalStats:
    """Decision history for a tool or capability: what auto-promotion looks at."""

    decisions: int
    approved: int
    rejected: int
    edited: int
    expired: int
    last_rejection_at: float | None

    @property
    def approval_rate(self) -> float | None:
        """Approved / decided, or None before any decision."""
        return None if self.decisions == 0 else self.approved / self.decisions

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with the approval rate."""
        return {**self.__dict__, "approval_rate": self.approval_rate}


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One side-effecting call in the idempotency ledger."""

    idempotency_key: str
    run_id: str
    call_id: str
    position: int
    tool: str
    risk: str
    arguments_digest: str
    state: str
    attempts: int
    result: Any
    error: dict[str, Any] | None
    approval_id: str | None
    tenant: str | None
    created_at: float
    updated_at: float
    schema_version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)
