"""Plan-and-execute: the model writes a plan; each step is policy-checked before it runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from earned.digest import canonical_json
from earned.errors import Escalate, ModelResponseError, SwitchedOff
from earned.messages import Message, ModelSettings, SystemMessage, ToolCall, UserMessage
from earned.models import Model
from earned.policy import PolicyEngine
from earned.runtime._agent import Agent
from earned.runtime._react import output_schema_for, parse_output, render_input
from earned.runtime._state import RunLimits
from earned.tools import Tool

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["Plan", "PlanAndExecute", "PlanStep"]

_PLAN_INSTRUCTIONS = (
    "First write a plan: the tool calls, in order, that accomplish the task, each with its "
    "arguments and the reason for it. Use only the tools listed. Answer with the plan only."
)
_ANSWER_INSTRUCTIONS = "The plan ran; the results are above. Now give the final answer."


class PlanStep(BaseModel):
    """One planned tool call."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""


class Plan(BaseModel):
    """The model's plan: its steps and why."""

    steps: list[PlanStep]
    rationale: str = ""


class PlanAndExecute(Agent):
    """Plan with one model call, run each step under policy, then answer with another.

    A plan that names unknown tools, or steps policy would deny, is sent back once for a
    new plan; a step that fails stops the plan and the model answers with what it has.
    """

    def __init__(
        self,
        name: str,
        *,
        model: Model | str | None = None,
        instructions: str,
        tools: Iterable[Tool[Any, Any]] = (),
        policy: PolicyEngine | None = None,
        output_type: type[BaseModel] | None = None,
        max_plan_steps: int = 8,
        replans: int = 1,
        settings: ModelSettings | None = None,
        prompt_version: str | None = None,
        capability: str | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        super().__init__(
            name,
            tools=tools,
            policy=policy,
            model=model,
            instructions=instructions,
            prompt_version=prompt_version,
            capability=capability,
            limits=limits,
        )
        self.output_type = output_type
        self.max_plan_steps = max_plan_steps
        self.replans = replans
        self.settings = settings

    async def execute(self, ctx: RunContext, input: Any) -> Any:
        """Plan, check, execute, answer."""
        if not await ctx.flag("planner_enabled"):
            raise SwitchedOff(
                "planning is switched off (flag planner_enabled is off)", flag="planner_enabled"
            )
        messages: list[Message] = [
            SystemMessage(content=f"{ctx.instructions}\n\n{_PLAN_INSTRUCTIONS}"),
            ctx.untrusted(render_input(input)),
        ]
        plan = await self._plan(ctx, messages)
        ctx.record("plan", steps=[s.model_dump() for s in plan.steps], rationale=plan.rationale)
        for index, step in enumerate(plan.steps, start=1):
            call = ToolCall(id=f"plan_{index}", name=step.tool, arguments=step.arguments)
            outcome = await ctx.execute_tool_call(call, reason=step.reason)
            messages.append(
                UserMessage(
                    content=canonical_json(
                        {
                            "step": index,
                            "tool": step.tool,
                            "status": outcome.status,
                            "result": outcome.value if outcome.ok else outcome.error,
                        }
                    ),
                    source=f"tool:{step.tool}",
                )
            )
            if not outcome.ok:
                break
        messages.append(UserMessage(content=_ANSWER_INSTRUCTIONS, source="earned:plan"))
        output = output_schema_for(self.output_type)
        response = await ctx.call_model(messages, tools=(), output=output, settings=self.settings)
        if self.output_type is None:
            return response.message.content or ""
        return parse_output(self.output_type, response.message.content)

    async def _plan(self, ctx: RunContext, messages: list[Message]) -> Plan:
        schema = output_schema_for(Plan)
        problems: list[str] = []
        for attempt in range(self.replans + 1):
            response = await ctx.call_model(
                messages, tools=(), output=schema, settings=self.settings
            )
            messages.append(response.message)
            try:
                plan = Plan.model_validate(parse_output(Plan, response.message.content))
            except ModelResponseError as exc:
                problems = [exc.message]
            else:
                problems = self._problems(plan, ctx)
                if not problems:
                    return plan
            if attempt < self.replans:
                messages.append(
                    UserMessage(
                        content=canonical_json({"error": "plan_rejected", "problems": problems}),
                        source="earned:plan-check",
                    )
                )
        raise Escalate(
            f"the plan was rejected {self.replans + 1} time(s): {'; '.join(problems)}",
            problems=problems,
        )

    def _problems(self, plan: Plan, ctx: RunContext) -> list[str]:
        problems: list[str] = []
        if not plan.steps:
            problems.append("the plan has no steps")
        if len(plan.steps) > self.max_plan_steps:
            problems.append(
                f"the plan has {len(plan.steps)} steps; at most {self.max_plan_steps} are allowed"
            )
        names = {t.name for t in ctx.tools}
        for i, step in enumerate(plan.steps, start=1):
            tool = ctx.find_tool(step.tool)
            if tool is None:
                problems.append(
                    f"step {i}: unknown tool {step.tool!r} (tools: {', '.join(sorted(names))})"
                )
                continue
            try:
                tool.validate(step.arguments)
            except Exception as exc:
                problems.append(f"step {i}: {exc}")
        return problems
