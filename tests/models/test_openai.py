from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from earned.errors import (
    ModelConnectionError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelResponseError,
    ModelTimeoutError,
    UserError,
)
from earned.messages import (
    AssistantMessage,
    OutputSchema,
    SystemMessage,
    ToolCall,
    ToolDefinition,
    ToolResultMessage,
    UserMessage,
)
from earned.models import infer_model
from earned.models.openai import OpenAIModel, openai_compatible_model, openai_model
from earned.testing._models import tool_call
from earned.testing.model_server import Answer, Failure, Garbage, ModelServer

pytestmark = pytest.mark.usefixtures("allowed")

HI = [UserMessage(content="hi")]

Closing = Callable[[Any], Any]

LOOKUP = ToolDefinition(
    name="lookup_order",
    description="Find an order by id.",
    parameters={
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
)
REFUND = ToolDefinition(
    name="refund",
    description="Refund an order.",
    parameters={
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        "required": ["order_id"],
    },
)
VERDICT = OutputSchema(
    name="verdict",
    schema={
        "type": "object",
        "properties": {"approve": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["approve", "reason"],
        "additionalProperties": False,
    },
)


@pytest.fixture
async def model(server: ModelServer) -> AsyncIterator[OpenAIModel]:
    built = infer_model(server.openai_spec("test-model"))
    assert isinstance(built, OpenAIModel)
    yield built
    await built.aclose()


async def test_text_answer_usage_and_version(server: ModelServer, model: OpenAIModel) -> None:
    server.add(Answer(text="hello", input_tokens=123, output_tokens=45, model="test-model-0613"))

    response = await model.request(HI)

    assert response.message == AssistantMessage(content="hello")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (123, 45)
    assert response.usage.requests == 1
    assert response.model == "test-model-0613"
    assert response.provider == "openai-compatible"
    assert response.finish_reason == "stop"
    assert response.response_id == "chatcmpl-1"
    server.assert_complete()


async def test_messages_and_settings_sent(server: ModelServer, model: OpenAIModel) -> None:
    server.add("ok")
    messages = [SystemMessage(content="be brief"), UserMessage(content="refund #1")]

    await model.request(
        messages, settings={"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "seed": 7}
    )

    body = server.last_request.body
    assert body["model"] == "test-model"
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "refund #1"},
    ]
    assert (body["temperature"], body["max_tokens"], body["top_p"], body["seed"]) == (
        0.2,
        50,
        0.9,
        7,
    )
    assert "tools" not in body
    assert "response_format" not in body


async def test_one_tool_call(server: ModelServer, model: OpenAIModel) -> None:
    server.add(Answer(tool_calls=[tool_call("lookup_order", {"order_id": "A1"}, id="c1")]))

    response = await model.request(HI, tools=[LOOKUP])

    assert response.message.tool_calls == (
        ToolCall(id="c1", name="lookup_order", arguments={"order_id": "A1"}),
    )
    assert response.finish_reason == "tool_calls"
    (tool,) = server.last_request.tools
    assert tool == {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order by id.",
            "parameters": LOOKUP.parameters,
            "strict": True,
        },
    }


async def test_several_tool_calls_and_text(server: ModelServer, model: OpenAIModel) -> None:
    calls = [
        tool_call("lookup_order", {"order_id": "A1"}, id="c1"),
        tool_call("refund", {"order_id": "A1", "amount": 5.5}, id="c2"),
    ]
    server.add(Answer(text="checking", tool_calls=calls))

    response = await model.request(HI, tools=[LOOKUP, REFUND])

    assert response.message.content == "checking"
    assert [c.name for c in response.message.tool_calls] == ["lookup_order", "refund"]
    assert response.message.tool_calls[1].arguments == {"order_id": "A1", "amount": 5.5}
    # `refund` has an optional property, so strict mode cannot be used for it
    assert "strict" not in server.last_request.tools[1]["function"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
async def test_malformed_tool_arguments_kept_raw(
    server: ModelServer, model: OpenAIModel, raw: str
) -> None:
    server.add(Answer(tool_calls=[tool_call("lookup_order", raw=raw, id="c1")]))

    response = await model.request(HI, tools=[LOOKUP])

    (call,) = response.message.tool_calls
    assert call.arguments == {}
    assert call.raw_arguments == raw
    assert call.malformed


async def test_structured_output_request(server: ModelServer, model: OpenAIModel) -> None:
    server.add(Answer(data={"approve": True, "reason": "within policy"}))

    response = await model.request(HI, output=VERDICT)

    assert json.loads(response.message.content or "") == {
        "approve": True,
        "reason": "within policy",
    }
    assert server.last_request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": VERDICT.schema_, "strict": True},
    }


async def test_structured_output_not_strict_when_schema_is_open(
    server: ModelServer, model: OpenAIModel
) -> None:
    server.add(Answer(data={"approve": False}))
    loose = OutputSchema(
        name="loose",
        description="A verdict.",
        schema={"type": "object", "properties": {"approve": {"type": "boolean"}}},
    )

    await model.request(HI, output=loose)

    response_format = server.last_request.body["response_format"]["json_schema"]
    assert response_format["strict"] is False
    assert response_format["description"] == "A verdict."


async def test_tool_results_round_trip(server: ModelServer, model: OpenAIModel) -> None:
    server.add("refunded")
    history = [
        UserMessage(content="refund A1"),
        AssistantMessage(
            content=None,
            tool_calls=(
                ToolCall(id="c1", name="lookup_order", arguments={"order_id": "A1"}),
                ToolCall(id="c2", name="refund", raw_arguments="{oops"),
            ),
        ),
        ToolResultMessage(tool_call_id="c1", tool_name="lookup_order", content='{"total": 5}'),
        ToolResultMessage(
            tool_call_id="c2", tool_name="refund", content="arguments not JSON", is_error=True
        ),
    ]

    await model.request(history, tools=[LOOKUP, REFUND])

    sent: list[dict[str, Any]] = server.last_request.messages
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": '{"order_id": "A1"}'},
            },
            {"id": "c2", "type": "function", "function": {"name": "refund", "arguments": "{oops"}},
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": '{"total": 5}'}
    assert sent[3] == {"role": "tool", "tool_call_id": "c2", "content": "arguments not JSON"}


async def test_rate_limit_is_transient_http_error(server: ModelServer, model: OpenAIModel) -> None:
    server.add(Failure(status=429, message="slow down", retry_after=3))

    with pytest.raises(ModelHTTPError) as caught:
        await model.request(HI)

    error = caught.value
    assert error.status_code == 429
    assert error.is_transient
    assert error.retry_after == "3"
    assert error.body["message"] == "slow down"
    assert error.model == model.name
    assert error.request_id.startswith("req_")
    assert "HTTP 429" in str(error)
    assert "slow down" in str(error)


@pytest.mark.parametrize(("status", "transient"), [(500, True), (503, True), (400, False)])
async def test_http_errors(
    server: ModelServer, model: OpenAIModel, status: int, transient: bool
) -> None:
    server.add(Failure(status=status))

    with pytest.raises(ModelHTTPError) as caught:
        await model.request(HI)

    assert caught.value.status_code == status
    assert caught.value.is_transient is transient
    assert caught.value.to_dict()["transient"] is transient


async def test_wrong_api_key_is_401(monkeypatch: pytest.MonkeyPatch, closing: Closing) -> None:
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "wrong")
    with ModelServer(["never sent"], api_key="right") as server:
        model = closing(infer_model(server.openai_spec()))
        with pytest.raises(ModelHTTPError) as caught:
            await model.request(HI)
    assert caught.value.status_code == 401
    assert not caught.value.is_transient
    assert "API key" in str(caught.value)


async def test_timeout(server: ModelServer, model: OpenAIModel) -> None:
    server.add(Answer(text="too late", delay=5))

    with pytest.raises(ModelTimeoutError) as caught:
        await model.request(HI, settings={"timeout": 0.2})

    assert caught.value.transient
    assert caught.value.timeout == 0.2
    assert "settings['timeout']" in str(caught.value)


async def test_connection_refused(refused_url: str, closing: Closing) -> None:
    model = closing(openai_compatible_model(f"{refused_url}/v1#m"))

    with pytest.raises(ModelConnectionError) as caught:
        await model.request(HI)

    assert caught.value.transient
    assert caught.value.base_url == f"{refused_url}/v1"
    assert "running" in str(caught.value)


@pytest.mark.parametrize(
    "garbage",
    [Garbage(), Garbage(body="<html>bad gateway</html>", content_type="text/html")],
)
async def test_garbage_body(server: ModelServer, model: OpenAIModel, garbage: Garbage) -> None:
    server.add(garbage)

    with pytest.raises(ModelResponseError) as caught:
        await model.request(HI)

    assert not caught.value.transient
    assert caught.value.model == model.name


async def test_empty_choices(server: ModelServer, model: OpenAIModel) -> None:
    server.add(lambda request: Garbage(body='{"id": "x", "model": "m", "choices": []}'))

    with pytest.raises(ModelResponseError, match="cannot read"):
        await model.request(HI)


async def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = infer_model("openai:gpt-4.1-mini")

    with pytest.raises(UserError, match="OPENAI_API_KEY") as caught:
        await model.request(HI)

    assert caught.value.env_var == "OPENAI_API_KEY"


async def test_openai_factory_uses_env(
    server: ModelServer, monkeypatch: pytest.MonkeyPatch, closing: Closing
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    server.api_key = "sk-test"
    server.add(Answer(text="hi", model="gpt-4.1-mini-2025-04-14"))
    model = closing(openai_model("gpt-4.1-mini"))

    response = await model.request(HI, settings={"max_tokens": 20})

    assert model.name == "openai:gpt-4.1-mini"
    assert response.provider == "openai"
    assert response.model == "gpt-4.1-mini-2025-04-14"
    assert server.last_request.headers["authorization"] == "Bearer sk-test"
    # OpenAI itself takes max_completion_tokens; compatible servers take max_tokens
    assert server.last_request.body["max_completion_tokens"] == 20
    assert "max_tokens" not in server.last_request.body


async def test_registry_string_resolves(server: ModelServer, closing: Closing) -> None:
    spec = f"openai-compatible:http://127.0.0.1:{server.port}/v1#m"
    server.add("pong")

    model = closing(infer_model(spec))

    assert model.name == spec
    assert (await model.request(HI)).message.content == "pong"
    assert server.last_request.body["model"] == "m"


@pytest.mark.parametrize(
    "spec", ["openai-compatible:http://localhost:8080/v1", "openai-compatible:localhost#m"]
)
def test_compatible_spec_without_model_is_explained(spec: str) -> None:
    with pytest.raises(ModelNotFoundError, match="BASE_URL#MODEL"):
        infer_model(spec)
