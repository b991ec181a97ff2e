"""The Model interface every provider adapter and test double implements."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Sequence
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

from earned.errors import ModelRequestsBlocked
from earned.messages import Message, ModelResponse, ModelSettings, OutputSchema, ToolDefinition

__all__ = ["Model", "allow_model_requests", "block_model_requests", "check_requests_allowed"]


@runtime_checkable
class Model(Protocol):
    """Messages and tool definitions in; text, tool calls and usage out.

    `name` is the registry string (`openai:gpt-4.1-mini`); the response's `model` field is
    the exact version the provider reports, and both are recorded with every call.
    """

    @property
    def name(self) -> str:
        """The registry string that addresses this model."""
        ...

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Send one request; raise a ModelError subclass on failure."""
        ...


_ALLOWED: ContextVar[bool | None] = ContextVar("earned_model_requests_allowed", default=None)
_ENV = "EARNED_ALLOW_MODEL_REQUESTS"


def check_requests_allowed(model: str) -> None:
    """Raise ModelRequestsBlocked when real model calls are forbidden here.

    Forbidden inside `block_model_requests()` or when EARNED_ALLOW_MODEL_REQUESTS=0 (the
    earned pytest plugin sets it for test sessions); `allow_model_requests()` lifts it.
    """
    allowed = _ALLOWED.get()
    if allowed is None:
        allowed = os.environ.get(_ENV, "1").lower() not in {"0", "false", "no"}
    if not allowed:
        raise ModelRequestsBlocked(
            f"a real request to {model} was blocked: real model calls are disabled in "
            "tests. Use earned.testing.ScriptedModel or FunctionModel, or wrap the call in "
            "earned.models.allow_model_requests() when it targets a local test server",
            model=model,
        )


@contextlib.contextmanager
def allow_model_requests() -> Generator[None, None, None]:
    """Permit real model requests inside the block (e.g. against a local test server)."""
    token = _ALLOWED.set(True)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


@contextlib.contextmanager
def block_model_requests() -> Generator[None, None, None]:
    """Forbid real model requests inside the block."""
    token = _ALLOWED.set(False)
    try:
        yield
    finally:
        _ALLOWED.reset(token)
