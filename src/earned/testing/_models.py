"""Model test doubles: a scripted model (a queue of answers) and a function model."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from earned.messages import (
    AssistantMessage,
    Message,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    ToolCall,
    ToolDefinition,
    Usage,
)

__all__ = [
    "FunctionModel",
    "ModelCall",
    "ScriptedModel",
    "UnexpectedModelCall",
    "respond",
    "tool_call",
]


@dataclass(frozen=True, kw_only=True)
class ModelCall:
    """One request a test double received."""

    messages: tuple[Message, ...]
    tools: tuple[ToolDefinition, ...]
    output: OutputSchema | None
    settings: ModelSettings = field(default_factory=lambda: cast(ModelSettings, {}))

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools offered on this call."""
        return [t.name for t in self.tools]

    @property
    def last_text(self) -> str:
        """Content of the last message (what the model was answering)."""
        last = self.messages[-1] if self.messages else None
        return getattr(last, "content", "") or ""


class UnexpectedModelCall(AssertionError):
    """A scripted model was called more times than it had answers for."""


def tool_call(
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    id: str | None = None,
    raw: str | None = None,
) -> ToolCall:
    """A tool call for a scripted answer; `raw` simulates arguments that are not JSON."""
    return ToolCall(
        id=id or f"call_{name}", name=name, arguments=arguments or {}, raw_arguments=raw
    )


def respond(
    text: str | None = None,
    *,
    tool_calls: Iterable[ToolCall] = (),
    usage: Usage | None = None,
    model: str = "scripted",
) -> ModelResponse:
    """A scripted answer: text, tool calls or both. Usage defaults to ~4 characters a token."""
    calls = tuple(tool_calls)
    message = AssistantMessage(content=text, tool_calls=calls)
    if usage is None:
        out_chars = len(text or "") + sum(len(json.dumps(c.arguments)) for c in calls)
        usage = Usage(input_tokens=0, output_tokens=max(1, out_chars // 4), requests=1)
    return ModelResponse(message=message, usage=usage, model=model, provider="test")


Script = ModelResponse | AssistantMessage | str | BaseException | Callable[[ModelCall], Any]


def _estimate_input_tokens(messages: Sequence[Message]) -> int:
    chars = sum(len(getattr(m, "content", "") or "") for m in messages)
    return max(1, chars // 4)


class ScriptedModel:
    """Answers from a queue: responses, strings (final text), exceptions (raised) or callables.

    Records every call in `.calls`; `assert_complete()` fails when answers are left over or
    when the model was called after its script ran out (which also raises at the call).
    """

    def __init__(self, script: Iterable[Script], *, name: str = "test:scripted") -> None:
        self._script: list[Script] = list(script)
        self._name = name
        self.calls: list[ModelCall] = []
        self.unexpected: list[ModelCall] = []

    @property
    def name(self) -> str:
        """The registry-style name recorded with each call."""
        return self._name

    @property
    def remaining(self) -> int:
        """Scripted answers not yet used."""
        return len(self._script)

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Return the next scripted answer (or raise it)."""
        call = ModelCall(
            messages=tuple(messages),
            tools=tuple(tools),
            output=output,
            settings=settings or cast(ModelSettings, {}),
        )
        if not self._script:
            self.unexpected.append(call)
            raise UnexpectedModelCall(
                f"{self._name} was called {len(self.calls) + len(self.unexpected)} times but "
                f"scripted for {len(self.calls)}; last message: {call.last_text[:200]!r}"
            )
        self.calls.append(call)
        step = self._script.pop(0)
        if callable(step) and not isinstance(step, BaseException):
            step = step(call)
            if inspect.isawaitable(step):
                step = await step
        return _to_response(step, call, self._name)

    def assert_complete(self) -> None:
        """Fail if answers are left over or the model was called past its script."""
        if self.unexpected:
            raise UnexpectedModelCall(
                f"{self._name} received {len(self.unexpected)} call(s) after its script ran out"
            )
        if self._script:
            raise AssertionError(
                f"{self._name} has {len(self._script)} scripted answer(s) that were never used"
            )


def _to_response(step: Any, call: ModelCall, name: str) -> ModelResponse:
    if isinstance(step, BaseException):
        raise step
    if isinstance(step, ModelResponse):
        response = step
    elif isinstance(step, AssistantMessage):
        response = ModelResponse(message=step, model="scripted", provider="test")
    elif isinstance(step, str):
        response = respond(step)
    else:
        raise TypeError(
            f"a scripted answer must be a ModelResponse, AssistantMessage, str, exception "
            f"or callable, got {type(step).__name__}"
        )
    if response.usage.input_tokens == 0:
        usage = response.usage.model_copy(
            update={"input_tokens": _estimate_input_tokens(call.messages), "requests": 1}
        )
        response = response.model_copy(update={"usage": usage})
    return response.model_copy(update={"model": name.split(":", 1)[-1]})


class FunctionModel:
    """A model whose answers come from your function `fn(call) -> response-like`."""

    def __init__(self, fn: Callable[[ModelCall], Any], *, name: str = "test:function") -> None:
        self._fn = fn
        self._name = name
        self.calls: list[ModelCall] = []

    @property
    def name(self) -> str:
        """The registry-style name recorded with each call."""
        return self._name

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Call the function and convert what it returns into a response."""
        call = ModelCall(
            messages=tuple(messages),
            tools=tuple(tools),
            output=output,
            settings=settings or cast(ModelSettings, {}),
        )
        self.calls.append(call)
        result = self._fn(call)
        if inspect.isawaitable(result):
            result = await result
        return _to_response(result, call, self._name)
