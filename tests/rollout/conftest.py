"""Fixtures: a migrated project database (SQLite file, fresh PostgreSQL database), a clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from earned.store import Database
from tests.rollout import agents

NOW = 1_800_000_000.0


class Clock:
    """A settable clock every store in a test shares."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    agents.CALLS.clear()
    yield
    agents.CALLS.clear()
