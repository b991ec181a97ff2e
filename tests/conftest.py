"""Shared fixtures: real databases for durable runs (a SQLite file and a fresh PostgreSQL db).

PostgreSQL tests are marked `postgres`. The server comes from EARNED_TEST_POSTGRES_URL
(default `postgresql+psycopg://postgres@127.0.0.1:5432/test`); each test gets a database of
its own, created and dropped around it. When the server does not answer, PostgreSQL tests
are skipped, unless EARNED_TEST_REQUIRE_POSTGRES=1 (CI sets it), which makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "EARNED_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[sa.Engine]:
    """An autocommit engine on the server's maintenance database (to create databases)."""
    url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database="postgres")
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL at {url.render_as_string()} is not answering: {exc.orig}"
        if os.environ.get("EARNED_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_database(postgres_server: sa.Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"earned_t_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with postgres_server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty project database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '.earned' / 'earned.db'}"
    return request.getfixturevalue("postgres_database")
