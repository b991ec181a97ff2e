"""What keeps a shadow run from acting, with or without a capability matrix.

`SimulateWrites` wraps a policy: every write is answered `simulate` (the runtime then
returns the tool's marked, simulated result and never invokes it), unless the policy would
deny it, which shadow shows as a denial. It judges a simulated write as the first stage
that acts (`approval_required`) would, like the matrix's `StagedPolicy` does for a shadow
capability, so a rule such as "no writes when shadowed" does not hide what the agent
would have been allowed to do. Reads are decided by the wrapped policy unchanged.

`ShadowExecutor` is the tool-call wrapper (`Services.tool_executor`) shadow runs use: it
puts `SimulateWrites` around whatever policy the call is checked by (the agent's, or the
matrix's), so no write can run, whatever the matrix or the rules say. Shadowing a past
trace, it answers reads the trace made with their recorded results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from earned.policy import CallRequest, Decision, PolicyEngine, ResultDecision
from earned.stages import Stage

__all__ = ["SHADOW_RULE", "ShadowExecutor", "SimulateWrites"]

#: The rule id of a write a shadow run simulated.
SHADOW_RULE = "shadow:simulate"


class SimulateWrites:
    """A policy wrapper: writes are simulated (or denied), never allowed to run."""

    def __init__(self, inner: PolicyEngine) -> None:
        self.inner = inner

    @property
    def version(self) -> str:
        """The wrapped policy's version."""
        return self.inner.version

    def check_call(self, request: CallRequest) -> Decision:
        """Reads as the inner policy says; writes simulated unless the inner policy denies."""
        if not request.risk.is_write:
            return self.inner.check_call(request)
        judged = self.inner.check_call(replace(request, stage=Stage.APPROVAL_REQUIRED.value))
        if judged.effect in ("deny", "simulate"):
            return judged
        return replace(
            judged,
            effect="simulate",
            rule_id=SHADOW_RULE,
            reason=(
                f"shadow run: {request.tool} is simulated, not executed (live, policy would "
                f"{judged.effect.replace('_', ' ')} it by rule {judged.rule_id})"
            ),
            approvers=(),
            approval_waived=False,
            stage=Stage.SHADOW.value,
        )

    def check_result(self, request: CallRequest, value: Any) -> ResultDecision:
        """The inner policy's after-call check."""
        return self.inner.check_result(request, value)


class ShadowExecutor:
    """`Services.tool_executor` for shadow runs: every call's policy simulates writes.

    For a shadow run of a past trace (a session registered in `recorded` under the shadow
    run's id), a read the trace made with the same arguments gets its recorded, exact
    result: the agent sees the data as it was then, not as the original run (or anything
    since) left it. Other reads run.
    """

    def __init__(self) -> None:
        self.recorded: dict[str, Any] = {}

    async def __call__(
        self, inv: Any, proceed: Callable[[Any], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """A recorded read, or the guarded path with the policy wrapped in `SimulateWrites`."""
        session = self.recorded.get(inv.context.run_id)
        if session is not None and not inv.tool.risk.is_write:
            call = session.take(inv.tool.name, inv.arguments, approved=False)
            if call is not None and call.source == "steps" and call.result.get("status") == "ok":
                return dict(call.result)
        return await proceed(replace(inv, policy=SimulateWrites(inv.policy)))
