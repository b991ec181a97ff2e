"""Router: a classifier step picks one of several agents, which then does the work."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from earned.digest import digest
from earned.errors import Escalate, UserError
from earned.messages import SystemMessage
from earned.models import Model
from earned.runtime._agent import Agent
from earned.runtime._react import output_schema_for, parse_output, render_input
from earned.runtime._state import RunLimits

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["Route", "Router"]

Classifier = Callable[[Any], "str | tuple[str, float] | Awaitable[str | tuple[str, float]]"]


class Route(BaseModel):
    """The classifier's answer: a route label, its confidence and why."""

    route: str
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    reason: str = ""


class Router(Agent):
    """Classify the input, then run the chosen route's agent as a sub-agent.

    The classifier is either a Python function (checkpointed as a step: a trained model,
    rules, ...) or the router's model with structured output. A label with no route goes to
    `default`, or escalates. The confidence is recorded, never used as permission.
    """

    def __init__(
        self,
        name: str,
        *,
        routes: Mapping[str, Agent],
        classify: Classifier | None = None,
        model: Model | str | None = None,
        instructions: str | None = None,
        default: str | None = None,
        capability: str | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        if not routes:
            raise UserError(f"router {name!r} needs at least one route", agent=name)
        if classify is None and model is None:
            raise UserError(
                f"router {name!r} needs classify=fn or a model to classify with", agent=name
            )
        if default is not None and default not in routes:
            raise UserError(
                f"router {name!r}: default route {default!r} is not one of "
                f"{', '.join(sorted(routes))}",
                agent=name,
            )
        super().__init__(
            name, model=model, instructions=instructions, capability=capability, limits=limits
        )
        self.routes = dict(routes)
        self.classify = classify
        self.default = default

    def code_version(self) -> str:
        """A hash over the versions of every route's agent."""
        return f"sha256:{digest({k: a.versions() for k, a in self.routes.items()})[:12]}"

    async def execute(self, ctx: RunContext, input: Any) -> Any:
        """Classify, record the route, run the route's agent."""
        route = await self._classify(ctx, input)
        chosen = route.route if route.route in self.routes else self.default
        ctx.record(
            "route",
            route=route.route,
            confidence=route.confidence,
            reason=route.reason,
            chosen=chosen,
        )
        if chosen is None:
            raise Escalate(
                f"the classifier chose {route.route!r}, which has no route and there is no default",
                route=route.route,
                routes=sorted(self.routes),
            )
        return await ctx.run_agent(self.routes[chosen], input)

    async def _classify(self, ctx: RunContext, input: Any) -> Route:
        if self.classify is not None:
            fn = self.classify

            async def run() -> dict[str, Any]:
                value = fn(input)
                if inspect.isawaitable(value):
                    value = await value
                label, confidence = value if isinstance(value, tuple) else (value, 1.0)
                return {"route": str(label), "confidence": float(confidence)}

            return Route.model_validate(await ctx.step("classify", run))
        labels = tuple(sorted(self.routes))
        choice = create_model(
            "RouteChoice",
            __base__=Route,
            route=(Literal[labels], ...),  # type: ignore[valid-type]
        )
        instructions = ctx.instructions or "Classify the request into one of the routes."
        response = await ctx.call_model(
            [
                SystemMessage(content=f"{instructions}\nRoutes: {', '.join(labels)}"),
                ctx.untrusted(render_input(input)),
            ],
            tools=(),
            output=output_schema_for(choice),
        )
        return Route.model_validate(parse_output(choice, response.message.content))
