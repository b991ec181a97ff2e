"""Static workflows: fixed steps in plain Python; each step may call a model or a tool."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from earned.digest import digest
from earned.models import Model
from earned.policy import PolicyEngine
from earned.runtime._agent import Agent
from earned.runtime._state import RunLimits
from earned.tools import Tool

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["Workflow", "workflow"]

WorkflowFn = Callable[["RunContext", Any], Awaitable[Any]]


class Workflow(Agent):
    """An agent whose steps are your async function `fn(ctx, input)`.

    Every `ctx.call_tool`, `ctx.call_model` and `ctx.step` inside it is guarded and
    checkpointed, so the function must be deterministic between those calls.
    """

    def __init__(
        self,
        name: str,
        fn: WorkflowFn,
        *,
        tools: Iterable[Tool[Any, Any]] = (),
        policy: PolicyEngine | None = None,
        model: Model | str | None = None,
        instructions: str | None = None,
        prompt_version: str | None = None,
        capability: str | None = None,
        limits: RunLimits | None = None,
        fallback: WorkflowFn | None = None,
        description: str = "",
    ) -> None:
        if not inspect.iscoroutinefunction(fn):
            from earned.errors import UserError

            raise UserError(
                f"workflow {name!r}: {getattr(fn, '__qualname__', fn)!r} must be an async "
                "function `async def flow(ctx, input)`",
                agent=name,
            )
        super().__init__(
            name,
            tools=tools,
            policy=policy,
            model=model,
            instructions=instructions,
            prompt_version=prompt_version,
            capability=capability,
            limits=limits,
            description=description or (inspect.getdoc(fn) or ""),
        )
        self.fn = fn
        self._fallback_fn = fallback

    def code_version(self) -> str:
        """A hash of the workflow function's source."""
        try:
            source = inspect.getsource(self.fn)
        except (OSError, TypeError):
            return "unknown"
        return f"sha256:{digest(source)[:12]}"

    @property
    def has_fallback(self) -> bool:
        """True when a deterministic fallback function was given."""
        return self._fallback_fn is not None

    async def execute(self, ctx: RunContext, input: Any) -> Any:
        """Run the workflow function."""
        return await self.fn(ctx, input)

    async def fallback(self, ctx: RunContext, input: Any) -> Any:
        """Run the deterministic fallback function."""
        if self._fallback_fn is None:
            raise NotImplementedError
        return await self._fallback_fn(ctx, input)


def workflow(
    *,
    name: str | None = None,
    tools: Iterable[Tool[Any, Any]] = (),
    policy: PolicyEngine | None = None,
    model: Model | str | None = None,
    instructions: str | None = None,
    capability: str | None = None,
    limits: RunLimits | None = None,
) -> Callable[[WorkflowFn], Workflow]:
    """Decorate `async def flow(ctx, input)` to make it a Workflow agent."""

    def wrap(fn: WorkflowFn) -> Workflow:
        return Workflow(
            name or fn.__name__,
            fn,
            tools=tools,
            policy=policy,
            model=model,
            instructions=instructions,
            capability=capability,
            limits=limits,
        )

    return wrap
