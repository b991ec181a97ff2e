"""What a run needs from its surroundings, injected (no globals): steps, sinks, prices, ..."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from earned.models import ModelRegistry, PriceTable, default_registry
from earned.runtime._events import EventSink, MemorySink

__all__ = ["InlineSteps", "Services", "StepRunner"]

T = TypeVar("T")


class StepRunner(Protocol):
    """Runs one step; the durable runner checkpoints its (JSON-able) result."""

    async def run(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` as the step called `name` and return its result."""
        ...


class InlineSteps:
    """Runs steps directly, checkpointing nothing (for unit tests of agents)."""

    async def run(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn` and return its result."""
        del name
        return await fn()


def _default_limiter() -> Any:
    from earned.guards import RateLimiter

    return RateLimiter()


def _default_cache() -> Any:
    from earned.guards import ToolCache

    return ToolCache()


@dataclass(kw_only=True)
class Services:
    """The run's injected dependencies; one instance is shared by the runs of an engine.

    `tool_executor`, when set, wraps the body of every tool-call step:
    `await tool_executor(inv, proceed)`, where `proceed(inv)` runs the guarded path
    (policy, invoke, checks). Shadow runs pass a stricter invocation on; replays answer from
    a recording and never call `proceed` (see `earned.replay`).
    """

    steps: StepRunner = field(default_factory=InlineSteps)
    sink: EventSink = field(default_factory=MemorySink)
    registry: ModelRegistry = field(default_factory=default_registry)
    prices: PriceTable = field(default_factory=PriceTable)
    limiter: Any = field(default_factory=_default_limiter)
    cache: Any = field(default_factory=_default_cache)
    breakers: Any = None
    approvals: Any = None
    approval_store: Any = None
    ledger: Any = None
    redactor: Any = None
    rollout: Any = None
    versions: Any = None
    deps: Any = None
    tool_executor: Any = None

    def enforce(self, policy: Any) -> Any:
        """The policy every tool call is checked by: under the capability matrix, if any."""
        if self.rollout is None:
            return policy
        return self.rollout.enforce(policy)

    def before_model_call(self, capability: str | None) -> None:
        """Raise `SwitchedOff` when a kill switch stops the agent or its capability."""
        if self.rollout is not None:
            self.rollout.before_model_call(capability)

    def flag(self, name: str) -> bool:
        """A live flag (`name` or `capability/name`); on when no matrix is configured."""
        return True if self.rollout is None else bool(self.rollout.flag(name))

    async def choose_versions(self, capability: str | None, request: Any) -> Any:
        """The pinned versions a run uses (`RunVersions`), chosen once as a checkpointed step.

        None when no resolver is configured, the run has no capability, or nothing is pinned.
        """
        resolver = self.versions
        if resolver is None or capability is None:
            return None

        async def choose() -> dict[str, Any]:
            return await asyncio.to_thread(
                resolver.choose, capability, request.principal, request.input
            )

        return resolver.load(await self.steps.run("versions", choose))

    async def execute_tool(self, inv: Any) -> dict[str, Any]:
        """The body of one tool-call step, through `tool_executor` when one is set."""
        from earned.runtime._tool_exec import execute_tool

        if self.tool_executor is None:
            return await execute_tool(inv, self)
        return await self.tool_executor(inv, lambda changed: execute_tool(changed, self))

    def redact(self, run_id: str, value: Any) -> Any:
        """`value` redacted in the run's scope (unchanged when no redactor is configured)."""
        if self.redactor is None or value is None:
            return value
        return self.redactor.scope(run_id).value(value)
