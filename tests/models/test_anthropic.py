from __future__ import annotations

import importlib
import json
import sys
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
from earned.models.anthropic import AnthropicModel, anthropic_model
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
    },
)
VERDICT = OutputSchema(
    name="verdict",
    description="The refund decision.",
    schema={
        "type": "object",
        "properties": {"approve": {"type": "boolean"}},
        "required": ["approve"],
    },
)


@pytest.fixture
async def model(server: ModelServer) -> AsyncIterator[AnthropicModel]:
    built = AnthropicModel("claude-test", base_url=server.base_url, api_key="sk-ant-test")
    yield built
    await built.aclose()


async def test_text_answer_usage_and_version(server: ModelServer, model: AnthropicModel) -> None:
    server.add(Answer(text="hello", input_tokens=30, output_tokens=7, model="claude-test-2025"))

    response = await model.request([SystemMessage(content="be brief"), *HI])

    assert response.message == AssistantMessage(content="hello")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 7)
    assert response.usage.requests == 1
    assert response.model == "claude-test-2025"
    assert response.provider == "anthropic"
    assert response.finish_reason == "end_turn"
    assert response.response_id
    request = server.last_request
    assert request.api_key == "sk-ant-test"
    assert request.body["system"] == "be brief"
    assert request.body["max_tokens"] == 1024
    assert request.messages == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


async def test_settings_sent(server: ModelServer, model: AnthropicModel) -> None:
    server.add("ok")

    await model.request(HI, settings={"max_tokens": 99, "temperature": 0.5})

    body = server.last_request.body
    assert body["max_tokens"] == 99
    assert "system" not in body
    # this SDK's Messages API takes no temperature: the setting is ignored, not sent
    assert "temperature" not in body


async def test_tool_calls(server: ModelServer, model: AnthropicModel) -> None:
    calls = [
        tool_call("lookup_order", {"order_id": "A1"}, id="toolu_1"),
        tool_call("lookup_order", {"order_id": "B2"}, id="toolu_2"),
    ]
    server.add(Answer(text="checking both", tool_calls=calls))

    response = await model.request(HI, tools=[LOOKUP])

    assert response.message.content == "checking both"
    assert response.message.tool_calls == (
        ToolCall(id="toolu_1", name="lookup_order", arguments={"order_id": "A1"}),
        ToolCall(id="toolu_2", name="lookup_order", arguments={"order_id": "B2"}),
    )
    assert response.finish_reason == "tool_use"
    assert server.last_request.tools == [
        {
            "name": "lookup_order",
            "description": "Find an order by id.",
            "input_schema": LOOKUP.parameters,
        }
    ]
    assert "tool_choice" not in server.last_request.body


async def test_malformed_tool_input_kept_raw(server: ModelServer, model: AnthropicModel) -> None:
    server.add(Answer(tool_calls=[tool_call("lookup_order", raw="{oops", id="toolu_1")]))

    response = await model.request(HI, tools=[LOOKUP])

    (call,) = response.message.tool_calls
    assert call.malformed
    assert call.raw_arguments == "{oops"


async def test_tool_results_merged_into_one_user_turn(
    server: ModelServer, model: AnthropicModel
) -> None:
    server.add("done")
    history = [
        SystemMessage(content="policy"),
        UserMessage(content="check A1 and B2"),
        AssistantMessage(
            content="looking",
            tool_calls=(
                ToolCall(id="t1", name="lookup_order", arguments={"order_id": "A1"}),
                ToolCall(id="t2", name="lookup_order", raw_arguments="{bad"),
            ),
        ),
        ToolResultMessage(tool_call_id="t1", tool_name="lookup_order", content="found"),
        ToolResultMessage(
            tool_call_id="t2", tool_name="lookup_order", content="not JSON", is_error=True
        ),
        UserMessage(content="and hurry"),
    ]

    await model.request(history, tools=[LOOKUP])

    assert server.last_request.messages == [
        {"role": "user", "content": [{"type": "text", "text": "check A1 and B2"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "looking"},
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "lookup_order",
                    "input": {"order_id": "A1"},
                },
                {"type": "tool_use", "id": "t2", "name": "lookup_order", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "found", "is_error": False},
                {
                    "type": "tool_result",
                    "tool_use_id": "t2",
                    "content": "not JSON",
                    "is_error": True,
                },
                {"type": "text", "text": "and hurry"},
            ],
        },
    ]


async def test_structured_output_is_a_forced_tool(
    server: ModelServer, model: AnthropicModel
) -> None:
    server.add(Answer(data={"approve": True}))

    response = await model.request(HI, output=VERDICT)

    assert json.loads(response.message.content or "") == {"approve": True}
    assert response.message.tool_calls == ()
    assert response.finish_reason == "end_turn"
    body = server.last_request.body
    assert body["tool_choice"] == {"type": "tool", "name": "verdict"}
    assert body["tools"] == [
        {"name": "verdict", "description": "The refund decision.", "input_schema": VERDICT.schema_}
    ]


async def test_structured_output_with_tools_requires_any_tool(
    server: ModelServer, model: AnthropicModel
) -> None:
    server.add(Answer(tool_calls=[tool_call("lookup_order", {"order_id": "A1"})]))

    response = await model.request(HI, tools=[LOOKUP], output=VERDICT)

    assert [c.name for c in response.message.tool_calls] == ["lookup_order"]
    assert response.message.content is None
    assert server.last_request.body["tool_choice"] == {"type": "any"}
    assert server.last_request.tool_names == ["lookup_order", "verdict"]


async def test_output_named_like_a_tool_is_refused(model: AnthropicModel) -> None:
    clash = OutputSchema(name="lookup_order", schema={"type": "object"})

    with pytest.raises(UserError, match="rename"):
        await model.request(HI, tools=[LOOKUP], output=clash)


@pytest.mark.parametrize(
    ("status", "transient"), [(429, True), (500, True), (529, True), (400, False)]
)
async def test_http_errors(
    server: ModelServer, model: AnthropicModel, status: int, transient: bool
) -> None:
    server.add(Failure(status=status, message="nope", retry_after=1))

    with pytest.raises(ModelHTTPError) as caught:
        await model.request(HI)

    error = caught.value
    assert error.status_code == status
    assert error.is_transient is transient
    assert error.body["error"]["message"] == "nope"
    assert error.retry_after == "1"
    assert error.request_id.startswith("req_")
    assert f"HTTP {status}: nope" in str(error)


async def test_timeout(server: ModelServer, model: AnthropicModel) -> None:
    server.add(Answer(text="late", delay=5))

    with pytest.raises(ModelTimeoutError):
        await model.request(HI, settings={"timeout": 0.2})


async def test_connection_refused(refused_url: str, closing: Closing) -> None:
    model = closing(AnthropicModel("claude-test", base_url=refused_url, api_key="k"))

    with pytest.raises(ModelConnectionError, match="could not connect"):
        await model.request(HI)


async def test_garbage_body(server: ModelServer, model: AnthropicModel) -> None:
    server.add(Garbage(body="{", content_type="application/json"))

    with pytest.raises(ModelResponseError):
        await model.request(HI)


async def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    with pytest.raises(UserError, match="ANTHROPIC_API_KEY"):
        await infer_model("anthropic:claude-sonnet-4-5").request(HI)


async def test_registry_string_uses_env(
    server: ModelServer, monkeypatch: pytest.MonkeyPatch, closing: Closing
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    server.api_key = "sk-ant-env"
    server.add("hi there")

    model = closing(infer_model("anthropic:claude-haiku-4-5"))

    assert isinstance(model, AnthropicModel)
    assert model.name == "anthropic:claude-haiku-4-5"
    assert (await model.request(HI)).message.content == "hi there"
    assert server.last_request.body["model"] == "claude-haiku-4-5"


def test_empty_spec_is_explained() -> None:
    with pytest.raises(ModelNotFoundError, match="anthropic:MODEL"):
        anthropic_model("")


def test_import_without_the_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "earned.models.anthropic")

    with pytest.raises(ImportError, match=r"pip install 'earned\[anthropic\]'"):
        importlib.import_module("earned.models.anthropic")
    with pytest.raises(UserError, match=r"pip install 'earned\[anthropic\]'"):
        infer_model("anthropic:claude-sonnet-4-5")
