"""API fixtures: the real app in-process over httpx's ASGI transport, on SQLite and PostgreSQL.

`api` serves a migrated database (a SQLite file, or a fresh PostgreSQL schema; see
tests/store/conftest.py) with no engine, on a clock stopped at the seeds' NOW, and holds one token per (role, tenant) the tests
use: two tenants, `acme` and `globex`, plus an all-tenant admin (`root`) and an all-tenant
viewer (`scraper`). Engine-backed tests build their own app (see test_runs.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from earned.server import ServerSettings, TokenStore, create_app
from earned.store import Database
from tests.review.seed import NOW, Clock
from tests.store.conftest import (  # noqa: F401  (fixtures, found by name)
    db,
    db_url,
    empty_db,
    postgres_admin,
    postgres_url,
)

TOKENS = [
    ("acme-viewer", "viewer", "acme"),
    ("acme-operator", "operator", "acme"),
    ("acme-reviewer", "reviewer", "acme"),
    ("acme-owner", "owner", "acme"),
    ("acme-admin", "admin", "acme"),
    ("globex-reviewer", "reviewer", "globex"),
    ("globex-viewer", "viewer", "globex"),
    ("root", "admin", None),
    ("scraper", "viewer", None),
]


class Notices:
    """Records "your approval was decided" notices instead of sending DBOS messages."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def notify(self, run_id: str, approval_id: str) -> None:
        self.sent.append((run_id, approval_id))


@dataclass
class Api:
    """The app under test, a client on it, and a secret per token name."""

    app: FastAPI
    client: httpx.AsyncClient
    db: Database
    secrets: dict[str, str]
    notices: Notices = field(default_factory=Notices)

    def auth(self, name: str) -> dict[str, str]:
        """The Authorization header of the token called `name`."""
        return {"Authorization": f"Bearer {self.secrets[name]}"}

    async def get(self, path: str, as_: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.auth(as_), **kwargs)

    async def post(self, path: str, as_: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, headers=self.auth(as_), **kwargs)


def issue_tokens(database: Database) -> dict[str, str]:
    store = TokenStore(database)
    return {
        name: store.create(name=name, role=role, tenant=tenant).secret
        for name, role, tenant in TOKENS
    }


async def serve(
    database: Database, settings: ServerSettings | None = None, **options: Any
) -> AsyncIterator[Api]:
    notices = Notices()
    options.setdefault("clock", Clock(NOW))
    app = create_app(database=database, notifier=notices, settings=settings, **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(
                app=app,
                client=client,
                db=database,
                secrets=issue_tokens(database),
                notices=notices,
            )


@pytest.fixture
async def api(db: Database) -> AsyncIterator[Api]:  # noqa: F811
    """The API on a migrated database, with no engine."""
    async for served in serve(db):
        yield served
