"""Run one agent on one request to a final status: the body of the durable workflow."""

from __future__ import annotations

import time
import traceback
from typing import Any

from pydantic_core import to_jsonable_python

from earned.errors import (
    BudgetExceeded,
    EarnedError,
    Escalate,
    ModelError,
    RunCancelled,
    RunStop,
    SwitchedOff,
)
from earned.guards import screen
from earned.runtime._agent import Agent
from earned.runtime._context import RunContext
from earned.runtime._run import RunState
from earned.runtime._services import Services
from earned.runtime._state import Escalation, RunRequest, RunResult

__all__ = ["execute_run"]


async def execute_run(request: RunRequest, agent: Agent, services: Services) -> RunResult:
    """Run `agent` on `request`; every ending becomes a RunResult with a clear status."""
    state = RunState(request, services)
    versions = await services.choose_versions(agent.capability or request.capability, request)
    used = agent.versions() if versions is None else versions.apply(agent.versions(), agent.name)
    root = state.open_span(
        "run",
        agent.name,
        None,
        at=request.created_at,
        agent=agent.name,
        capability=request.capability,
        stage=request.stage,
        tenant=request.principal.tenant,
        user=request.principal.user,
        role=request.principal.role,
        environment=request.environment,
        request_id=request.request_id,
        correlation_id=request.correlation_id,
        versions=used,
    )
    ctx = RunContext(state, agent, parent_span=root.span_id, versions=versions)
    _screen_input(state, request.input, root.span_id)
    fields: dict[str, Any] = {}
    try:
        output = await _execute(ctx, agent, request.input)
        if not await ctx.flag("draft_generation_enabled"):
            raise SwitchedOff(
                "draft generation is switched off (flag draft_generation_enabled "
                "is off): the draft is withheld",
                flag="draft_generation_enabled",
            )
        fields = {"status": "completed", "output": to_jsonable_python(output, fallback=str)}
    except RunCancelled as exc:
        fields = {"status": "cancelled", "error": {"type": "RunCancelled", "message": str(exc)}}
    except RunStop as exc:
        fields = _stopped(state, exc, root.span_id)
    except ModelError as exc:
        escalation = Escalate(f"the model call failed: {exc.message}", **exc.details)
        fields = _stopped(state, escalation, root.span_id, error=exc.to_dict())
    except EarnedError as exc:
        fields = {"status": "failed", "error": exc.to_dict()}
    except Exception as exc:
        fields = {"status": "failed", "error": _unexpected(exc)}
    result = RunResult(
        run_id=request.run_id,
        agent=agent.name,
        usage=state.usage,
        cost=state.cost,
        cost_known=state.cost_known,
        steps=state.steps,
        tainted=state.tainted,
        fallback=state.fallback,
        decisions=state.decisions,
        versions=used,
        principal=request.principal,
        capability=ctx.capability,
        stage=ctx.stage,
        started_at=request.created_at,
        ended_at=max(state.clock, time.time()),
        **fields,
    )
    state.close_span(
        root,
        at=result.ended_at,
        status=result.status,
        cost=result.cost,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        steps=result.steps,
        error_type=(result.error or {}).get("type"),
        escalation_reason=result.escalation.reason if result.escalation else None,
    )
    return result


async def _execute(ctx: RunContext, agent: Agent, input: Any) -> Any:
    try:
        return await agent.execute(ctx, input)
    except BudgetExceeded:
        if not agent.has_fallback:
            raise
        ctx.state.fallback = "deterministic"
        now = time.time()
        ctx.state.record(
            "guard",
            "budget_fallback",
            ctx.parent_span,
            started_at=now,
            ended_at=now,
            status="fallback",
            to="deterministic",
        )
        return await agent.fallback(ctx, input)


def _screen_input(state: RunState, value: Any, parent: str) -> None:
    texts = list(_strings(value))
    if not texts:
        return
    result = screen("\n".join(texts))
    if result.flagged:
        state.mark_tainted("input", result, parent)


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _stopped(
    state: RunState, stop: RunStop, parent: str, *, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    now = time.time()
    state.record(
        "escalation" if stop.status == "escalated" else "guard",
        type(stop).__name__,
        parent,
        started_at=now,
        ended_at=now,
        status=stop.status,
        reason=stop.message,
    )
    if stop.status != "escalated":
        return {"status": stop.status, "error": error or stop.to_dict()}
    escalation = Escalation(
        reason=stop.message,
        kind=type(stop).__name__,
        details=stop.to_dict()["details"],
        tried=list(state.tried),
        gathered=list(state.gathered),
    )
    return {"status": "escalated", "escalation": escalation, "error": error}


def _unexpected(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None
    return {
        "type": type(exc).__name__,
        "message": str(exc) or type(exc).__name__,
        "transient": False,
        "details": {"where": where},
    }
