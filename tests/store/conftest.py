"""Database fixtures: every store test runs on a SQLite file and on the PostgreSQL server.

PostgreSQL tests are marked `postgres`; the server comes from `EARNED_TEST_POSTGRES_URL`
(default `postgresql+psycopg://postgres@127.0.0.1:5432/test`). Each test gets a fresh
schema (selected through `search_path`) that is dropped afterwards, so tests never see
each other's tables and never touch other schemas, such as DBOS's. When the server does
not answer, PostgreSQL tests are skipped, unless `EARNED_TEST_REQUIRE_POSTGRES=1`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from earned.store import Database

POSTGRES_URL = os.environ.get(
    "EARNED_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """An engine on the test PostgreSQL database, for creating and dropping schemas."""
    url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL at {url.render_as_string()} is not answering: {exc.orig}"
        if os.environ.get("EARNED_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


def postgres_schema_url(schema: str) -> str:
    """The test server's URL with `search_path` set to `schema`."""
    url = sa.make_url(POSTGRES_URL)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema, dropped after the test."""
    schema = f"earned_test_{uuid.uuid4().hex[:16]}"
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield postgres_schema_url(schema)
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'earned' / 'earned.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def empty_db(db_url: str) -> Iterator[Database]:
    """A connected database with no tables yet."""
    database = Database(db_url)
    yield database
    database.close()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A database migrated to the newest revision."""
    empty_db.upgrade()
    return empty_db
