"""Fixtures: a migrated project database per test, on a SQLite file and on PostgreSQL.

PostgreSQL tests are marked `postgres` and use the root conftest's fresh database per test
(skipped when the server is silent, unless EARNED_TEST_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from earned.store import Database
from tests.metrics.data import NOW


class Clock:
    """A settable clock: every reader and store in a test sees the same `now`."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database: a SQLite file, or a fresh PostgreSQL database."""
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()
