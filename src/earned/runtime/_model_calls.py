"""The guarded model-call path: budget reservation, delimiting, retries, usage and cost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from earned.errors import (
    BudgetExceeded,
    CircuitOpen,
    ModelError,
    ModelHTTPError,
    ModelTimeoutError,
)
from earned.guards import UNTRUSTED_PREAMBLE, Reservation, delimit, screen
from earned.messages import (
    Message,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    SystemMessage,
    ToolDefinition,
    ToolResultMessage,
    UserMessage,
)
from earned.models import Model
from earned.runtime._breakers import note_circuit_open, spare_model, with_model_breakers

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["prepare_messages", "run_model_call"]

#: Output tokens reserved when a call does not set max_tokens.
_DEFAULT_OUTPUT_RESERVE = 1024
_RETRY_BASE_DELAY = 0.5


async def run_model_call(
    ctx: RunContext,
    messages: Sequence[Message],
    *,
    tools: Sequence[ToolDefinition] = (),
    output: OutputSchema | None = None,
    model: Model | str | None = None,
    settings: ModelSettings | None = None,
) -> ModelResponse:
    """Make one model call under the run's guards and record it."""
    state = ctx.state
    state.services.before_model_call(ctx.capability)
    resolved = ctx.resolve_model(model)
    state.count_step(f"model:{resolved.name}")
    prepared = prepare_messages(messages, nonce=state.nonce, flagged_sources=set())
    resolved, reservation = _reserve(ctx, resolved, prepared, settings)
    limits = state.request.limits
    call_settings: ModelSettings = {"timeout": limits.model_timeout, **(settings or {})}
    spare = spare_model(ctx, resolved)

    async def step() -> dict[str, Any]:
        return await with_model_breakers(
            state.services.breakers,
            resolved,
            spare,
            lambda model: _request_with_retries(
                model, prepared, tools, output, call_settings, attempts=limits.model_attempts
            ),
        )

    try:
        result = await state.services.steps.run(f"model:{resolved.name}", step)
    except (ModelError, CircuitOpen) as exc:
        state.budget.settle(reservation, tokens=0, cost=0.0)
        note_circuit_open(ctx, exc)
        raise
    response = ModelResponse.model_validate(result["response"])
    cost = state.services.prices.cost(resolved.name, response.usage)
    state.budget.settle(reservation, tokens=response.usage.total_tokens, cost=cost)
    state.add_usage(response.usage, cost)
    state.record(
        "model_call",
        resolved.name,
        ctx.parent_span,
        started_at=result["started_at"],
        ended_at=result["ended_at"],
        model=resolved.name,
        model_version=response.model,
        provider=response.provider,
        prompt_version=ctx.prompt_version,
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
        cost=cost,
        attempts=result["attempts"],
        finish_reason=response.finish_reason,
        tool_calls=[c.name for c in response.message.tool_calls],
        output=response.message.content,
        retried_errors=result["errors"],
        **({"breaker": result["breaker"]} if "breaker" in result else {}),
    )
    return response


def prepare_messages(
    messages: Sequence[Message], *, nonce: str, flagged_sources: set[str]
) -> list[Message]:
    """Wrap untrusted content (user text, tool results) in delimiters with provenance.

    When anything is wrapped, the preamble that tells the model delimited content is data
    is added to the system message (or sent as one).
    """
    out: list[Message] = []
    wrapped = False
    for message in messages:
        if isinstance(message, UserMessage):
            flagged = screen(message.content).flagged
            content = delimit(message.content, source=message.source, nonce=nonce, flagged=flagged)
            out.append(message.model_copy(update={"content": content}))
            wrapped = True
        elif isinstance(message, ToolResultMessage):
            source = f"tool:{message.tool_name}"
            flagged = source in flagged_sources or screen(message.content).flagged
            content = delimit(message.content, source=source, nonce=nonce, flagged=flagged)
            out.append(message.model_copy(update={"content": content}))
            wrapped = True
        else:
            out.append(message)
    if not wrapped:
        return out
    for i, message in enumerate(out):
        if isinstance(message, SystemMessage):
            content = f"{message.content}\n\n{UNTRUSTED_PREAMBLE}"
            out[i] = message.model_copy(update={"content": content})
            return out
    return [SystemMessage(content=UNTRUSTED_PREAMBLE), *out]


def _estimate_tokens(messages: Sequence[Message]) -> int:
    chars = sum(len(getattr(m, "content", "") or "") for m in messages)
    return max(1, chars // 4)


def _reserve(
    ctx: RunContext, model: Model, messages: Sequence[Message], settings: ModelSettings | None
) -> tuple[Model, Reservation]:
    """Reserve the call's worst case against the budget; fall back to a cheaper model."""
    state = ctx.state
    prices = state.services.prices
    out_tokens = (settings or {}).get("max_tokens", _DEFAULT_OUTPUT_RESERVE)
    tokens = _estimate_tokens(messages) + out_tokens
    candidates = [model]
    fallback = state.request.limits.fallback_model
    if fallback and fallback != model.name:
        candidates.append(ctx.resolve_model(fallback))
    for candidate in candidates:
        price = prices.price(candidate.name)
        cost = (
            None
            if price is None
            else (tokens * max(price.input_per_mtok, price.output_per_mtok)) / 1e6
        )
        reservation = state.budget.reserve(tokens=tokens, cost=cost)
        if reservation is not None:
            if candidate is not model:
                state.fallback = f"model:{candidate.name}"
                now = time.time()
                state.record(
                    "guard",
                    "budget_fallback",
                    ctx.parent_span,
                    started_at=now,
                    ended_at=now,
                    status="fallback",
                    from_model=model.name,
                    to_model=candidate.name,
                )
            return candidate, reservation
    raise BudgetExceeded(
        f"the next model call (about {tokens} tokens) would exceed the run's budget "
        f"(spent {state.budget.spent_tokens} tokens, ${state.budget.spent_cost:.4f}); raise "
        "limits.max_tokens/max_cost, set limits.fallback_model, or give the agent a "
        "deterministic fallback",
        estimated_tokens=tokens,
        spent_tokens=state.budget.spent_tokens,
        spent_cost=state.budget.spent_cost,
        max_tokens=state.request.limits.max_tokens,
        max_cost=state.request.limits.max_cost,
    )


def _is_transient(error: ModelError) -> bool:
    if isinstance(error, ModelHTTPError):
        return error.is_transient
    return error.transient


async def _request_with_retries(
    model: Model,
    messages: Sequence[Message],
    tools: Sequence[ToolDefinition],
    output: OutputSchema | None,
    settings: ModelSettings,
    *,
    attempts: int,
) -> dict[str, Any]:
    started = time.time()
    errors: list[dict[str, Any]] = []
    timeout = settings.get("timeout")
    for attempt in range(1, attempts + 1):
        try:
            call = model.request(messages, tools=tools, output=output, settings=settings)
            response = await (asyncio.wait_for(call, timeout) if timeout else call)
        except TimeoutError:
            error: ModelError = ModelTimeoutError(
                f"{model.name} did not answer within {timeout:g}s",
                model=model.name,
                timeout=timeout,
            )
        except ModelError as exc:
            error = exc
        else:
            return {
                "response": response.model_dump(mode="json"),
                "attempts": attempt,
                "errors": errors,
                "started_at": started,
                "ended_at": time.time(),
            }
        errors.append(error.to_dict())
        if not _is_transient(error) or attempt == attempts:
            error.details["attempts"] = attempt
            raise error
        await asyncio.sleep(_RETRY_BASE_DELAY * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
