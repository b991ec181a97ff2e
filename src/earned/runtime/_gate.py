"""The approval gate interface: what happens when policy says `require_approval`.

The runtime hands the gate a PendingCall; the gate answers with an ApprovalOutcome. The
default gate escalates the run to a human with the pending call attached; the approvals
package supplies a gate that waits durably for a bound, single-use decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from earned.errors import Escalate
from earned.policy import Decision

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["ApprovalGate", "ApprovalOutcome", "EscalatingGate", "PendingCall"]


@dataclass(frozen=True, kw_only=True)
class PendingCall:
    """A call policy wants a human to decide, with the context a reviewer needs."""

    run_id: str
    call_id: str
    tool: str
    risk: str
    arguments: dict[str, Any]
    arguments_digest: str
    decision: Decision
    summary: str
    reason: str | None = None
    capability: str | None = None
    stage: str | None = None
    tried: list[dict[str, Any]] = field(default_factory=list)
    gathered: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (attached to escalations and approval requests)."""
        return {
            "run_id": self.run_id,
            "call_id": self.call_id,
            "tool": self.tool,
            "risk": self.risk,
            "arguments": self.arguments,
            "arguments_digest": self.arguments_digest,
            "decision": self.decision.to_dict(),
            "summary": self.summary,
            "reason": self.reason,
            "capability": self.capability,
            "stage": self.stage,
        }


@dataclass(frozen=True, kw_only=True)
class ApprovalOutcome:
    """A human's decision on a pending call."""

    approved: bool
    arguments: dict[str, Any] | None = None
    approver: str | None = None
    role: str | None = None
    reason: str | None = None
    approval_id: str | None = None


class ApprovalGate(Protocol):
    """Decides (usually by waiting for a human) what happens to a pending call."""

    async def request(self, ctx: RunContext, pending: PendingCall) -> ApprovalOutcome:
        """Return the decision, or raise Escalate to hand the run to a human."""
        ...


class EscalatingGate:
    """The gate used when no approval workflow is configured: escalate with the call."""

    async def request(self, ctx: RunContext, pending: PendingCall) -> ApprovalOutcome:
        """Raise Escalate carrying the pending call."""
        del ctx
        raise Escalate(
            f"approval required for {pending.summary} (rule {pending.decision.rule_id})",
            pending_call=pending.to_dict(),
        )
