from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from earned.errors import (
    ModelConnectionError,
    ModelHTTPError,
    ModelRequestsBlocked,
    ModelTimeoutError,
    UserError,
)
from earned.messages import UserMessage
from earned.models import Model, infer_model
from earned.models.anthropic import AnthropicModel
from earned.models.fallback import FallbackModel, fallback_model
from earned.testing._models import ScriptedModel
from earned.testing.model_server import Answer, Failure, ModelServer

pytestmark = pytest.mark.usefixtures("allowed")

HI = [UserMessage(content="hi")]

Closing = Callable[[Any], Any]


@pytest.fixture
def pair(server: ModelServer, closing: Closing) -> FallbackModel:
    """An OpenAI-compatible primary and an Anthropic fallback on the same local server."""
    primary = infer_model(server.openai_spec("primary"))
    backup = AnthropicModel("backup", base_url=server.base_url, api_key="k")
    return closing(FallbackModel(primary, backup))


async def test_falls_over_on_503(server: ModelServer, pair: FallbackModel) -> None:
    server.add(Failure(status=503), Answer(text="from backup", model="backup-2025"))
    model = pair

    response = await model.request(HI)

    assert response.message.content == "from backup"
    assert response.model == "backup-2025"
    assert response.provider == "anthropic"
    assert [r.api for r in server.requests] == ["openai", "anthropic"]


async def test_primary_answers_when_healthy(server: ModelServer, pair: FallbackModel) -> None:
    server.add("from primary")

    response = await pair.request(HI)

    assert response.provider == "openai-compatible"
    assert len(server.requests) == 1


async def test_does_not_fall_over_on_400(server: ModelServer, pair: FallbackModel) -> None:
    server.add(Failure(status=400, message="bad field"), "never used")

    with pytest.raises(ModelHTTPError) as caught:
        await pair.request(HI)

    assert caught.value.status_code == 400
    assert len(server.requests) == 1
    assert server.remaining == 1


async def test_falls_over_on_timeout_and_refused_connection(
    server: ModelServer, refused_url: str, closing: Closing
) -> None:
    server.add(Answer(text="late", delay=5), "third time")
    slow = infer_model(server.openai_spec("slow"))
    down = infer_model(f"openai-compatible:{refused_url}/v1#down")
    up = infer_model(server.openai_spec("up"))

    model = closing(FallbackModel(slow, down, up))

    response = await model.request(HI, settings={"timeout": 0.2})

    assert response.message.content == "third time"
    assert response.model == "up"


async def test_all_failing_raises_the_last_error_with_every_failure(
    server: ModelServer, pair: FallbackModel
) -> None:
    server.add(Failure(status=503), Failure(status=429, retry_after=2))
    model = pair

    with pytest.raises(ModelHTTPError) as caught:
        await model.request(HI)

    error = caught.value
    assert error.status_code == 429
    assert error.is_transient
    assert error.model == model.name
    assert [f["details"]["status_code"] for f in error.failures] == [503, 429]
    assert [f["model"] for f in error.failures] == [m.name for m in model.models]
    assert "every model" in str(error)


async def test_non_model_errors_and_blocked_requests_propagate() -> None:
    blocked = ScriptedModel([ModelRequestsBlocked("blocked", model="x")], name="test:a")
    backup = ScriptedModel(["unused"], name="test:b")

    with pytest.raises(ModelRequestsBlocked):
        await FallbackModel(blocked, backup).request(HI)
    assert backup.remaining == 1


async def test_works_with_test_doubles() -> None:
    first = ScriptedModel([ModelTimeoutError("slow", model="test:a")], name="test:a")
    second = ScriptedModel([ModelConnectionError("down", model="test:b")], name="test:b")
    third = ScriptedModel(["ok"], name="test:c")
    model = FallbackModel(first, second, third)

    response = await model.request(HI)

    assert response.message.content == "ok"
    assert isinstance(model, Model)


def test_name_lists_the_models(server: ModelServer, pair: FallbackModel) -> None:
    model = pair

    assert model.name == f"fallback:{server.openai_spec('primary')},anthropic:backup"


def test_needs_a_fallback() -> None:
    with pytest.raises(UserError, match="at least one fallback"):
        FallbackModel(ScriptedModel([]))


def test_fallback_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    model = fallback_model("openai:gpt-4.1-mini,anthropic:claude-haiku-4-5")

    assert model.name == "fallback:openai:gpt-4.1-mini,anthropic:claude-haiku-4-5"
    with pytest.raises(UserError, match="fallback:MODEL,MODEL"):
        fallback_model("openai:gpt-4.1-mini")
