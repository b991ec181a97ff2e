"""Console fixtures: the real app in-process (tests/server's `api`), and logged-in clients.

`pages.login("acme-reviewer")` logs a fresh client in through the login form, with the
token of that name (tests/server/conftest.py's TOKENS), and returns it with the session's
CSRF token read from the page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.server.conftest import (  # noqa: F401  (fixtures, found by name)
    Api,
    api,
    db,
    db_url,
    empty_db,
    postgres_admin,
    postgres_url,
)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found, "no form with a CSRF token on this page"
    return found.group(1)


@dataclass
class Session:
    """A logged-in client and the CSRF token of its session."""

    client: httpx.AsyncClient
    csrf: str

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.client.get(path, **kwargs)  # type: ignore[arg-type]

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **data})


@dataclass
class Pages:
    """Makes clients on the app under test, and logs them in."""

    api: Api
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.api.app)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.clients.append(client)
        return client

    async def login(self, name: str) -> Session:
        client = self.client()
        form = await client.get("/console/login")
        response = await client.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "token": self.api.secrets[name], "next": ""},
        )
        assert response.status_code == 303, response.text
        home = await client.get("/console/", follow_redirects=True)
        return Session(client=client, csrf=csrf_of(home.text))


@pytest.fixture
async def pages(api: Api) -> AsyncIterator[Pages]:  # noqa: F811
    """Clients on the console of `api`."""
    made = Pages(api=api)
    yield made
    for client in made.clients:
        await client.aclose()
