"""ReAct: the model reasons, calls tools, observes results, and repeats until it answers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from earned.digest import canonical_json
from earned.errors import ModelResponseError
from earned.messages import (
    Message,
    ModelSettings,
    OutputSchema,
    SystemMessage,
    UserMessage,
)
from earned.models import Model
from earned.policy import PolicyEngine
from earned.runtime._agent import Agent
from earned.runtime._state import RunLimits
from earned.tools import Tool

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["ReActAgent", "output_schema_for", "parse_output"]

#: Times the model may fix an answer that does not match the output schema.
_OUTPUT_RETRIES = 2


def output_schema_for(output_type: type[BaseModel] | None) -> OutputSchema | None:
    """The OutputSchema a model must follow for `output_type` (None for free text)."""
    if output_type is None:
        return None
    schema = output_type.model_json_schema()
    return OutputSchema(
        name=output_type.__name__, schema=schema, description=schema.get("description", "")
    )


def parse_output(output_type: type[BaseModel], text: str | None) -> dict[str, Any]:
    """Validate a model's final text against `output_type`; ModelResponseError if it fails."""
    try:
        return output_type.model_validate_json(text or "").model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ModelResponseError(
            f"the answer does not match {output_type.__name__}: {problems}",
            output_type=output_type.__name__,
            answer=(text or "")[:500],
        ) from None


def render_input(input: Any) -> str:
    """The run input as text for the model."""
    return input if isinstance(input, str) else canonical_json(input)


class ReActAgent(Agent):
    """A tool-calling loop over a tight tool set: the right default for most agents."""

    def __init__(
        self,
        name: str,
        *,
        model: Model | str | None = None,
        instructions: str,
        tools: Iterable[Tool[Any, Any]] = (),
        policy: PolicyEngine | None = None,
        output_type: type[BaseModel] | None = None,
        settings: ModelSettings | None = None,
        prompt_version: str | None = None,
        capability: str | None = None,
        limits: RunLimits | None = None,
        description: str = "",
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
            description=description,
        )
        self.output_type = output_type
        self.settings = settings

    async def execute(self, ctx: RunContext, input: Any) -> Any:
        """Loop: call the model; run the tool calls it asks for; stop when it answers."""
        messages: list[Message] = [
            SystemMessage(content=ctx.instructions or ""),
            ctx.untrusted(render_input(input)),
        ]
        output = output_schema_for(self.output_type)
        fixes_left = _OUTPUT_RETRIES
        while True:
            response = await ctx.call_model(messages, output=output, settings=self.settings)
            message = response.message
            messages.append(message)
            if message.tool_calls:
                for call in message.tool_calls:
                    outcome = await ctx.execute_tool_call(call, reason=message.content)
                    messages.append(outcome.to_message())
                continue
            if self.output_type is None:
                return message.content or ""
            try:
                return parse_output(self.output_type, message.content)
            except ModelResponseError as exc:
                if fixes_left == 0:
                    raise
                fixes_left -= 1
                messages.append(_fix_request(exc))


def _fix_request(exc: ModelResponseError) -> Message:
    return UserMessage(
        content=json.dumps({"error": "invalid_answer", "message": exc.message}),
        source="earned:output-check",
    )
