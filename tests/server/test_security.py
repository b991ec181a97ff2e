"""Secure defaults: headers, CORS off, a body limit, loopback binding, no secrets in logs."""

from __future__ import annotations

import inspect
import logging
import logging.config
from collections.abc import AsyncIterator

import pytest

from earned.cli._serve import log_config, serve_command
from earned.server import ServerSettings
from earned.store import Database
from tests.server.conftest import Api, serve


async def test_every_response_carries_the_secure_headers(api: Api) -> None:
    for response in (
        await api.client.get("/healthz"),
        await api.get("/v1/runs", as_="acme-viewer"),
        await api.client.get("/v1/runs"),  # an error too
    ):
        headers = response.headers
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


async def test_cors_is_off_by_default(api: Api) -> None:
    preflight = await api.client.options(
        "/v1/runs",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    response = await api.client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture
async def with_cors(db: Database) -> AsyncIterator[Api]:
    async for served in serve(db, ServerSettings(cors_origins=("https://console.example",))):
        yield served


async def test_cors_allows_only_the_configured_origins(with_cors: Api) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {"Origin": origin, "Access-Control-Request-Method": "GET"}

    ok = await with_cors.client.options("/v1/runs", headers=preflight("https://console.example"))
    assert ok.headers["access-control-allow-origin"] == "https://console.example"
    bad = await with_cors.client.options("/v1/runs", headers=preflight("https://evil.example"))
    assert "access-control-allow-origin" not in bad.headers


@pytest.fixture
async def small_limit(db: Database) -> AsyncIterator[Api]:
    async for served in serve(db, ServerSettings(max_body_bytes=1000)):
        yield served


async def test_a_body_over_the_limit_is_a_413(small_limit: Api) -> None:
    api = small_limit
    big = {"agent": "echo", "input": "x" * 2000}
    response = await api.post("/v1/runs", as_="acme-operator", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "PayloadTooLarge"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"agent": "echo", "input": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    streamed = await api.client.post(
        "/v1/runs",
        content=chunks(),
        headers={**api.auth("acme-operator"), "content-type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["type"] == "PayloadTooLarge"


def test_serve_binds_loopback_by_default() -> None:
    assert inspect.signature(serve_command).parameters["host"].default == "127.0.0.1"


def test_server_logs_redact_tokens_and_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(log_config("info"))
    try:
        token = "ern_q2Xv9LrT0bZkY7wN1cF4hJ8mP3sD6aG5eU0iO2yK7tQ"
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "203.0.113.9:50000",
            "GET",
            f"/v1/runs?user=ana@example.com&token={token}",
            "1.1",
            200,
        )
        logging.getLogger("earned.server").error("deciding for ana@example.com with %s", token)
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    out, err = capsys.readouterr()
    logged = out + err
    assert "GET /v1/runs?user=" in logged  # the line is still there
    assert "ana@example.com" not in logged
    assert token not in logged
    assert "203.0.113.9" not in logged
