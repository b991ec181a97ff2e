"""The body of a tool-call step: policy before, invoke with retries, policy after.

This runs inside one checkpointed step, so its result (a JSON dict) is recorded and a
recovered run gets the recorded decision and result back instead of calling again. Writes
also go through the idempotency ledger (see `_tool_ledger.py`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

from earned.errors import EarnedError, ToolCrashed, ToolError, TransientToolError
from earned.guards import ToolCache
from earned.policy import CallRequest, Decision, PolicyEngine
from earned.runtime._services import Services
from earned.tools import FieldAllowlist, Tool, ToolContext

__all__ = ["ToolInvocation", "execute_tool", "invoke_and_check"]

#: Longest a call waits for a rate-limit slot before failing as transient.
_RATE_WAIT = 5.0


@dataclass(frozen=True, kw_only=True)
class ToolInvocation:
    """Everything the step needs: the tool, validated arguments, and what policy sees."""

    tool: Tool[Any, Any]
    arguments: dict[str, Any]
    arguments_digest: str
    request: CallRequest
    context: ToolContext
    policy: PolicyEngine
    position: int = 0
    grant_digest: str | None = None
    approval_id: str | None = None


async def execute_tool(inv: ToolInvocation, services: Services) -> dict[str, Any]:
    """Decide, run and filter one call; return the JSON outcome that is checkpointed."""
    from earned.runtime._breakers import guard_tool_call
    from earned.runtime._tool_ledger import run_ledgered

    started = time.time()
    decision = inv.policy.check_call(inv.request)
    head: dict[str, Any] = {"decision": decision.to_dict(), "started_at": started}

    def done(status: str, **fields: Any) -> dict[str, Any]:
        return {**head, "status": status, "ended_at": time.time(), **fields}

    if decision.effect == "deny":
        return done("denied")
    if decision.effect == "simulate":  # shadow: answered and marked, never executed
        value = inv.tool.project(inv.tool.simulated(inv.arguments)).value
        return done("simulated", value=value, removed=[], attempts=0, cached=False)
    approved = inv.grant_digest is not None and inv.grant_digest == inv.arguments_digest
    if decision.effect == "require_approval" and not approved:
        return done("approval_required")
    limited = await _rate_limited(inv, services)
    if limited is not None:
        return done("error", error=limited.to_dict(), attempts=0)
    tool = inv.tool
    cache_key = None
    if tool.cache_ttl:
        cache_key = ToolCache.key(tool.name, inv.arguments, tenant=inv.request.tenant)
        hit, cached = services.cache.get(cache_key)
        if hit:
            return done("ok", value=cached, removed=[], attempts=0, cached=True)

    async def invoke() -> dict[str, Any]:
        if tool.risk.is_write and services.ledger is not None:
            return await run_ledgered(inv, services, decision)
        return await invoke_and_check(inv, decision)

    body = await guard_tool_call(inv, services, invoke)  # the tool's circuit breaker
    if cache_key is not None and body["status"] == "ok":
        services.cache.put(cache_key, body["value"], tool.cache_ttl)
    status = body.pop("status")
    return done(status, **body)


async def _rate_limited(inv: ToolInvocation, services: Services) -> TransientToolError | None:
    tool = inv.tool
    if tool.rate_limit is None:
        return None
    key = f"tool:{tool.name}:tenant:{inv.request.tenant or '-'}"
    if await services.limiter.acquire(key, tool.rate_limit, wait=_RATE_WAIT):
        return None
    return TransientToolError(
        f"{tool.name} is rate limited to {tool.rate_limit}; try again later",
        tool=tool.name,
        rate_limit=str(tool.rate_limit),
    )


async def invoke_and_check(inv: ToolInvocation, decision: Decision) -> dict[str, Any]:
    """Invoke with retries, then the after-call policy check and the field allowlist."""
    value, error, attempts = await _invoke_with_retries(inv)
    if error is not None:
        return {"status": "error", "error": error.to_dict(), "attempts": attempts}
    verdict = inv.policy.check_result(inv.request, value)
    if verdict.withheld:
        return {
            "status": "withheld",
            "attempts": attempts,
            "withheld": {"rule_id": verdict.rule_id, "reason": verdict.reason},
        }
    narrower = FieldAllowlist(decision.returns) if decision.returns is not None else None
    projection = inv.tool.project(value, narrower)
    return {
        "status": "ok",
        "value": projection.value,
        "removed": list(projection.removed),
        "attempts": attempts,
        "cached": False,
    }


async def _invoke_with_retries(inv: ToolInvocation) -> tuple[Any, EarnedError | None, int]:
    tool = inv.tool
    attempt = 0
    while True:
        attempt += 1
        context = replace(inv.context, attempt=attempt)
        try:
            call = tool.invoke(context, inv.arguments)
            value = await (asyncio.wait_for(call, tool.timeout) if tool.timeout else call)
        except ToolError as exc:
            error: EarnedError = exc
        except TimeoutError:
            error = TransientToolError(
                f"{tool.name} did not answer within {tool.timeout:g}s",
                tool=tool.name,
                timeout=tool.timeout,
            )
        except ConnectionError as exc:
            error = TransientToolError(
                f"{tool.name} could not reach its service: {exc}", tool=tool.name
            )
        except Exception as exc:
            error = ToolCrashed(
                f"{tool.name} raised {type(exc).__name__}: {exc}",
                tool=tool.name,
                exception=type(exc).__name__,
            )
        else:
            return value, None, attempt
        if not error.transient or attempt >= tool.retry.max_attempts:
            error.details.setdefault("tool", tool.name)
            error.details["attempts"] = attempt
            return None, error, attempt
        await asyncio.sleep(tool.retry.delay(attempt))
