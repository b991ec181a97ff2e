"""Circuit breakers in runs: a failing tool or model is failed fast, probed, and closed again.

Tools are real functions that count their calls; models are earned's test doubles. Time
is an injected clock.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from earned.errors import ModelHTTPError, SemanticToolError, TransientToolError
from earned.guards import Breakers, BreakerSettings
from earned.messages import ModelResponse
from earned.models import FallbackModel, ModelRegistry, default_registry
from earned.policy import Policy, Rule
from earned.runtime import ReActAgent, RunContext, RunLimits, Workflow
from earned.runtime._services import Services
from earned.testing import FunctionModel, MemorySink, ScriptedModel, respond, run_inline, tool_call
from earned.testing._models import ModelCall
from earned.tools import tool
from tests.guards.test_breaker import Clock

INVOKED: list[str] = []
FAILURES: list[int] = [0]


@tool(risk="read", retries=0)
def inventory(sku: str) -> dict[str, Any]:
    """Look up stock for a SKU (fails transiently while FAILURES[0] > 0)."""
    INVOKED.append(sku)
    if FAILURES[0] > 0:
        FAILURES[0] -= 1
        raise TransientToolError("inventory service answered 503", sku=sku)
    if sku == "missing":
        raise SemanticToolError(f"no SKU {sku}", sku=sku)
    return {"sku": sku, "stock": 3}


POLICY = Policy([Rule.build("reads", "allow", tools=["inventory"])], name="breakers")
SETTINGS = BreakerSettings(failure_rate=0.5, minimum_calls=3, window=60.0, cooldown=30.0)


@pytest.fixture(autouse=True)
def _reset() -> None:
    INVOKED.clear()
    FAILURES[0] = 0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breakers(clock: Clock) -> Breakers:
    return Breakers(SETTINGS, clock=clock)


async def stock(ctx: RunContext, sku: str) -> Any:
    try:
        return await ctx.call_tool("inventory", {"sku": sku})
    except TransientToolError:
        return "unavailable"
    except SemanticToolError:
        return "unknown sku"


FLOW = Workflow("stock", stock, tools=[inventory], policy=POLICY)


def tool_spans(sink: MemorySink) -> list[Any]:
    return [e for e in sink.events() if e.kind == "tool_call" and e.ended_at is not None]


async def test_a_flaky_tool_opens_its_breaker_and_then_fails_fast_without_being_called(
    breakers: Breakers,
) -> None:
    FAILURES[0] = 10
    for sku in ("a", "b", "c"):
        result = await run_inline(FLOW, sku, breakers=breakers)
        assert result.output == "unavailable"
    assert INVOKED == ["a", "b", "c"]
    assert breakers.for_tool(inventory).state == "open"  # type: ignore[union-attr]

    sink = MemorySink()
    for sku in ("d", "e"):
        result = await run_inline(FLOW, sku, breakers=breakers, sink=sink)
        assert result.status == "escalated"
        assert result.escalation is not None
        assert result.escalation.kind == "CircuitOpen"
        assert "circuit breaker is open" in result.escalation.reason
    assert INVOKED == ["a", "b", "c"]  # failed fast: the function was not called again
    span = tool_spans(sink)[0]
    assert (span.status, span.attributes["error_type"]) == ("error", "circuit_open")
    assert span.attributes["breaker"]["name"] == "tool:inventory"
    assert span.attributes["breaker"]["state"] == "open"


async def test_after_the_cooldown_one_probe_goes_through_and_closes_the_breaker(
    breakers: Breakers, clock: Clock
) -> None:
    FAILURES[0] = 3
    for sku in ("a", "b", "c"):
        await run_inline(FLOW, sku, breakers=breakers)
    clock.advance(29)
    assert (await run_inline(FLOW, "early", breakers=breakers)).status == "escalated"
    clock.advance(1)
    sink = MemorySink()
    probe = await run_inline(FLOW, "probe", breakers=breakers, sink=sink)
    assert (probe.status, probe.output) == ("completed", {"sku": "probe", "stock": 3})
    assert tool_spans(sink)[0].attributes["breaker"] == {
        "name": "tool:inventory",
        "state": "closed",
        "probe": True,
    }
    assert (await run_inline(FLOW, "after", breakers=breakers)).status == "completed"
    assert INVOKED == ["a", "b", "c", "probe", "after"]


async def test_semantic_errors_are_answers_and_never_open_the_breaker(breakers: Breakers) -> None:
    for _ in range(5):
        assert (await run_inline(FLOW, "missing", breakers=breakers)).output == "unknown sku"
    assert breakers.for_tool(inventory).state == "closed"  # type: ignore[union-attr]
    assert len(INVOKED) == 5


async def test_the_model_is_told_circuit_open_not_retryable(clock: Clock) -> None:
    FAILURES[0] = 10
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("inventory", {"sku": "a"}, id="c1")]),
            respond(tool_calls=[tool_call("inventory", {"sku": "b"}, id="c2")]),
            respond("inventory is down; a person will follow up"),
        ]
    )
    agent = ReActAgent(
        "stock_chat", model=model, instructions="x", tools=[inventory], policy=POLICY
    )
    breakers = Breakers(BreakerSettings(minimum_calls=1), clock=clock)
    result = await run_inline(agent, "stock of a and b?", breakers=breakers)
    assert result.status == "completed"
    assert INVOKED == ["a"]
    delimited = str(model.calls[2].messages[-1].content)  # the tool result, in delimiters
    told = json.loads(delimited.split("\n", 1)[1].rsplit("\n", 1)[0])
    assert told["error"]["type"] == "circuit_open"
    assert told["error"]["retryable"] is False


# -- models -------------------------------------------------------------------------------


def failing(name: str, calls: list[str]) -> FunctionModel:
    def answer(call: ModelCall) -> Any:
        del call
        calls.append(name)
        raise ModelHTTPError(f"{name} is overloaded", status_code=503, model=name)

    return FunctionModel(answer, name=name)


def answering(name: str, calls: list[str]) -> FunctionModel:
    def answer(call: ModelCall) -> ModelResponse:
        del call
        calls.append(name)
        return respond(f"answer from {name}")

    return FunctionModel(answer, name=name)


ONE_ATTEMPT = RunLimits(model_attempts=1)


async def test_an_open_model_breaker_falls_back_to_the_next_model_of_the_chain(
    clock: Clock,
) -> None:
    calls: list[str] = []
    chain = FallbackModel(failing("test:primary", calls), answering("test:backup", calls))
    agent = ReActAgent("chat", model=chain, instructions="x", limits=ONE_ATTEMPT)
    breakers = Breakers(BreakerSettings(minimum_calls=2), clock=clock)
    for _ in range(2):
        assert (
            await run_inline(agent, "hi", breakers=breakers)
        ).output == "answer from test:backup"
    assert calls == ["test:primary", "test:backup"] * 2
    sink = MemorySink()
    result = await run_inline(agent, "hi", breakers=breakers, sink=sink)
    assert result.output == "answer from test:backup"
    assert calls[4:] == ["test:backup"]  # the primary's breaker is open: not called
    [span] = [e for e in sink.events() if e.kind == "model_call"]
    assert span.attributes["breaker"][0]["name"] == "model:test:primary"
    assert span.attributes["breaker"][0]["state"] == "open"


async def test_an_open_model_breaker_falls_back_to_the_runs_fallback_model(clock: Clock) -> None:
    calls: list[str] = []
    backup = answering("test:backup", calls)
    registry: ModelRegistry = default_registry()
    registry.register("test", lambda rest: backup)
    limits = RunLimits(model_attempts=1, fallback_model="test:backup")
    agent = ReActAgent("chat", model=failing("test:primary", calls), instructions="x")
    breakers = Breakers(BreakerSettings(minimum_calls=1), clock=clock)
    first = await run_inline(agent, "hi", breakers=breakers, limits=limits, registry=registry)
    assert first.status == "escalated"  # the primary failed: a model error escalates
    second = await run_inline(agent, "hi", breakers=breakers, limits=limits, registry=registry)
    assert second.output == "answer from test:backup"
    assert calls == ["test:primary", "test:backup"]


async def test_a_run_with_no_model_left_escalates(clock: Clock) -> None:
    calls: list[str] = []
    agent = ReActAgent("chat", model=failing("test:only", calls), instructions="x")
    breakers = Breakers(BreakerSettings(minimum_calls=1), clock=clock)
    await run_inline(agent, "hi", breakers=breakers, limits=ONE_ATTEMPT)
    sink = MemorySink()
    result = await run_inline(agent, "hi", breakers=breakers, limits=ONE_ATTEMPT, sink=sink)
    assert calls == ["test:only"]
    assert result.status == "escalated"
    assert result.escalation is not None
    assert result.escalation.kind == "CircuitOpen"
    assert result.escalation.details["breaker"] == "model:test:only"
    [guard] = [e for e in sink.events() if e.name == "circuit_open"]
    assert guard.attributes["breaker"][0]["state"] == "open"


# -- replay -------------------------------------------------------------------------------


class RecordedSteps:
    """Checkpoints as DBOS keeps them: the first run records, a recovery replays."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, Any]] = []
        self.replaying = False
        self._replay: list[tuple[str, Any]] = []

    def recover(self) -> None:
        self.replaying = True
        self._replay = list(self.recorded)

    async def run(self, name: str, fn: Any) -> Any:
        if self.replaying:
            recorded_name, value = self._replay.pop(0)
            assert recorded_name == name
            return value
        value = await fn()
        self.recorded.append((name, value))
        return value


async def test_a_recovered_run_sees_the_breaker_decision_it_saw_the_first_time(
    breakers: Breakers, clock: Clock
) -> None:
    from earned.runtime._runner import execute_run
    from earned.runtime._state import RunRequest

    FAILURES[0] = 3
    for sku in ("a", "b", "c"):
        await run_inline(FLOW, sku, breakers=breakers)
    steps = RecordedSteps()
    services = Services(steps=steps, breakers=breakers)
    request = RunRequest(agent="stock", input="d")
    first = await execute_run(request, FLOW, services)
    assert first.status == "escalated"
    clock.advance(60)  # the breaker would let a probe through now ...
    steps.recover()
    again = await execute_run(request, FLOW, services)
    assert again.status == "escalated"  # ... but the recovered run replays its fail-fast
    assert INVOKED == ["a", "b", "c"]
    assert breakers.for_tool(inventory).state == "open"  # type: ignore[union-attr]
