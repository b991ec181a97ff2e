"""ReAct: the model calls tools through the same guarded path and sees structured errors."""

from __future__ import annotations

import json

from pydantic import BaseModel

from earned.errors import ModelHTTPError
from earned.messages import ToolResultMessage
from earned.runtime import ReActAgent, RunLimits
from earned.testing import MemorySink, ScriptedModel, respond, run_inline, tool_call
from tests.runtime.agents import CALLS, POLICY, TOOLS


def agent(model: ScriptedModel, **kwargs: object) -> ReActAgent:
    return ReActAgent(
        "support",
        model=model,
        instructions="You help with refunds.",
        tools=TOOLS,
        policy=POLICY,
        **kwargs,  # type: ignore[arg-type]
    )


def tool_results(model: ScriptedModel, call_index: int) -> list[ToolResultMessage]:
    return [m for m in model.calls[call_index].messages if isinstance(m, ToolResultMessage)]


async def test_the_model_calls_tools_and_answers() -> None:
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_1"}, id="c1")]),
            respond("Order ord_1 totals $20.00."),
        ]
    )
    result = await run_inline(agent(model), "How much was ord_1?")
    model.assert_complete()
    assert result.status == "completed"
    assert result.output == "Order ord_1 totals $20.00."
    assert result.steps == 3
    result_message = tool_results(model, 1)[0]
    assert '"total":20.0' in result_message.content
    assert "card_number" not in result_message.content


async def test_untrusted_content_reaches_the_model_inside_delimiters() -> None:
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_1"}, id="c1")]),
            respond("done"),
        ]
    )
    await run_inline(agent(model), "How much was ord_1?")
    first = model.calls[0]
    system = first.messages[0].content  # type: ignore[union-attr]
    user = first.messages[1].content  # type: ignore[union-attr]
    assert "untrusted" in system.lower()
    assert 'source="user"' in user
    assert "How much was ord_1?" in user
    assert 'source="tool:get_order_summary"' in tool_results(model, 1)[0].content


async def test_model_errors_are_returned_to_the_model_not_raised() -> None:
    model = ScriptedModel(
        [
            respond(
                tool_calls=[
                    tool_call("get_order_summary", {"order": "ord_1"}, id="bad_args"),
                    tool_call("delete_everything", {}, id="unknown"),
                    tool_call("get_order_summary", id="malformed", raw="{order_id: ord_1"),
                    tool_call("submit_refund", {"order_id": "ord_1", "amount": 900}, id="denied"),
                ]
            ),
            respond("I could not do that."),
        ]
    )
    sink = MemorySink()
    result = await run_inline(agent(model), "refund", sink=sink)
    assert result.status == "completed"
    errors = {
        m.tool_call_id: json.loads(m.content[m.content.index("{") : m.content.rindex("}") + 1])
        for m in tool_results(model, 1)
    }
    assert errors["bad_args"]["error"]["type"] == "invalid_arguments"
    assert errors["bad_args"]["error"]["problems"][0]["field"] in {"order", "order_id"}
    assert errors["unknown"]["error"]["type"] == "unknown_tool"
    assert errors["malformed"]["error"]["type"] == "invalid_arguments"
    assert errors["denied"]["error"]["type"] == "denied_by_policy"
    assert errors["denied"]["error"]["rule"] == "large-refunds"
    assert CALLS == []
    statuses = [e.status for e in sink.events(kind="tool_call")]
    assert statuses == ["invalid_arguments", "unknown_tool", "invalid_arguments", "denied"]


async def test_a_repeated_call_is_told_to_replan_then_escalates() -> None:
    same = {"order_id": "ord_1"}
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order_summary", same, id="a")]),
            respond(tool_calls=[tool_call("get_order_summary", same, id="b")]),
            respond(tool_calls=[tool_call("get_order_summary", same, id="c")]),
        ]
    )
    result = await run_inline(agent(model), "loop")
    model.assert_complete()
    assert "repeated_call" in tool_results(model, 2)[-1].content
    assert result.status == "escalated"
    assert result.escalation is not None
    assert result.escalation.kind == "LoopDetected"
    assert [name for name, _ in CALLS] == ["get_order_summary"]


async def test_the_step_limit_escalates() -> None:
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("flaky_lookup", {"key": str(i)}, id=f"c{i}")])
            for i in range(10)
        ]
    )
    result = await run_inline(agent(model, limits=RunLimits(max_steps=5)), "go")
    assert result.status == "escalated"
    assert result.escalation is not None
    assert result.escalation.kind == "StepLimitExceeded"
    assert result.steps == 5


async def test_model_outages_are_retried_then_escalated_with_the_error() -> None:
    outage = ModelHTTPError("server error", status_code=503, model="test:scripted")
    model = ScriptedModel([outage, outage, outage])
    result = await run_inline(agent(model), "hi")
    model.assert_complete()
    assert result.status == "escalated"
    assert result.error is not None
    assert result.error["details"]["status_code"] == 503
    assert result.error["details"]["attempts"] == 3


async def test_client_errors_are_not_retried() -> None:
    model = ScriptedModel([ModelHTTPError("bad request", status_code=400, model="m")])
    result = await run_inline(agent(model), "hi")
    model.assert_complete()
    assert result.status == "escalated"
    assert result.error is not None
    assert result.error["details"]["attempts"] == 1


class Answer(BaseModel):
    order_id: str
    refund: float


async def test_structured_output_is_validated_and_corrected_once() -> None:
    model = ScriptedModel(
        [
            respond('{"order_id": "ord_1"}'),
            respond('{"order_id": "ord_1", "refund": 20}'),
        ]
    )
    result = await run_inline(agent(model, output_type=Answer), "refund ord_1")
    model.assert_complete()
    assert result.output == {"order_id": "ord_1", "refund": 20.0}
    assert model.calls[0].output is not None
    assert "invalid_answer" in model.calls[1].last_text


async def test_token_budget_is_a_hard_cap() -> None:
    model = ScriptedModel([respond("x" * 4000)])
    result = await run_inline(agent(model, limits=RunLimits(max_tokens=100)), "hi")
    assert result.status == "escalated"
    assert result.escalation is not None
    assert result.escalation.kind == "BudgetExceeded"
    assert model.calls == []  # refused before the call, by reservation


async def test_budget_falls_back_to_a_cheaper_model() -> None:
    from earned.models import ModelRegistry, Price, PriceTable

    expensive = ScriptedModel([], name="test:expensive")
    cheap = ScriptedModel([respond("cheap answer")], name="test:cheap")
    registry = ModelRegistry({"test": lambda spec: {"expensive": expensive, "cheap": cheap}[spec]})
    prices = PriceTable(
        {
            "test:expensive": Price(input_per_mtok=1e6, output_per_mtok=1e6),
            "test:cheap": Price(input_per_mtok=1, output_per_mtok=1),
        }
    )
    limits = RunLimits(max_cost=0.5, fallback_model="test:cheap")
    react = ReActAgent("fallback", model="test:expensive", instructions="hi", limits=limits)
    sink = MemorySink()
    result = await run_inline(react, "q", registry=registry, prices=prices, sink=sink)
    assert result.status == "completed"
    assert result.output == "cheap answer"
    assert result.fallback == "model:test:cheap"
    assert result.cost > 0
    assert [e.name for e in sink.events(kind="model_call")] == ["test:cheap"]


async def test_usage_and_cost_are_recorded_per_call() -> None:
    from earned.models import Price, PriceTable

    model = ScriptedModel([respond("hello")], name="test:priced")
    prices = PriceTable({"test:priced": Price(input_per_mtok=1000.0, output_per_mtok=2000.0)})
    sink = MemorySink()
    react = ReActAgent("priced", model=model, instructions="be brief")
    result = await run_inline(react, "hi", sink=sink, prices=prices)
    call = sink.events(kind="model_call")[0]
    assert call.attributes["input_tokens"] == result.usage.input_tokens > 0
    assert call.attributes["output_tokens"] == result.usage.output_tokens > 0
    assert call.attributes["cost"] == result.cost > 0
    assert call.attributes["prompt_version"] == react.versions()["prompt"]
    assert call.attributes["model_version"] == "priced"
