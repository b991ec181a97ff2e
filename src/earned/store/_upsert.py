"""Dialect-specific `INSERT … ON CONFLICT` statements (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["Insert", "insert_for"]

Insert = postgresql.Insert | sqlite.Insert


def insert_for(dialect: str, table: sa.Table) -> Insert:
    """An INSERT for `table` that supports `on_conflict_do_update` / `_do_nothing`."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
