"""The guarded tool-call path every pattern shares.

validate -> loop check -> [step: policy before, invoke, policy after] -> approval gate ->
record -> screen the result for injected instructions. Model-initiated calls get every
failure back as a structured error the model can act on; workflow calls raise.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from earned.digest import canonical_json, digest
from earned.errors import (
    CircuitOpen,
    EarnedError,
    Escalate,
    LoopDetected,
    SemanticToolError,
    ToolArgumentsError,
    ToolDenied,
    TransientToolError,
    UnknownToolError,
)
from earned.guards import screen
from earned.messages import ToolCall, ToolResultMessage
from earned.policy import CallRequest, Decision
from earned.runtime._gate import ApprovalOutcome, EscalatingGate, PendingCall
from earned.runtime._tool_exec import ToolInvocation
from earned.tools import Tool, ToolContext

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["ToolOutcome", "ToolStatus", "run_tool_call"]

ToolStatus = Literal[
    "ok",
    "simulated",
    "error",
    "invalid_arguments",
    "unknown_tool",
    "denied",
    "withheld",
    "replan",
    "rejected",
]
_ERROR_CLASSES: dict[str, type[EarnedError]] = {
    "TransientToolError": TransientToolError,
    "SemanticToolError": SemanticToolError,
    "circuit_open": CircuitOpen,  # an open breaker: the run goes to a human
}
#: Characters of a tool result kept in an escalation's "gathered" list.
_GATHERED_CHARS = 500


@dataclass(frozen=True, kw_only=True)
class ToolOutcome:
    """How one tool call ended, and what the model is told about it."""

    call: ToolCall
    status: ToolStatus
    value: Any = None
    error: dict[str, Any] | None = None
    decision: Decision | None = None
    removed: tuple[str, ...] = ()
    cached: bool = False

    @property
    def ok(self) -> bool:
        """True when the call returned a result (a simulated one counts: shadow goes on)."""
        return self.status in ("ok", "simulated")

    def to_message(self) -> ToolResultMessage:
        """The tool result (or structured error) sent back to the model."""
        if self.ok:
            content = self.value if isinstance(self.value, str) else canonical_json(self.value)
        else:
            content = json.dumps({"error": self.error or {"type": self.status}}, sort_keys=True)
        return ToolResultMessage(
            tool_call_id=self.call.id,
            tool_name=self.call.name,
            content=content,
            is_error=not self.ok,
        )


async def run_tool_call(
    ctx: RunContext, call: ToolCall, *, reason: str | None = None, from_model: bool = True
) -> ToolOutcome:
    """Run one tool call through every guard; see the module docstring for the order."""
    state = ctx.state
    state.count_step(f"tool:{call.name}")
    tool = ctx.find_tool(call.name)
    if tool is None:
        names = sorted(t.name for t in ctx.tools)
        if not from_model:
            raise UnknownToolError(
                f"agent {ctx.agent.name!r} has no tool {call.name!r}; its tools: "
                f"{', '.join(names) or '(none)'}",
                tool=call.name,
                available=names,
            )
        error = {
            "type": "unknown_tool",
            "message": f"there is no tool named {call.name!r}; "
            f"available tools: {', '.join(names) or '(none)'}",
            "retryable": False,
        }
        return _finish_rejected_early(ctx, call, "unknown_tool", error)
    try:
        if call.malformed:
            raise ToolArgumentsError(
                f"the arguments for {tool.name} were not a JSON object",
                tool=tool.name,
                errors=[
                    {
                        "field": "(arguments)",
                        "problem": "not a JSON object",
                        "got": (call.raw_arguments or "")[:200],
                    }
                ],
            )
        arguments = tool.validate(call.arguments)
    except ToolArgumentsError as exc:
        if not from_model:
            raise
        error = {
            "type": "invalid_arguments",
            "message": exc.message,
            "problems": exc.details.get("errors", []),
            "retryable": True,
        }
        return _finish_rejected_early(ctx, call, "invalid_arguments", error)
    args_digest = digest({"tool": tool.name, "arguments": arguments})
    if from_model:
        verdict = state.loops.observe(tool.name, args_digest)
        if verdict == "escalate":
            raise LoopDetected(
                f"the agent called {tool.name} with the same arguments again after being "
                "told to re-plan",
                tool=tool.name,
                arguments=arguments,
            )
        if verdict == "replan":
            error = {
                "type": "repeated_call",
                "retryable": False,
                "message": (
                    f"you already called {tool.name} with exactly these arguments; do not repeat "
                    "it. Use the earlier result, try something else, or give your answer."
                ),
            }
            return _finish_rejected_early(ctx, call, "replan", error)
    return await _checked_call(ctx, call, tool, arguments, args_digest, reason, from_model)


def _finish_rejected_early(
    ctx: RunContext, call: ToolCall, status: ToolStatus, error: dict[str, Any]
) -> ToolOutcome:
    now = time.time()
    ctx.state.record(
        "tool_call",
        call.name,
        ctx.parent_span,
        started_at=now,
        ended_at=now,
        status=status,
        tool=call.name,
        call_id=call.id,
        error_type=error["type"],
        error=error,
    )
    ctx.state.note_tried({"tool": call.name, "status": status})
    return ToolOutcome(call=call, status=status, error=error)


async def _checked_call(
    ctx: RunContext,
    call: ToolCall,
    tool: Tool[Any, Any],
    arguments: dict[str, Any],
    args_digest: str,
    reason: str | None,
    from_model: bool,
) -> ToolOutcome:
    state = ctx.state
    position = state.tool_calls
    state.tool_calls += 1
    inv = _invocation(ctx, call, tool, arguments, args_digest, position)
    result = await state.services.steps.run(
        f"tool:{tool.name}", lambda: state.services.execute_tool(inv)
    )
    if result["status"] == "approval_required":
        outcome = await _ask_approval(ctx, inv, result, reason)
        if not outcome.approved:
            return _rejected(ctx, call, inv, result, outcome, from_model)
        inv = _approved_invocation(ctx, call, inv, outcome, position)
        result = await state.services.steps.run(
            f"tool:{tool.name}:approved", lambda: state.services.execute_tool(inv)
        )
    return _conclude(ctx, call, inv, result, from_model)


def _invocation(
    ctx: RunContext,
    call: ToolCall,
    tool: Tool[Any, Any],
    arguments: dict[str, Any],
    args_digest: str,
    position: int,
) -> ToolInvocation:
    state = ctx.state
    principal = state.request.principal
    idem = (
        "idem_" + digest([state.run_id, position, args_digest])[:32] if tool.risk.is_write else None
    )
    request = CallRequest(
        tool=tool.name,
        risk=tool.risk,
        arguments=arguments,
        tool_requires_approval=tool.approval_required,
        capability=ctx.capability,
        stage=ctx.stage,
        role=principal.role,
        tenant=principal.tenant,
        user=principal.user,
        environment=state.request.environment,
        tainted=state.tainted,
        run_id=state.run_id,
        attributes=_attributes(state.request.input),
    )
    context = ToolContext(
        run_id=state.run_id,
        call_id=call.id,
        tool=tool.name,
        idempotency_key=idem,
        tenant=principal.tenant,
        user=principal.user,
        capability=ctx.capability,
        deps=state.services.deps,
    )
    return ToolInvocation(
        tool=tool,
        arguments=arguments,
        arguments_digest=args_digest,
        request=request,
        context=context,
        policy=state.services.enforce(ctx.policy),
        position=position,
    )


def _attributes(run_input: Any) -> dict[str, Any]:
    """The run input's scalar fields: what cohorts (queue, region, product line) key on."""
    if hasattr(run_input, "model_dump"):
        run_input = run_input.model_dump(mode="json")
    if not isinstance(run_input, dict):
        return {}
    scalars = (str, int, float, bool)
    return {str(k): v for k, v in run_input.items() if isinstance(v, scalars)}


async def _ask_approval(
    ctx: RunContext, inv: ToolInvocation, result: dict[str, Any], reason: str | None
) -> ApprovalOutcome:
    decision = Decision.from_dict(result["decision"])
    _record_decision(ctx, inv, decision, result)
    pending = PendingCall(
        run_id=ctx.state.run_id,
        call_id=inv.context.call_id,
        tool=inv.tool.name,
        risk=inv.tool.risk.value,
        arguments=inv.arguments,
        arguments_digest=inv.arguments_digest,
        decision=decision,
        summary=call_summary(inv.tool.name, inv.arguments),
        reason=reason,
        capability=decision.capability or ctx.capability,
        stage=decision.stage or ctx.stage,
        tried=list(ctx.state.tried),
        gathered=list(ctx.state.gathered),
    )
    gate = ctx.state.services.approvals or EscalatingGate()
    return await gate.request(ctx, pending)


def call_summary(tool: str, arguments: dict[str, Any], *, width: int = 32) -> str:
    """`submit_refund(order_id='ord_1', amount=149.0)`, long values shortened."""
    parts = []
    for key, value in arguments.items():
        text = repr(value)
        parts.append(f"{key}={text if len(text) <= width else text[: width - 1] + '…'}")
    return f"{tool}({', '.join(parts)})"


def _approved_invocation(
    ctx: RunContext, call: ToolCall, inv: ToolInvocation, outcome: ApprovalOutcome, position: int
) -> ToolInvocation:
    if outcome.arguments is None or outcome.arguments == inv.arguments:
        return replace(inv, grant_digest=inv.arguments_digest, approval_id=outcome.approval_id)
    arguments = inv.tool.validate(outcome.arguments)
    edited_digest = digest({"tool": inv.tool.name, "arguments": arguments})
    edited = _invocation(ctx, call, inv.tool, arguments, edited_digest, position)
    return replace(edited, grant_digest=edited_digest, approval_id=outcome.approval_id)


def _rejected(
    ctx: RunContext,
    call: ToolCall,
    inv: ToolInvocation,
    result: dict[str, Any],
    outcome: ApprovalOutcome,
    from_model: bool,
) -> ToolOutcome:
    message = f"a reviewer rejected {inv.tool.name}: {outcome.reason or 'no reason given'}"
    decision = Decision.from_dict(result["decision"])
    ctx.state.note_tried({"tool": inv.tool.name, "status": "rejected", "reason": outcome.reason})
    if not from_model:
        raise ToolDenied(message, tool=inv.tool.name, rejected_by=outcome.approver)
    error = {"type": "rejected_by_reviewer", "message": message, "retryable": False}
    return ToolOutcome(call=call, status="rejected", error=error, decision=decision)


def _record_decision(
    ctx: RunContext, inv: ToolInvocation, decision: Decision, result: dict[str, Any]
) -> None:
    entry = {"tool": inv.tool.name, "call_id": inv.context.call_id, **decision.to_dict()}
    ctx.state.decisions.append(entry)
    ctx.state.record(
        "policy_decision",
        decision.effect,
        ctx.parent_span,
        started_at=result["started_at"],
        ended_at=result["started_at"],
        status=decision.effect,
        tool=inv.tool.name,
        call_id=inv.context.call_id,
        rule_id=decision.rule_id,
        reason=decision.reason,
        policy_version=decision.policy_version,
        tainted=inv.request.tainted,
        capability=decision.capability or ctx.capability,
        stage=decision.stage or ctx.stage,
    )


def _conclude(
    ctx: RunContext, call: ToolCall, inv: ToolInvocation, result: dict[str, Any], from_model: bool
) -> ToolOutcome:
    state = ctx.state
    decision = Decision.from_dict(result["decision"])
    if decision.effect != "require_approval":
        _record_decision(ctx, inv, decision, result)
    status: str = result["status"]
    error = _error_for(inv, decision, result)
    state.record(
        "tool_call",
        inv.tool.name,
        ctx.parent_span,
        started_at=result["started_at"],
        ended_at=result["ended_at"],
        status=status,
        tool=inv.tool.name,
        risk=inv.tool.risk.value,
        call_id=call.id,
        arguments=inv.arguments,
        idempotency_key=inv.context.idempotency_key,
        rule_id=decision.rule_id,
        attempts=result.get("attempts", 0),
        cached=result.get("cached", False),
        from_ledger=result.get("from_ledger"),
        approval_id=inv.approval_id,
        fields_returned=_fields(result.get("value")),
        fields_removed=result.get("removed", []),
        error_type=(error or {}).get("type"),
        policy_version=decision.policy_version,
        capability=decision.capability or ctx.capability,
        stage=decision.stage or ctx.stage,
        logged=_logged(inv.tool.log, inv.arguments, result.get("value")),
        **({"breaker": result["breaker"]} if "breaker" in result else {}),
    )
    state.note_tried({"tool": inv.tool.name, "arguments": inv.arguments, "status": status})
    if status == "unknown":
        raise Escalate(
            (error or {}).get("message", f"the outcome of {inv.tool.name} is unknown"),
            tool=inv.tool.name,
            idempotency_key=inv.context.idempotency_key,
            arguments=inv.arguments,
        )
    if status not in ("ok", "simulated"):
        if not from_model:
            _raise_for(inv, decision, status, error or {})
        return ToolOutcome(call=call, status=status, error=error, decision=decision)  # type: ignore[arg-type]
    value = result["value"]
    text = value if isinstance(value, str) else canonical_json(value)
    state.note_gathered({"tool": inv.tool.name, "result": text[:_GATHERED_CHARS]})
    screened = screen(text)
    if screened.flagged:
        state.mark_tainted(f"tool:{inv.tool.name}", screened, ctx.parent_span)
    return ToolOutcome(
        call=call,
        status="simulated" if status == "simulated" else "ok",
        value=value,
        decision=decision,
        removed=tuple(result.get("removed", ())),
        cached=bool(result.get("cached")),
    )


def _logged(names: tuple[str, ...], arguments: dict[str, Any], value: Any) -> dict[str, Any]:
    """The tool's declared logging fields, from its arguments or its (allowlisted) result."""
    found: dict[str, Any] = {}
    for name in names:
        if name in arguments:
            found[name] = arguments[name]
        elif isinstance(value, dict) and name in value:
            found[name] = value[name]
    return found


def _fields(value: Any) -> list[str] | None:
    if isinstance(value, dict):
        return sorted(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return sorted({k for v in value for k in v})
    return None


def _error_for(
    inv: ToolInvocation, decision: Decision, result: dict[str, Any]
) -> dict[str, Any] | None:
    status = result["status"]
    if status == "denied":
        return {
            "type": "denied_by_policy",
            "rule": decision.rule_id,
            "retryable": False,
            "message": f"policy denied {inv.tool.name}: {decision.reason.rstrip('.')}. Do not "
            "retry this call; choose another action or explain to the user.",
        }
    if status == "withheld":
        withheld = result.get("withheld", {})
        return {
            "type": "result_withheld",
            "rule": withheld.get("rule_id"),
            "retryable": False,
            "message": f"policy withheld the result of {inv.tool.name}: {withheld.get('reason')}",
        }
    if status in ("error", "unknown"):
        err = result["error"]
        return {
            "type": err["type"],
            "message": err["message"],
            "retryable": err["transient"],
            "attempts": result.get("attempts", 0),
        }
    return None


def _raise_for(inv: ToolInvocation, decision: Decision, status: str, error: dict[str, Any]) -> None:
    if status == "denied":
        raise ToolDenied(
            f"policy denied {inv.tool.name} (rule {decision.rule_id}): {decision.reason}",
            tool=inv.tool.name,
            rule=decision.rule_id,
        )
    if status == "withheld":
        raise ToolDenied(error["message"], tool=inv.tool.name, rule=error.get("rule"))
    cls = _ERROR_CLASSES.get(error.get("type", ""), SemanticToolError)
    if error.get("retryable"):
        cls = TransientToolError
    raise cls(error["message"], tool=inv.tool.name, error_type=error.get("type"))
