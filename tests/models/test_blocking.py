"""Real model requests are blocked unless allowed (no `allowed` fixture in this module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from earned.errors import ModelRequestsBlocked
from earned.messages import UserMessage
from earned.models import allow_model_requests, infer_model
from earned.models.anthropic import AnthropicModel
from earned.testing.model_server import ModelServer

HI = [UserMessage(content="hi")]

Closing = Callable[[Any], Any]


async def test_openai_blocked_outside_allow_model_requests(
    server: ModelServer, monkeypatch: pytest.MonkeyPatch, closing: Closing
) -> None:
    monkeypatch.setenv("EARNED_ALLOW_MODEL_REQUESTS", "0")
    server.add("allowed")
    model = closing(infer_model(server.openai_spec()))

    with pytest.raises(ModelRequestsBlocked) as caught:
        await model.request(HI)
    assert caught.value.model == model.name
    assert server.requests == []

    with allow_model_requests():
        assert (await model.request(HI)).message.content == "allowed"
    assert len(server.requests) == 1


async def test_anthropic_blocked_outside_allow_model_requests(
    server: ModelServer, monkeypatch: pytest.MonkeyPatch, closing: Closing
) -> None:
    monkeypatch.setenv("EARNED_ALLOW_MODEL_REQUESTS", "0")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    server.add("allowed")
    model = closing(AnthropicModel("claude-test", base_url=server.base_url, api_key="k"))

    # blocked before anything else is checked, even without an API key in the environment
    with pytest.raises(ModelRequestsBlocked):
        await AnthropicModel("claude-test").request(HI)
    with pytest.raises(ModelRequestsBlocked):
        await model.request(HI)
    assert server.requests == []

    with allow_model_requests():
        assert (await model.request(HI)).message.content == "allowed"
