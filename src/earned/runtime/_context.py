"""RunContext: the only door an agent has to models, tools and checkpoints."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from earned.errors import Escalate
from earned.guards import screen
from earned.messages import (
    Message,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    ToolCall,
    ToolDefinition,
    UserMessage,
)
from earned.models import Model
from earned.runtime._run import RunState
from earned.runtime._state import Principal
from earned.tools import Tool

if TYPE_CHECKING:
    from earned.policy import PolicyEngine
    from earned.rollout import RunVersions
    from earned.runtime._agent import Agent
    from earned.runtime._tool_calls import ToolOutcome

__all__ = ["RunContext"]


class RunContext:
    """Bound to one run and one agent (sub-agents get their own context on the same run)."""

    def __init__(
        self,
        state: RunState,
        agent: Agent,
        *,
        parent_span: str | None,
        capability: str | None = None,
        stage: str | None = None,
        versions: RunVersions | None = None,
    ) -> None:
        self.state = state
        self.agent = agent
        self.parent_span = parent_span
        self.capability = capability or agent.capability or state.request.capability
        self.stage = stage or state.request.stage
        #: The versions pinned for the run's capability, chosen when it started (or None).
        self.versions = versions

    # -- what the run is ------------------------------------------------------------------

    @property
    def run_id(self) -> str:
        """This run's id (also its durable workflow id)."""
        return self.state.run_id

    @property
    def input(self) -> Any:
        """The run's input, as submitted."""
        return self.state.request.input

    @property
    def principal(self) -> Principal:
        """Who the run acts for."""
        return self.state.request.principal

    @property
    def deps(self) -> Any:
        """The dependencies object given to the engine (database handles, clients, ...)."""
        return self.state.services.deps

    @property
    def tainted(self) -> bool:
        """True once untrusted content in this run was flagged as a possible injection."""
        return self.state.tainted

    # -- what the agent is made of, for this run (pinned versions win) ---------------------

    def _pinned(self, kind: str) -> Any:
        resolver = self.state.services.versions
        if self.versions is None or resolver is None:
            return None
        return getattr(resolver, kind)(self.versions, self.agent)

    @property
    def instructions(self) -> str | None:
        """The agent's instructions: the pinned prompt, when the capability pins one."""
        pinned = self._pinned("prompt")
        return self.agent.instructions if pinned is None else pinned

    @property
    def prompt_version(self) -> str | None:
        """The version of the instructions in use (recorded on model-call spans)."""
        chosen = None if self.versions is None else self.versions.of("prompt", self.agent.name)
        if chosen is not None:
            return f"sha256:{chosen.short}"
        return self.agent.versions().get("prompt")

    @property
    def policy(self) -> PolicyEngine:
        """The agent's policy: the pinned one, when the capability pins one."""
        pinned = self._pinned("policy")
        return self.agent.policy if pinned is None else pinned

    @property
    def tools(self) -> tuple[Tool[Any, Any], ...]:
        """The tools the run may use: those the pinned tool set names, else all the agent's."""
        pinned = self._pinned("tools")
        return self.agent.tools if pinned is None else pinned

    def find_tool(self, name: str) -> Tool[Any, Any] | None:
        """The tool called `name` among `tools`, or None."""
        found = self.agent.find_tool(name)
        return found if found is None or found in self.tools else None

    def tool_definitions(self) -> list[ToolDefinition]:
        """Definitions of the tools the run may use, as sent to models."""
        if self._pinned("tools") is None:
            return self.agent.tool_definitions()
        return [t.definition for t in self.tools]

    def resolve_model(self, model: Model | str | None = None) -> Model:
        """The model: the argument, else the run's override, else the pinned, else the agent's."""
        chosen = model or self.state.request.model or self._pinned("model") or self.agent.model
        if chosen is None:
            from earned.errors import UserError

            raise UserError(
                f"agent {self.agent.name!r} has no model; pass model=... to the agent, "
                "or run it with --model PROVIDER:MODEL",
                agent=self.agent.name,
            )
        return self.state.services.registry.resolve(chosen)

    # -- doing things ---------------------------------------------------------------------

    async def call_tool(
        self,
        tool: str | Tool[Any, Any],
        arguments: Mapping[str, Any] | None = None,
        *,
        reason: str | None = None,
    ) -> Any:
        """Call a tool from workflow code; returns its (allowlisted) result.

        Raises ToolDenied when policy denies the call (or a reviewer rejects it), a
        ToolError when the tool fails, UnknownToolError for a tool the agent lacks.
        """
        from earned.runtime._tool_calls import run_tool_call

        name = tool if isinstance(tool, str) else tool.name
        call = ToolCall(
            id=f"wf_{self.state.tool_calls + 1}", name=name, arguments=dict(arguments or {})
        )
        outcome = await run_tool_call(self, call, reason=reason, from_model=False)
        return outcome.value

    async def execute_tool_call(self, call: ToolCall, *, reason: str | None = None) -> ToolOutcome:
        """Run a model's tool call; failures come back as a structured outcome."""
        from earned.runtime._tool_calls import run_tool_call

        return await run_tool_call(self, call, reason=reason, from_model=True)

    async def call_model(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] | None = None,
        output: OutputSchema | None = None,
        model: Model | str | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Call a model under the run's budget, step limit and deadline; checkpointed."""
        from earned.runtime._model_calls import run_model_call

        definitions = self.tool_definitions() if tools is None else tools
        return await run_model_call(
            self, messages, tools=definitions, output=output, model=model, settings=settings
        )

    async def step(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` (sync or async) as a checkpointed step.

        Use it for anything that must not be repeated after a recovery or that is not
        deterministic (a classifier, a clock, a random draw). The result must be JSON-able.
        """

        async def body() -> dict[str, Any]:
            started = time.time()
            value = fn(*args, **kwargs)
            if inspect.isawaitable(value):
                value = await value
            return {"value": value, "started_at": started, "ended_at": time.time()}

        result = await self.state.services.steps.run(f"step:{name}", body)
        self.state.record(
            "step",
            name,
            self.parent_span,
            started_at=result["started_at"],
            ended_at=result["ended_at"],
        )
        return result["value"]

    async def flag(self, name: str) -> bool:
        """A feature flag's live value (`name`, or `capability/name`), checkpointed.

        Branch on it in workflow code: a recovered run sees the value it saw the first
        time. Flags the matrix does not declare (and every flag, without a matrix) are on.
        """
        services = self.state.services
        if services.rollout is None:  # nothing can switch it off: no checkpoint needed
            return True
        return bool(await self.step(f"flag:{name}", services.flag, name))

    async def run_agent(self, agent: Agent, input: Any) -> Any:
        """Run a sub-agent inside this run: its own tools and policy, this run's limits."""
        span = self.state.open_span("sub_agent", agent.name, self.parent_span, agent=agent.name)
        child = RunContext(
            self.state,
            agent,
            parent_span=span.span_id,
            capability=agent.capability,
            stage=self.stage,
            versions=self.versions,
        )
        try:
            output = await agent.execute(child, input)
        except BaseException as exc:
            self.state.close_span(span, status="error", error_type=type(exc).__name__)
            raise
        self.state.close_span(span)
        return output

    def record(self, name: str, **attributes: Any) -> None:
        """Add a custom event to the run (e.g. a classification and its confidence)."""
        now = time.time()
        self.state.record(
            "custom", name, self.parent_span, started_at=now, ended_at=now, **attributes
        )

    def untrusted(self, text: str, *, source: str = "user") -> UserMessage:
        """Wrap outside text as a message; flagged content taints the run."""
        result = screen(text)
        if result.flagged:
            self.state.mark_tainted(source, result, self.parent_span)
        return UserMessage(content=text, source=source)

    def escalate(self, reason: str, **details: Any) -> NoReturn:
        """Hand the run to a human now, with a reason and the details they need."""
        raise Escalate(reason, **details)
