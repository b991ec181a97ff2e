"""Eval fixtures: a migrated project database (SQLite file or PostgreSQL) and its EvalStore."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earned.evals import EvalStore
from earned.store import Database


@pytest.fixture
def store(database_url: str) -> Iterator[EvalStore]:
    """An EvalStore on a fresh database: a SQLite file, or a fresh PostgreSQL database."""
    db = Database(database_url)
    db.upgrade()
    yield EvalStore(db)
    db.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[EvalStore]:
    """An EvalStore on a fresh SQLite file (for tests about evals, not about storage)."""
    db = Database(f"sqlite:///{tmp_path / 'evals.db'}")
    db.upgrade()
    yield EvalStore(db)
    db.close()
