"""Serving a recording to a replayed run: tool steps, approvals and checkpoints.

Three thin layers around the runtime's own interfaces, one session per replayed run:

- `RecordedExecutor` (`Services.tool_executor`): a tool call is matched with the recording
  by tool name and canonical arguments, in order (the first call not yet used that has the
  same tool and arguments); the recorded step outcome is returned as is (decision, status,
  result). A call with no match is a *divergence*: it is answered with a structured
  `not_recorded` error and never executed, and what the policy would have said is kept.
- `RecordedGate` (`Services.approvals`): a held call gets the human decision recorded for
  it (approved, edited or rejected); nobody is asked.
- `RecordedSteps` (`Services.steps`): checkpointed steps (`ctx.step`: clocks, random draws,
  flags, ...) get their recorded values by name, in order, unless `live=True`; model calls
  run live (that is what a replay with another prompt or model is for).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from earned.errors import Escalate
from earned.replay._match import same_arguments
from earned.replay._recording import RecordedCall, Recording
from earned.runtime import ApprovalOutcome, PendingCall

if TYPE_CHECKING:
    from earned.runtime import RunContext

__all__ = [
    "NOT_RECORDED",
    "Divergence",
    "RecordedExecutor",
    "RecordedGate",
    "RecordedSteps",
    "ReplaySession",
]

T = TypeVar("T")
#: The error type (and rule id suffix) of a call the recording does not hold.
NOT_RECORDED = "not_recorded"
DivergenceKind = Literal["unrecorded_call", "unused_recorded_call"]


@dataclass(frozen=True, kw_only=True)
class Divergence:
    """A call the replay made that the recording lacks, or a recorded call it never made."""

    kind: DivergenceKind
    tool: str
    arguments: dict[str, Any]
    recorded_arguments: dict[str, Any] | None = None
    policy_would: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "kind": self.kind,
            "tool": self.tool,
            "arguments": self.arguments,
            "recorded_arguments": self.recorded_arguments,
            "policy_would": self.policy_would,
        }


@dataclass(kw_only=True)
class ReplaySession:
    """One replayed run's view of its recording: what was used, what diverged."""

    recording: Recording
    redactor: Any = None
    live_steps: bool = False
    divergences: list[Divergence] = field(default_factory=list[Divergence])
    _used: set[int] = field(default_factory=set[int])
    _used_approved: set[int] = field(default_factory=set[int])
    _held: RecordedCall | None = None
    _checkpoints: dict[str, list[Any]] | None = None

    def take(self, tool: str, arguments: dict[str, Any], *, approved: bool) -> RecordedCall | None:
        """The first unused recorded call of `tool` with these arguments (None: diverged)."""
        used = self._used_approved if approved else self._used
        for call in self.recording.calls:
            if call.index in used or call.tool != tool:
                continue
            if approved and call.approved_result is None:
                continue
            recorded = call.approved_arguments if approved else call.arguments
            if same_arguments(recorded or {}, arguments, self.redactor):
                used.add(call.index)
                return call
        return None

    @property
    def served(self) -> int:
        """Recorded calls the replay made (and was answered from the recording)."""
        return len(self._used)

    def nearest(self, tool: str) -> RecordedCall | None:
        """The first unused recorded call of `tool` (to show what the arguments were)."""
        return next(
            (c for c in self.recording.calls if c.tool == tool and c.index not in self._used),
            None,
        )

    def checkpoint(self, name: str) -> tuple[bool, Any]:
        """(True, value) for the next recorded value of checkpoint `name`; (False, None)."""
        if self._checkpoints is None:
            self._checkpoints = {}
            for step, value in self.recording.checkpoints:
                self._checkpoints.setdefault(step, []).append(value)
        values = self._checkpoints.get(name)
        if self.live_steps or not values:
            return False, None
        return True, values.pop(0)

    def unused(self) -> list[Divergence]:
        """Recorded calls the replay never made."""
        return [
            Divergence(kind="unused_recorded_call", tool=c.tool, arguments=c.arguments)
            for c in self.recording.calls
            if c.index not in self._used
        ]


class RecordedExecutor:
    """`Services.tool_executor` of a replay: recorded outcomes, never a real call."""

    def __init__(self, session: ReplaySession) -> None:
        self.session = session

    async def __call__(
        self, inv: Any, proceed: Callable[[Any], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """The recorded outcome of this call, or a `not_recorded` error (never executed)."""
        del proceed  # a replay never runs a tool
        approved = inv.grant_digest is not None
        call = self.session.take(inv.tool.name, inv.arguments, approved=approved)
        if call is not None:
            outcome = (call.approved_result if approved else call.result) or {}
            self.session._held = call if outcome.get("status") == "approval_required" else None
            return dict(outcome)
        return self._diverged(inv)

    def _diverged(self, inv: Any) -> dict[str, Any]:
        now = time.time()
        would = inv.policy.check_call(inv.request)
        nearest = self.session.nearest(inv.tool.name)
        self.session.divergences.append(
            Divergence(
                kind="unrecorded_call",
                tool=inv.tool.name,
                arguments=dict(inv.arguments),
                recorded_arguments=None if nearest is None else nearest.arguments,
                policy_would={
                    "effect": would.effect,
                    "rule_id": would.rule_id,
                    "reason": would.reason,
                },
            )
        )
        message = (
            f"replay: the recording has no {inv.tool.name} call with these arguments, so it "
            f"was not executed (policy would {would.effect.replace('_', ' ')} it by rule "
            f"{would.rule_id})"
        )
        decision = would.to_dict() | {
            "effect": "simulate",
            "rule_id": f"replay:{NOT_RECORDED}",
            "reason": message,
        }
        return {
            "decision": decision,
            "started_at": now,
            "ended_at": now,
            "status": "error",
            "error": {"type": NOT_RECORDED, "message": message, "transient": False, "details": {}},
            "attempts": 0,
        }


class RecordedGate:
    """`Services.approvals` of a replay: the human decision recorded for the held call."""

    def __init__(self, session: ReplaySession) -> None:
        self.session = session

    async def request(self, ctx: RunContext, pending: PendingCall) -> ApprovalOutcome:
        """Answer as the reviewer answered; escalate when the recording has no decision."""
        del ctx
        call, self.session._held = self.session._held, None
        approval = None if call is None else call.approval
        if approval is None or not approval.decided:
            raise Escalate(
                f"approval required for {pending.summary}: the recorded run has no decision "
                "for it (it waited, expired or escalated)",
                pending_call=pending.to_dict(),
            )
        return ApprovalOutcome(
            approved=approval.approved,
            arguments=approval.arguments if approval.decision == "approve_edited" else None,
            approver=approval.approver,
            role=approval.role,
            reason=approval.reason,
            approval_id=approval.approval_id,
        )


class RecordedSteps:
    """`Services.steps` of a replay: recorded checkpoint values first, else run the step."""

    def __init__(self, session: ReplaySession) -> None:
        self.session = session

    async def run(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        """The recorded value of checkpoint `name`, or `fn()` (tool and model steps run)."""
        if not name.startswith(("tool:", "model:")):
            found, value = self.session.checkpoint(name)
            if found:
                return value
        return await fn()
