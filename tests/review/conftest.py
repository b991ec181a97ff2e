"""Review fixtures: a migrated database on a SQLite file and on PostgreSQL (a fresh schema)."""

from __future__ import annotations

from tests.store.conftest import (  # noqa: F401  (fixtures, found by name)
    db,
    db_url,
    empty_db,
    postgres_admin,
    postgres_url,
)
