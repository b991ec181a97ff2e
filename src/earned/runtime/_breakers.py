"""Circuit breakers around tool and model calls: the two hooks the runtime calls.

Both run inside the call's checkpointed step, so the breaker's decision is recorded with
the step's result: a recovered run gets back what it saw (a fail-fast stays a fail-fast,
a call that went through is not asked about again).

Tools (`guard_tool_call`): an open breaker answers the call with a structured error,
`circuit_open`, retryable false, without invoking the tool; the model is told, and
workflow code gets `CircuitOpen` (an `Escalate`: the run goes to a human). A write the
idempotency ledger has already seen is never failed fast: its effect may exist, so it
goes on to the ledger, which knows.

Models (`with_model_breakers`): each model of a `FallbackModel` has its own breaker and an
open one is skipped (the chain moves to the next model); then the run's
`limits.fallback_model`, if any; when none is left, `CircuitOpen` escalates the run.
Attempts are counted one by one (a retry of a failing call is another failure).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from earned.errors import CircuitOpen, ModelError, ModelHTTPError, ModelRequestsBlocked
from earned.guards import BreakerSettings, CircuitBreaker, Permit
from earned.guards._breaker import Outcome
from earned.messages import Message, ModelResponse, ModelSettings, OutputSchema, ToolDefinition
from earned.models import FallbackModel, Model

if TYPE_CHECKING:
    from earned.guards import Breakers
    from earned.runtime._context import RunContext
    from earned.runtime._services import Services
    from earned.runtime._tool_exec import ToolInvocation

__all__ = [
    "guard_tool_call",
    "model_outcome",
    "note_circuit_open",
    "spare_model",
    "tool_outcome",
    "with_model_breakers",
]

T = TypeVar("T")


async def _call(breakers: Breakers, fn: Callable[..., T], *args: Any) -> T:
    """Run a breaker call; off the event loop when it reads or writes the database."""
    if breakers.blocking:
        return await asyncio.to_thread(fn, *args)
    return fn(*args)


# -- tools ------------------------------------------------------------------------------


def tool_outcome(body: Mapping[str, Any], settings: BreakerSettings) -> Outcome:
    """A tool call's outcome for its breaker: only "the service did not answer" fails."""
    if body.get("from_ledger"):
        return "ignored"  # answered from the ledger: the tool was not called
    status = body.get("status")
    if status == "unknown":
        return "failure"  # a write that failed transiently, outcome unknown
    if status != "error":
        return "success"
    error = body.get("error") or {}
    if error.get("transient") or error.get("type") in settings.failure_types:
        return "failure"
    if not body.get("attempts"):
        return "ignored"  # refused before the tool ran (an approval that cannot be used)
    return "success"  # a semantic error is an answer


async def guard_tool_call(
    inv: ToolInvocation, services: Services, invoke: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `invoke` under the tool's breaker; the step body's result, annotated."""
    breakers = services.breakers
    breaker = None if breakers is None else breakers.for_tool(inv.tool)
    if breakers is None or breaker is None:
        return await invoke()
    permit = await _call(breakers, breaker.acquire)
    if not permit.allowed:
        if await _ledger_has_seen(inv, services):
            return await invoke()
        return _circuit_open_body(inv.tool.name, permit)
    try:
        body = await invoke()
    except BaseException:
        await _call(breakers, breaker.release, permit)
        raise
    changed = await _call(breakers, breaker.record, permit, tool_outcome(body, breaker.settings))
    note = _note(breaker, permit, changed)
    if note is not None:
        body["breaker"] = note
    return body


async def _ledger_has_seen(inv: ToolInvocation, services: Services) -> bool:
    key = inv.context.idempotency_key
    if not inv.tool.risk.is_write or services.ledger is None or key is None:
        return False
    return await asyncio.to_thread(services.ledger.get, key) is not None


def _circuit_open_body(tool: str, permit: Permit) -> dict[str, Any]:
    when = ""
    if permit.retry_at is not None:
        at = time.strftime("%H:%M:%S", time.localtime(permit.retry_at))
        when = f" (it may be tried again after {at})"
    message = (
        f"{tool} was not called: its circuit breaker is {permit.state.replace('_', '-')} after "
        f"repeated failures{when}. Do not retry it now; answer without it or hand over to a human."
    )
    return {
        "status": "error",
        "attempts": 0,
        "breaker": permit.to_dict(),
        "error": {
            "type": "circuit_open",
            "message": message,
            "transient": False,
            "details": permit.to_dict(),
        },
    }


def _note(breaker: CircuitBreaker, permit: Permit, changed: Any) -> dict[str, Any] | None:
    """The span attribute `breaker` when this call probed or moved the breaker."""
    if permit.probe:
        after = changed.state if changed is not None else permit.state
        return {"name": breaker.name, "state": after, "probe": True}
    if changed is not None:
        return {"name": breaker.name, "state": changed.state, "reason": changed.reason}
    return None


# -- models -----------------------------------------------------------------------------


def model_outcome(error: ModelError | None, settings: BreakerSettings) -> Outcome:
    """A model call's outcome for its breaker: 429, 5xx, timeouts, connection errors fail."""
    if error is None:
        return "success"
    if isinstance(error, ModelRequestsBlocked):
        return "ignored"
    transient = error.is_transient if isinstance(error, ModelHTTPError) else error.transient
    if transient or type(error).__name__ in settings.failure_types:
        return "failure"
    return "success"  # the provider answered (a 400 is not an outage)


class _Open(ModelError):
    """A model's breaker refused the call (transient, so a FallbackModel moves on)."""

    transient = True


class _BreakerModel:
    """A Model that asks its breaker before each request and tells it how it went."""

    def __init__(
        self, inner: Model, breaker: CircuitBreaker, breakers: Breakers, notes: list[Any]
    ) -> None:
        self.inner = inner
        self.breaker = breaker
        self.breakers = breakers
        self.notes = notes

    @property
    def name(self) -> str:
        """The wrapped model's name."""
        return self.inner.name

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Refuse (fast) while the breaker is open; else call and record the outcome."""
        permit = await _call(self.breakers, self.breaker.acquire)
        if not permit.allowed:
            self.notes.append(permit.to_dict())
            raise _Open(
                f"{self.name} was not called: its circuit breaker is {permit.state}",
                model=self.name,
                breaker=permit.to_dict(),
            )
        started = time.monotonic()
        try:
            response = await self.inner.request(
                messages, tools=tools, output=output, settings=settings
            )
        except ModelError as exc:
            await self._record(permit, model_outcome(exc, self.breaker.settings))
            raise
        except BaseException:
            # Cancelled: by the call's timeout (`asyncio.wait_for` around us), which counts
            # as a failure, or by the run's cancellation, which does not.
            timeout = (settings or {}).get("timeout")
            timed_out = timeout is not None and time.monotonic() - started >= timeout * 0.99
            await self._record(permit, "failure" if timed_out else "ignored")
            raise
        await self._record(permit, "success")
        return response

    async def _record(self, permit: Permit, outcome: Outcome) -> None:
        changed = await _call(self.breakers, self.breaker.record, permit, outcome)
        note = _note(self.breaker, permit, changed)
        if note is not None:
            self.notes.append(note)


class _Guarded:
    """The run's model chain under breakers: skip open models, escalate when none is left."""

    def __init__(self, breakers: Breakers, model: Model, spare: Model | None) -> None:
        self.breakers = breakers
        self.notes: list[dict[str, Any]] = []
        self.model = model
        self.primary = self._wrap(model)
        self.spare = self._wrap(spare) if spare is not None else None

    @property
    def name(self) -> str:
        """The run's model's name (pricing and step names stay as without breakers)."""
        return self.model.name

    def _wrap(self, model: Model) -> Model:
        if isinstance(model, FallbackModel):
            first, *rest = (self._one(m) for m in model.models)
            return FallbackModel(first, *rest)
        return self._one(model)

    def _one(self, model: Model) -> Model:
        breaker = self.breakers.for_model(model.name)
        return (
            model if breaker is None else _BreakerModel(model, breaker, self.breakers, self.notes)
        )

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """The primary chain; on an open breaker, the spare; else `CircuitOpen`."""
        try:
            return await self.primary.request(
                messages, tools=tools, output=output, settings=settings
            )
        except _Open as exc:
            if self.spare is None:
                raise self._escalation(exc) from None
        try:
            return await self.spare.request(messages, tools=tools, output=output, settings=settings)
        except _Open as exc:
            raise self._escalation(exc) from None

    def _escalation(self, exc: _Open) -> CircuitOpen:
        refused = [note for note in self.notes if note.get("state") != "closed"]
        names = ", ".join(str(note["name"]) for note in refused) or str(exc.details.get("model"))
        return CircuitOpen(
            f"no model left to call: the circuit breakers of {names} are open after repeated "
            "failures; the run goes to a human",
            breaker=refused[-1]["name"] if refused else None,
            breakers=refused,
            model=self.model.name,
        )


def spare_model(ctx: RunContext, model: Model) -> Model | None:
    """The run's `limits.fallback_model`, when it is not the model already chosen."""
    fallback = ctx.state.request.limits.fallback_model
    if not fallback or fallback == model.name:
        return None
    return ctx.resolve_model(fallback)


async def with_model_breakers(
    breakers: Breakers | None,
    model: Model,
    spare: Model | None,
    call: Callable[[Model], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """`call(model)` with the model chain under breakers; notes go to `result["breaker"]`."""
    if breakers is None:
        return await call(model)
    guarded = _Guarded(breakers, model, spare)
    result = await call(guarded)
    if guarded.notes:
        result["breaker"] = guarded.notes
    return result


def note_circuit_open(ctx: RunContext, error: BaseException) -> None:
    """Record a `guard` span for a run stopped by open breakers (a no-op for other errors)."""
    if not isinstance(error, CircuitOpen):
        return
    now = time.time()
    ctx.state.record(
        "guard",
        "circuit_open",
        ctx.parent_span,
        started_at=now,
        ended_at=now,
        status="circuit_open",
        breaker=error.details.get("breakers"),
        model=error.details.get("model"),
    )
