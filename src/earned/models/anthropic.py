"""Anthropic's Messages API (the `anthropic` extra): `anthropic:claude-sonnet-4-5`.

The key comes from ANTHROPIC_API_KEY and the base URL from ANTHROPIC_BASE_URL when set.
As with OpenAI, the SDK's own retries are off and every SDK failure becomes one of
earned's typed `ModelError`s. Structured output is a forced tool named after the
OutputSchema; its input comes back as the answer's text (JSON).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, cast

try:
    import anthropic
    from anthropic import AsyncAnthropic, omit
    from anthropic.types import (
        ContentBlockParam,
        MessageParam,
        ToolChoiceParam,
        ToolParam,
    )
    from anthropic.types import (
        Message as AnthropicMessage,
    )
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "earned.models.anthropic needs the anthropic SDK: pip install 'earned[anthropic]'"
    ) from _exc

from earned.errors import ModelError, ModelNotFoundError, ModelResponseError, UserError
from earned.messages import (
    AssistantMessage,
    Message,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    SystemMessage,
    ToolCall,
    ToolDefinition,
    ToolResultMessage,
    Usage,
    UserMessage,
)
from earned.models._base import check_requests_allowed
from earned.models.openai import (
    _connection_error,
    _http_error,
    _LoopLocal,
    _timeout_error,
)

__all__ = ["AnthropicModel", "anthropic_model"]

#: Anthropic requires max_tokens; used when `settings["max_tokens"]` is not given.
_DEFAULT_MAX_TOKENS = 1024
_DEFAULT_TIMEOUT = 60.0
_DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicModel:
    """A Claude model behind Anthropic's Messages API.

    `api_key=None` reads ANTHROPIC_API_KEY at request time, so a missing key is
    reported when the model is first used. Settings: `max_tokens` (default 1024) and
    `timeout` (default 60 s); the Messages API this SDK speaks takes no temperature,
    top_p or seed, so those are ignored.
    """

    def __init__(
        self,
        model_name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncAnthropic | None = None,
    ) -> None:
        self.model_name = model_name
        self.base_url = base_url
        self._api_key = api_key
        self._clients = _LoopLocal(self._new_client, client)

    @property
    def name(self) -> str:
        """The registry string: `anthropic:MODEL`."""
        return f"anthropic:{self.model_name}"

    def __repr__(self) -> str:
        return f"AnthropicModel({self.name!r})"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Send one Messages API request; raise a ModelError subclass on failure."""
        check_requests_allowed(self.name)
        settings = settings or ModelSettings()
        client = self._clients.get()
        timeout = settings.get("timeout", _DEFAULT_TIMEOUT)
        system, turns = _map_messages(messages)
        tool_params, tool_choice = _map_tools(tools, output)
        try:
            message = await client.messages.create(
                model=self.model_name,
                max_tokens=settings.get("max_tokens", _DEFAULT_MAX_TOKENS),
                messages=turns,
                system=system if system else omit,
                tools=tool_params if tool_params else omit,
                tool_choice=tool_choice if tool_choice is not None else omit,
                timeout=timeout,
            )
        except (anthropic.AnthropicError, ValueError) as exc:
            raise self._error(exc, timeout) from exc
        return self._response(message, output)

    async def aclose(self) -> None:
        """Close the HTTP client this model opened on the running event loop."""
        await self._clients.aclose()

    def _new_client(self) -> AsyncAnthropic:
        api_key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not api_key:
            raise UserError(
                f"{self.name} needs an API key: set the ANTHROPIC_API_KEY environment "
                "variable (or pass api_key= to AnthropicModel)",
                model=self.name,
                env_var="ANTHROPIC_API_KEY",
            )
        return AsyncAnthropic(api_key=api_key, base_url=self.base_url, max_retries=0)

    def _response(
        self, message: AnthropicMessage | Any, output: OutputSchema | None
    ) -> ModelResponse:
        if not isinstance(message, AnthropicMessage):
            raise ModelResponseError(
                f"{self.name} answered with something that is not a message; check that the "
                "base URL points at an Anthropic Messages API",
                model=self.name,
                base_url=self.base_url or _DEFAULT_BASE_URL,
                body=str(message)[:2000],
            )
        try:
            return _parse_message(message, output, fallback=self.model_name)
        except (AttributeError, TypeError, KeyError) as exc:
            raise ModelResponseError(
                f"{self.name} answered with a message earned cannot read ({exc}); check that "
                "the server implements Anthropic's Messages API",
                model=self.name,
                base_url=self.base_url or _DEFAULT_BASE_URL,
                body=repr(message)[:2000],
            ) from exc

    def _error(self, exc: Exception, timeout: float) -> ModelError:
        where = self.base_url or _DEFAULT_BASE_URL
        if isinstance(exc, anthropic.APITimeoutError):
            return _timeout_error(self.name, where, timeout)
        if isinstance(exc, anthropic.APIConnectionError):
            return _connection_error(self.name, where, exc)
        if isinstance(exc, anthropic.APIStatusError):
            return _http_error(self.name, exc.status_code, exc.body, exc.response.headers)
        return ModelResponseError(
            f"{self.name} answered with a response earned cannot read "
            f"({type(exc).__name__}: {exc}); check that {where} serves Anthropic's Messages API",
            model=self.name,
            base_url=where,
        )


# --- requests ------------------------------------------------------------------------------


def _map_messages(messages: Sequence[Message]) -> tuple[str, list[MessageParam]]:
    """The system prompt and the user/assistant turns (consecutive same-role turns merged)."""
    system: list[str] = []
    turns: list[MessageParam] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            system.append(message.content)
            continue
        role, blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            cast(list[ContentBlockParam], turns[-1]["content"]).extend(blocks)
        elif role == "user":
            turns.append({"role": "user", "content": blocks})
        else:
            turns.append({"role": "assistant", "content": blocks})
    return "\n\n".join(system), turns


def _blocks(message: Message) -> tuple[str, list[ContentBlockParam]]:
    if isinstance(message, UserMessage):
        return "user", [{"type": "text", "text": message.content}]
    if isinstance(message, ToolResultMessage):
        block: ContentBlockParam = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content,
            "is_error": message.is_error,
        }
        return "user", [block]
    if isinstance(message, AssistantMessage):
        blocks: list[ContentBlockParam] = []
        if message.content:
            blocks.append({"type": "text", "text": message.content})
        for call in message.tool_calls:
            # A malformed call is sent with empty input: the API only takes objects, and
            # the tool result that follows tells the model what went wrong.
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
            )
        return "assistant", blocks
    return "system", []


def _map_tools(
    tools: Sequence[ToolDefinition], output: OutputSchema | None
) -> tuple[list[ToolParam], ToolChoiceParam | None]:
    """Tool definitions, plus the output tool and the choice that forces a tool when needed."""
    params: list[ToolParam] = [_tool(t.name, t.description, t.parameters) for t in tools]
    if output is None:
        return params, None
    if any(t.name == output.name for t in tools):
        raise UserError(
            f"the output schema is named {output.name!r} like one of the tools; rename it, "
            "since on Anthropic structured output is a tool of that name",
            output=output.name,
            tools=[t.name for t in tools],
        )
    description = output.description or "Give the final answer by calling this tool."
    params.append(_tool(output.name, description, output.schema_))
    if tools:  # the model may still call a real tool first, but must call some tool
        return params, {"type": "any"}
    return params, {"type": "tool", "name": output.name}


def _tool(name: str, description: str, schema: dict[str, Any]) -> ToolParam:
    return {"name": name, "description": description, "input_schema": schema}


# --- responses -----------------------------------------------------------------------------


def _parse_message(
    message: AnthropicMessage, output: OutputSchema | None, *, fallback: str
) -> ModelResponse:
    """An Anthropic message as an earned ModelResponse; the output tool's input is the text."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    answer: str | None = None
    for block in message.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            if output is not None and block.name == output.name:
                answer = json.dumps(block.input)
            else:
                calls.append(_tool_call(block.id, block.name, block.input))
    content = answer if answer is not None else ("".join(texts) or None)
    finish = message.stop_reason
    if answer is not None and not calls:
        finish = "end_turn"
    return ModelResponse(
        message=AssistantMessage(content=content, tool_calls=tuple(calls)),
        usage=_usage(message),
        model=message.model or fallback,
        provider="anthropic",
        finish_reason=finish,
        response_id=message.id or None,
    )


def _tool_call(call_id: str, name: str, tool_input: object) -> ToolCall:
    if isinstance(tool_input, dict):
        return ToolCall(id=call_id, name=name, arguments=cast(dict[str, Any], tool_input))
    raw = tool_input if isinstance(tool_input, str) else json.dumps(tool_input)
    return ToolCall(id=call_id, name=name, raw_arguments=raw)


def _usage(message: AnthropicMessage) -> Usage:
    """Input tokens include cache writes and reads, so budgets count every token sent."""
    usage = message.usage
    cached = (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    return Usage(
        input_tokens=(usage.input_tokens or 0) + cached,
        output_tokens=usage.output_tokens or 0,
        requests=1,
    )


def anthropic_model(spec: str) -> AnthropicModel:
    """`anthropic:MODEL`: key from ANTHROPIC_API_KEY, base URL from ANTHROPIC_BASE_URL if set."""
    if not spec:
        raise ModelNotFoundError(
            "write an Anthropic model as anthropic:MODEL, e.g. anthropic:claude-sonnet-4-5",
            model="anthropic:",
        )
    return AnthropicModel(spec, base_url=os.environ.get("ANTHROPIC_BASE_URL"))
