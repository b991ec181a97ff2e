"""The durable approval gate: a run that needs a human waits, durably, for a bound decision.

    request (step) -> wait (durable: survives restarts) -> resolve (step) -> reserve
    ... the tool step consumes the approval exactly once, then runs the call.

Past the wait's deadline the run escalates (or takes the configured safe default: reject);
it never approves by itself.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from earned.approvals._records import ApprovalRequest
from earned.approvals._store import ApprovalStore
from earned.digest import digest
from earned.errors import Escalate
from earned.runtime._gate import ApprovalOutcome, PendingCall

if TYPE_CHECKING:
    from earned.runtime._context import RunContext
    from earned.store import RunStore

__all__ = ["ApprovalSettings", "DurableApprovalGate", "PollingWaiter", "Waiter", "approval_id_for"]

_TARGET_NAMES = {"email", "account", "customer", "recipient", "to", "order", "user"}


@dataclass(frozen=True, kw_only=True)
class ApprovalSettings:
    """How long runs wait for a human, and what they do when nobody answers."""

    timeout: float = 24 * 3600.0
    on_timeout: Literal["escalate", "reject"] = "escalate"
    poll_interval: float = 300.0


class Waiter(Protocol):
    """Waits for a decision notice on `topic` (durably, in the engine)."""

    async def wait(self, topic: str, timeout: float) -> None:
        """Return when notified or after `timeout` seconds."""
        ...


class PollingWaiter:
    """Sleeps instead of listening (for runs without a durable engine)."""

    async def wait(self, topic: str, timeout: float) -> None:
        """Sleep up to `timeout` seconds."""
        del topic
        await asyncio.sleep(max(0.0, timeout))


def approval_id_for(run_id: str, call_id: str, arguments_digest: str) -> str:
    """The approval's id: one per (run, call, arguments), so a replay finds the same one."""
    return "apr_" + digest([run_id, call_id, arguments_digest])[:24]


def _targets(arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in arguments.items()
        if k.endswith("_id") or k == "id" or k.split("_")[0] in _TARGET_NAMES
    }


class DurableApprovalGate:
    """Creates approval requests, waits for decisions, and reserves approved calls."""

    def __init__(
        self,
        store: ApprovalStore,
        *,
        runs: RunStore | None = None,
        waiter: Waiter | None = None,
        settings: ApprovalSettings | None = None,
    ) -> None:
        self.store = store
        self.runs = runs
        self.waiter = waiter or PollingWaiter()
        self.settings = settings or ApprovalSettings()

    async def request(self, ctx: RunContext, pending: PendingCall) -> ApprovalOutcome:
        """Ask for a decision on `pending` and wait for it (see the module docstring)."""
        steps = ctx.state.services.steps
        approval_id = approval_id_for(pending.run_id, pending.call_id, pending.arguments_digest)
        created = await steps.run(
            "approval:request", lambda: self._create(ctx, pending, approval_id)
        )
        # After the request exists (a waiting run always has its approval to show), and in
        # workflow code: a recovered run replays its steps and must still say it waits.
        await self._set_status(pending.run_id, "waiting_approval")
        span = ctx.state.open_span(
            "approval",
            pending.tool,
            ctx.parent_span,
            approval_id=approval_id,
            rule_id=pending.decision.rule_id,
            summary=pending.summary,
            status="waiting",
        )
        while True:
            remaining = created["expires_at"] - time.time()
            await self.waiter.wait(
                approval_id, max(0.0, min(self.settings.poll_interval, remaining))
            )
            resolved = await steps.run("approval:resolve", lambda: self._resolve(approval_id))
            if resolved["status"] != "pending":
                break
        await self._set_status(pending.run_id, "running")
        ctx.state.close_span(
            span,
            status=resolved["status"],
            decided_by=resolved.get("decided_by"),
            decided_role=resolved.get("decided_role"),
            decision=resolved.get("decision"),
            reason=resolved.get("reason"),
        )
        return self._outcome(pending, approval_id, resolved)

    def _outcome(
        self, pending: PendingCall, approval_id: str, resolved: dict[str, Any]
    ) -> ApprovalOutcome:
        status = resolved["status"]
        if status == "approved":
            return ApprovalOutcome(
                approved=True,
                arguments=resolved["arguments"],
                approver=resolved["decided_by"],
                role=resolved["decided_role"],
                reason=resolved.get("reason"),
                approval_id=approval_id,
            )
        if status == "rejected":
            return ApprovalOutcome(
                approved=False,
                approver=resolved["decided_by"],
                role=resolved["decided_role"],
                reason=resolved.get("reason"),
                approval_id=approval_id,
            )
        if self.settings.on_timeout == "reject":
            return ApprovalOutcome(
                approved=False, reason="no decision before the deadline", approval_id=approval_id
            )
        raise Escalate(
            f"nobody decided on {pending.summary} in time ({resolved.get('why', status)}); "
            "the call was not made",
            approval_id=approval_id,
            pending_call=pending.to_dict(),
        )

    # -- steps ----------------------------------------------------------------------------

    async def _set_status(self, run_id: str, status: str) -> None:
        if self.runs is not None:
            await asyncio.to_thread(self.runs.set_status, run_id, status)

    async def _create(
        self, ctx: RunContext, pending: PendingCall, approval_id: str
    ) -> dict[str, Any]:
        now = time.time()
        tool = ctx.agent.find_tool(pending.tool)
        principal = ctx.principal
        services = ctx.state.services

        def shown(value: Any) -> Any:  # what a reviewer sees is redacted; the digest binds
            return services.redact(pending.run_id, value)

        request = ApprovalRequest(
            approval_id=approval_id,
            run_id=pending.run_id,
            call_id=pending.call_id,
            agent=ctx.agent.name,
            tool=pending.tool,
            risk=pending.risk,
            arguments=shown(pending.arguments),
            arguments_digest=pending.arguments_digest,
            summary=shown(pending.summary),
            targets=shown(_targets(pending.arguments)),
            reason=shown(pending.reason),
            rule_id=pending.decision.rule_id,
            rule_reason=pending.decision.reason,
            policy_version=pending.decision.policy_version,
            approvers=list(pending.decision.approvers),
            requester=principal.user,
            tenant=principal.tenant,
            capability=pending.capability,
            stage=pending.stage,
            context={
                "tried": shown(pending.tried),
                "gathered": shown(pending.gathered),
                "arguments_schema": tool.definition.parameters if tool else None,
            },
            status="pending",
            on_timeout=self.settings.on_timeout,
            created_at=now,
            expires_at=now + self.settings.timeout,
        )
        stored = await asyncio.to_thread(self.store.create, request)
        return {"approval_id": approval_id, "expires_at": stored.expires_at}

    async def _resolve(self, approval_id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self._resolve_sync, approval_id)

    def _resolve_sync(self, approval_id: str) -> dict[str, Any]:
        row = self.store.get(approval_id)
        assert row is not None, approval_id
        now = time.time()
        result: dict[str, Any]
        if row.status == "pending":
            if now <= row.expires_at:
                return {"status": "pending"}
            self.store.transition(
                approval_id,
                allowed_from={"pending"},
                to="expired",
                event="expired",
                details={"by": "deadline"},
            )
            result = {"status": "expired", "why": "the wait passed its deadline"}
        elif row.status == "approved":
            result = self._reserve(row, now)
        elif row.status in ("reserved", "consumed"):
            result = self._approved(row)
        elif row.status == "rejected":
            result = {
                "status": "rejected",
                "decided_by": row.decided_by,
                "decided_role": row.decided_role,
                "reason": row.decision_reason,
            }
        else:
            result = {"status": "expired", "why": f"the approval is {row.status}"}
        return result

    def _reserve(self, row: ApprovalRequest, now: float) -> dict[str, Any]:
        if row.decision_expires_at is not None and now > row.decision_expires_at:
            self.store.transition(
                row.approval_id,
                allowed_from={"approved"},
                to="expired",
                event="expired",
                details={"by": "decision expired"},
            )
            return {"status": "expired", "why": "the approval expired before the run used it"}
        moved = self.store.transition(
            row.approval_id,
            allowed_from={"approved"},
            to="reserved",
            event="reserved",
            details={"run_id": row.run_id, "call_id": row.call_id},
            values={"reserved_at": now},
        )
        if not moved:
            current = self.store.get(row.approval_id)
            assert current is not None
            if current.status not in ("reserved", "consumed"):
                return {"status": "expired", "why": f"the approval is {current.status}"}
        return self._approved(row)

    @staticmethod
    def _approved(row: ApprovalRequest) -> dict[str, Any]:
        return {
            "status": "approved",
            # edits only: the stored originals are redacted, and the run has the real ones
            "arguments": row.edited_arguments,
            "digest": row.approved_digest,
            "decided_by": row.decided_by,
            "decided_role": row.decided_role,
            "decision": row.decision,
            "reason": row.decision_reason,
        }
