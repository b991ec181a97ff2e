from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import pytest

from earned.models import allow_model_requests
from earned.testing.model_server import ModelServer

M = TypeVar("M")


@pytest.fixture(scope="session")
def shared_server() -> Iterator[ModelServer]:
    """One local server for the session (starting and stopping one takes ~0.2 s)."""
    with ModelServer() as srv:
        yield srv


@pytest.fixture
def server(shared_server: ModelServer) -> Iterator[ModelServer]:
    """A local server speaking the OpenAI and Anthropic APIs; its script starts empty."""
    shared_server.reset()
    yield shared_server
    shared_server.reset()


@pytest.fixture
async def allowed() -> AsyncIterator[None]:
    """Real model requests are allowed (they only reach the local server)."""
    with allow_model_requests():
        yield


@pytest.fixture
def refused_url() -> str:
    """An address where nothing listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def closing() -> AsyncIterator[Callable[[Any], Any]]:
    """`closing(model)` returns the model and closes its HTTP clients after the test."""
    opened: list[Any] = []

    def track(model: M) -> M:
        opened.append(model)
        return model

    yield track
    for model in opened:
        await model.aclose()
