"""The approvals API: list, show, approve (possibly with edits) and reject, with integrity.

A decision is accepted only when every check passes; a refused decision is recorded in the
approval's history and changes nothing else. The checks:

- the approval exists and is still `pending` (not decided, expired or consumed);
- its wait has not passed its deadline;
- the decider's role is one of the roles policy named for this approval;
- the decider is not the user the run acts for (nobody approves their own action);
- the decider is in the same tenant (when the decider is tenant-scoped);
- the digest the reviewer saw, when given, is the digest of the arguments on record;
- edited arguments have the tool's argument names and a reason for the edit.

An accepted approval is bound to the digest of what may run (the original arguments or the
edited ones), expires after `decision_ttl`, and can be reserved and consumed exactly once.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from typing import Any, Protocol

from earned.approvals._records import ApprovalEvent, ApprovalRequest, ApprovalStats
from earned.approvals._store import ApprovalStore
from earned.digest import digest
from earned.errors import UserError
from earned.store import Database

__all__ = ["ApprovalRefused", "Approvals", "DecisionNotifier", "arguments_digest"]

#: How long an approval decision stays usable once made.
DEFAULT_DECISION_TTL = 3600.0


class ApprovalRefused(UserError):
    """A decision was refused; `details['check']` names the integrity check that failed."""


class DecisionNotifier(Protocol):
    """Wakes the run waiting for an approval once its decision is stored."""

    def notify(self, run_id: str, approval_id: str) -> None:
        """Tell run `run_id` that approval `approval_id` was decided."""
        ...


def arguments_digest(tool: str, arguments: dict[str, Any]) -> str:
    """The digest an approval is bound to (the same the runtime computes for the call)."""
    return digest({"tool": tool, "arguments": arguments})


class Approvals:
    """Decide approvals from Python; the CLI and the HTTP API call this."""

    def __init__(
        self,
        db: Database,
        *,
        notifier: DecisionNotifier | None = None,
        decision_ttl: float = DEFAULT_DECISION_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = ApprovalStore(db, clock=clock)
        self.notifier = notifier
        self.decision_ttl = decision_ttl
        self.clock = clock

    def list(self, **filters: Any) -> builtins.list[ApprovalRequest]:
        """Approvals matching the filters (status defaults to pending)."""
        filters.setdefault("status", "pending")
        return self.store.list(**filters)

    def get(self, approval_id: str) -> ApprovalRequest:
        """One approval, or a UserError naming the id."""
        found = self.store.get(approval_id)
        if found is None:
            raise UserError(
                f"no approval {approval_id!r}; list pending ones with `earned approvals list`",
                approval_id=approval_id,
            )
        return found

    def history(self, approval_id: str) -> builtins.list[ApprovalEvent]:
        """The approval's recorded events, oldest first."""
        self.get(approval_id)
        return self.store.history(approval_id)

    def stats(self, **filters: Any) -> ApprovalStats:
        """Decision counts and approval rate for a tool, capability or tenant."""
        return self.store.stats(**filters)

    def approve(
        self,
        approval_id: str,
        *,
        actor: str,
        role: str,
        tenant: str | None = None,
        arguments: dict[str, Any] | None = None,
        reason: str | None = None,
        expected_digest: str | None = None,
    ) -> ApprovalRequest:
        """Approve the call as requested, or with edited `arguments` (a new digest)."""
        request = self._check(approval_id, actor, role, tenant, expected_digest)
        edited = arguments is not None and arguments != request.arguments
        if edited:
            self._check_edit(request, arguments or {}, actor, role, reason)
        final = (arguments or {}) if edited else request.arguments
        now = self.clock()
        values = {
            "decision": "approve_edited" if edited else "approve",
            "decided_at": now,
            "decided_by": actor,
            "decided_role": role,
            "decision_reason": reason,
            "decision_expires_at": now + self.decision_ttl,
            "edited_arguments": final if edited else None,
            "approved_digest": arguments_digest(request.tool, final),
        }
        details = {"digest": values["approved_digest"], "edited": edited, "reason": reason}
        return self._decide(request, "approved", values, actor, role, details)

    def reject(
        self,
        approval_id: str,
        *,
        actor: str,
        role: str,
        reason: str,
        tenant: str | None = None,
    ) -> ApprovalRequest:
        """Reject the call; the reason is required and recorded."""
        if not reason or not reason.strip():
            raise UserError(
                "a rejection needs a reason: pass --reason TEXT", approval_id=approval_id
            )
        request = self._check(approval_id, actor, role, tenant, None)
        values = {
            "decision": "reject",
            "decided_at": self.clock(),
            "decided_by": actor,
            "decided_role": role,
            "decision_reason": reason,
        }
        return self._decide(request, "rejected", values, actor, role, {"reason": reason})

    # -- integrity ------------------------------------------------------------------------

    def _refuse(
        self,
        request: ApprovalRequest | None,
        check: str,
        message: str,
        actor: str,
        role: str,
        **details: Any,
    ) -> ApprovalRefused:
        if request is not None:
            self.store.record(
                request.approval_id,
                "refused",
                actor=actor,
                role=role,
                details={"check": check, "message": message, **details},
            )
        approval_id = request.approval_id if request else details.get("approval_id")
        return ApprovalRefused(message, check=check, approval_id=approval_id, **details)

    def _check(
        self, approval_id: str, actor: str, role: str, tenant: str | None, expected: str | None
    ) -> ApprovalRequest:
        request = self.get(approval_id)
        if request.status != "pending":
            raise self._refuse(
                request,
                "not_pending",
                f"approval {approval_id} is not waiting for a decision (it is {request.status})",
                actor,
                role,
            )
        if self.clock() > request.expires_at:
            self.store.transition(
                approval_id,
                allowed_from={"pending"},
                to="expired",
                event="expired",
                details={"by": "late decision"},
            )
            raise self._refuse(
                request,
                "expired",
                f"approval {approval_id} expired before this "
                "decision; the run has escalated or taken its safe default",
                actor,
                role,
            )
        if role not in request.approvers:
            raise self._refuse(
                request,
                "role",
                f"role {role!r} may not decide this approval; "
                f"policy rule {request.rule_id} names {', '.join(request.approvers)}",
                actor,
                role,
                allowed=request.approvers,
            )
        if request.requester is not None and actor == request.requester:
            raise self._refuse(
                request,
                "self_approval",
                f"{actor} requested this action and "
                "cannot approve it; another reviewer must decide",
                actor,
                role,
            )
        if tenant is not None and request.tenant is not None and tenant != request.tenant:
            raise self._refuse(
                request, "tenant", f"approval {approval_id} belongs to another tenant", actor, role
            )
        if expected is not None and expected != request.arguments_digest:
            raise self._refuse(
                request,
                "digest",
                "the arguments on record changed since you "
                "reviewed them (digest mismatch); reload and review again",
                actor,
                role,
                expected=expected,
            )
        return request

    def _check_edit(
        self,
        request: ApprovalRequest,
        arguments: dict[str, Any],
        actor: str,
        role: str,
        reason: str | None,
    ) -> None:
        schema = (request.context or {}).get("arguments_schema") or {}
        properties = set(schema.get("properties", {}))
        unknown = sorted(set(arguments) - properties) if properties else []
        missing = sorted(set(schema.get("required", [])) - set(arguments))
        if unknown or missing:
            raise self._refuse(
                request,
                "arguments",
                f"edited arguments do not fit {request.tool}: "
                f"unknown {unknown or 'none'}, missing {missing or 'none'}",
                actor,
                role,
                unknown=unknown,
                missing=missing,
            )
        if not reason:
            raise self._refuse(
                request, "edit_reason", "an edit needs a reason: pass --reason TEXT", actor, role
            )

    def _decide(
        self,
        request: ApprovalRequest,
        to: str,
        values: dict[str, Any],
        actor: str,
        role: str,
        details: dict[str, Any],
    ) -> ApprovalRequest:
        moved = self.store.transition(
            request.approval_id,
            allowed_from={"pending"},
            to=to,
            event="decided",
            actor=actor,
            role=role,
            details={"decision": values["decision"], **details},
            values=values,
        )
        if not moved:  # somebody else decided first
            raise self._refuse(
                request,
                "not_pending",
                f"approval {request.approval_id} was decided by someone else a moment ago",
                actor,
                role,
            )
        if self.notifier is not None:
            self.notifier.notify(request.run_id, request.approval_id)
        return self.get(request.approval_id)
