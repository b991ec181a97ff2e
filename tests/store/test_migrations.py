"""Alembic migrations: what they create, idempotence, concurrency, version checks."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from earned.errors import ConfigError
from earned.store import (
    VERSION_TABLE,
    Database,
    RunStore,
    SchemaVersionError,
    SpanStore,
    metadata,
)

RUN_INDEXES = {
    "ix_earned_runs_created_at": ["created_at"],
    "ix_earned_runs_agent_created_at": ["agent", "created_at"],
    "ix_earned_runs_status": ["status"],
    "ix_earned_runs_tenant_created_at": ["tenant", "created_at"],
    "ix_earned_runs_capability": ["capability"],
    # 0003: trace search sorts by cost and filters by status and user over time
    "ix_earned_runs_cost": ["cost"],
    "ix_earned_runs_status_created_at": ["status", "created_at"],
    "ix_earned_runs_user_id_created_at": ["user_id", "created_at"],
}
SPAN_INDEXES = {
    "ix_earned_spans_run_id_started_at": ["run_id", "started_at"],
    "ix_earned_spans_kind_started_at": ["kind", "started_at"],
    "ix_earned_spans_tool": ["tool"],
    "ix_earned_spans_error_type": ["error_type"],  # 0003: search by error class
}


def _indexes(db: Database, table: str) -> dict[str, list[str]]:
    return {
        str(ix["name"]): [str(c) for c in ix["column_names"]]
        for ix in sa.inspect(db.engine).get_indexes(table)
    }


def test_upgrade_creates_tables_indexes_and_own_version_table(empty_db: Database) -> None:
    assert empty_db.current_revision() is None
    empty_db.upgrade()
    assert empty_db.current_revision() == empty_db.head_revision()
    tables = set(sa.inspect(empty_db.engine).get_table_names())
    assert tables >= {"earned_runs", "earned_spans", VERSION_TABLE}
    assert tables == set(metadata.tables) | {VERSION_TABLE}
    assert VERSION_TABLE == "earned_alembic_version"
    assert _indexes(empty_db, "earned_runs") == RUN_INDEXES
    assert _indexes(empty_db, "earned_spans") == SPAN_INDEXES
    assert sa.inspect(empty_db.engine).get_pk_constraint("earned_spans")["constrained_columns"] == [
        "span_id"
    ]


def test_upgrade_is_idempotent(empty_db: Database) -> None:
    empty_db.upgrade()
    empty_db.upgrade()
    assert empty_db.current_revision() == empty_db.head_revision()
    with empty_db.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    assert [tuple(r) for r in rows] == [(empty_db.head_revision(),)]


def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    def include(name: str | None, type_: str, _parent: Any) -> bool:
        return not (type_ == "table" and name == VERSION_TABLE)

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": include, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


def test_concurrent_upgrades_from_several_connections(db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def migrate() -> None:
        database = Database(db_url)
        try:
            barrier.wait()
            database.upgrade()
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Database(db_url) as database:
        assert database.current_revision() == database.head_revision()


def test_downgrade_to_base_removes_the_tables(db: Database) -> None:
    command.downgrade(db.alembic_config(), "base")
    assert set(sa.inspect(db.engine).get_table_names()) == {VERSION_TABLE}
    assert db.current_revision() is None
    db.upgrade()
    assert db.current_revision() == db.head_revision()


def test_offline_mode_prints_the_sql(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(db.alembic_config(), "head", sql=True)
    out = capsys.readouterr().out
    assert "CREATE TABLE earned_runs" in out
    assert "CREATE TABLE earned_spans" in out
    assert VERSION_TABLE in out


def test_stores_refuse_an_unmigrated_database(empty_db: Database) -> None:
    with pytest.raises(ConfigError, match=r"no earned tables yet.*Database\.upgrade\(\)"):
        RunStore(empty_db)
    with pytest.raises(ConfigError, match="earned db upgrade"):
        SpanStore(empty_db)


def test_database_migrated_by_a_newer_earned_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999_future'"))
    with pytest.raises(SchemaVersionError, match=r"newer earned.*pip install -U earned") as info:
        db.upgrade()
    assert info.value.details["revision"] == "9999_future"
    fresh = Database(db.url)
    try:
        with pytest.raises(SchemaVersionError, match="9999_future"):
            RunStore(fresh)
    finally:
        fresh.close()
