"""The local model server itself: script, handler, recording, checks and lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from earned.errors import ModelHTTPError
from earned.messages import AssistantMessage, UserMessage
from earned.models import infer_model
from earned.models.anthropic import AnthropicModel
from earned.testing._models import respond, tool_call
from earned.testing.model_server import Answer, ModelServer, ReceivedRequest, Reply

pytestmark = pytest.mark.usefixtures("allowed")

HI = [UserMessage(content="hi")]

Closing = Callable[[Any], Any]


async def test_handler_answers_from_the_request(closing: Closing) -> None:
    def echo(request: ReceivedRequest) -> Reply:
        return f"{request.api}: {request.messages[-1]['content']}"

    with ModelServer(handler=echo) as server:
        model = closing(infer_model(server.openai_spec()))
        first = await model.request(HI)
        second = await model.request([UserMessage(content="again")])

    assert (first.message.content, second.message.content) == ("openai: hi", "openai: again")
    assert len(server.requests) == 2
    server.assert_complete()


async def test_async_handler_and_script_steps(closing: Closing) -> None:
    async def answer(request: ReceivedRequest) -> Reply:
        return Answer(text=f"model {request.model}")

    with ModelServer([answer, respond("scripted", tool_calls=[tool_call("t", {"a": 1})])]) as s:
        model = closing(infer_model(s.openai_spec("m1")))
        first = await model.request(HI)
        second = await model.request(HI)

    assert first.message.content == "model m1"
    assert second.message.content == "scripted"
    assert second.message.tool_calls[0].arguments == {"a": 1}


async def test_assistant_message_reply_on_anthropic(server: ModelServer, closing: Closing) -> None:
    server.add(AssistantMessage(content="hey", tool_calls=(tool_call("t", {"x": 2}, id="u1"),)))
    model = closing(AnthropicModel("claude-test", base_url=server.base_url, api_key="k"))

    response = await model.request(HI)

    assert response.message.content == "hey"
    assert response.message.tool_calls[0].id == "u1"
    assert server.last_request.api == "anthropic"
    assert server.last_request.path == "/v1/messages"


async def test_script_running_out_is_a_clear_400(server: ModelServer, closing: Closing) -> None:
    model = closing(infer_model(server.openai_spec()))

    with pytest.raises(ModelHTTPError, match="no reply scripted") as caught:
        await model.request(HI)

    assert caught.value.status_code == 400
    with pytest.raises(AssertionError, match="after the script ran out"):
        server.assert_complete()


def test_leftover_replies_fail_assert_complete() -> None:
    server = ModelServer(["unused"])

    assert server.remaining == 1
    with pytest.raises(AssertionError, match="never used"):
        server.assert_complete()


def test_rejects_what_the_real_api_rejects(server: ModelServer) -> None:
    server.add("unused")

    not_json = httpx.post(f"{server.openai_base_url}/chat/completions", content=b"{")
    no_max_tokens = httpx.post(
        f"{server.base_url}/v1/messages", json={"model": "c", "messages": []}
    )

    assert not_json.status_code == 400
    assert no_max_tokens.status_code == 400
    assert no_max_tokens.json()["error"]["message"] == "missing required field(s): max_tokens"
    assert server.remaining == 1


def test_addresses_need_a_started_server() -> None:
    server = ModelServer()

    with pytest.raises(RuntimeError, match="start the ModelServer"):
        _ = server.base_url
    with server:
        assert server.openai_spec("m") == f"openai-compatible:{server.base_url}/v1#m"
    server.stop()  # stopping twice is harmless


def test_last_request_without_requests(server: ModelServer) -> None:
    with pytest.raises(AssertionError, match="not received"):
        _ = server.last_request


async def test_reset_forgets_everything(server: ModelServer, closing: Closing) -> None:
    server.add("first", "unused")
    model = closing(infer_model(server.openai_spec()))
    await model.request(HI)
    server.api_key = "required-from-now-on"

    server.reset()

    assert (server.remaining, server.requests, server.api_key) == (0, [], None)
    server.add("again")
    response = await model.request(HI)
    assert response.response_id == "chatcmpl-1"
    server.assert_complete()
