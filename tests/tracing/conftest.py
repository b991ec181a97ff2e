"""Tracing fixtures: store databases on SQLite and PostgreSQL, and one set of real runs.

`db` is a migrated database (a SQLite file, or a fresh PostgreSQL schema; see
tests/store/conftest.py). `recorded` runs three agents once per module through the durable
Engine on a SQLite file, so the traces the tests read are the ones the runtime writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from earned.store import Database
from tests.store.conftest import (  # noqa: F401  (fixtures, found by name)
    db,
    db_url,
    empty_db,
    postgres_admin,
    postgres_url,
)
from tests.tracing.runs import Recorded, record_runs


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """Three real runs (completed, escalated, failed) stored in a SQLite file."""
    path: Path = tmp_path_factory.mktemp("recorded") / "earned.db"
    url = f"sqlite:///{path}"
    runs = asyncio.run(record_runs(url))
    database = Database(url)
    yield Recorded(db=database, url=url, **runs)
    database.close()
