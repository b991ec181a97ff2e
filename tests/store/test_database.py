"""The Database: URLs, engines, connection errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from earned.config import Settings
from earned.errors import ConfigError
from earned.runtime._events import RunEvent
from earned.runtime._state import RunRequest
from earned.store import Database, RunStore, SpanStore

from .conftest import POSTGRES_URL


def test_sqlite_creates_parent_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "earned.db"
    with Database(f"sqlite:///{path}") as db:
        assert db.dialect == "sqlite"
        assert path.parent.is_dir()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_in_memory_works_across_threads() -> None:
    with Database("sqlite://") as db:
        db.upgrade()
        RunStore(db).create(RunRequest(run_id="r1", agent="a"))
        with SpanStore(db) as spans:
            spans.emit(
                RunEvent(
                    run_id="r1",
                    span_id="r1:1",
                    parent_id=None,
                    kind="run",
                    name="run",
                    started_at=1.0,
                )
            )
            spans.flush()
            assert [e.span_id for e in spans.spans("r1")] == ["r1:1"]


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_postgres_urls_are_normalised_to_psycopg(scheme: str, postgres_admin: object) -> None:
    rest = POSTGRES_URL.split("://", 1)[1]
    with Database(f"{scheme}://{rest}") as db:
        assert db.dialect == "postgresql"
        assert db.url.startswith("postgresql+psycopg://")
        assert db.engine.dialect.driver == "psycopg"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "the database URL is empty"),
        ("not a url", "cannot parse database URL"),
        ("mysql://user@localhost/db", "unsupported database 'mysql'"),
        ("postgresql+asyncpg://user@localhost/db", "unsupported database"),
    ],
)
def test_bad_urls_raise_config_error_with_the_fix(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        Database(url)
    message = str(info.value)
    assert expected in message
    assert "sqlite:///" in message
    assert "postgresql://" in message


def test_unreachable_postgres_names_host_and_fix_and_hides_password() -> None:
    with pytest.raises(ConfigError) as info:
        Database("postgresql://earned:s3cret@127.0.0.1:1/test")
    message = str(info.value)
    assert "127.0.0.1:1" in message
    assert "server is running" in message
    assert "s3cret" not in message
    assert "s3cret" not in repr(info.value.details)


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError, match=r"pip install 'earned\[postgres\]'"):
        Database("postgresql://user@127.0.0.1:5432/test")


def test_sqlite_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open the SQLite database"):
        Database(f"sqlite:///{tmp_path}")


def test_sqlite_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot create the directory"):
        Database(f"sqlite:///{blocker}/sub/earned.db")


@pytest.mark.postgres
def test_repr_hides_the_password(postgres_admin: object) -> None:
    host = POSTGRES_URL.split("@", 1)[1]
    user = POSTGRES_URL.split("://", 1)[1].split("@", 1)[0].split(":", 1)[0]
    with Database(f"postgresql://{user}:s3cret@{host}") as db:  # trust auth ignores it
        assert "s3cret" not in repr(db)
        assert "***" in repr(db)


def test_database_dialect_matches_backend(empty_db: Database) -> None:
    assert empty_db.dialect in ("sqlite", "postgresql")
    assert empty_db.dialect == empty_db.engine.dialect.name


def test_from_settings_reads_the_environment(tmp_path: Path) -> None:
    settings = Settings.load(env={"EARNED_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"})
    with Database.from_settings(settings) as db:
        assert db.url == f"sqlite:///{tmp_path / 'env.db'}"


def test_sqlite_home_directory_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with Database("sqlite:///~/.earned/earned.db") as db:
        db.upgrade()
        assert db.url == f"sqlite:///{tmp_path}/.earned/earned.db"
    assert (tmp_path / ".earned" / "earned.db").is_file()
