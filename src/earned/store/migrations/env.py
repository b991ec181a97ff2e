"""Alembic environment for earned's tables.

`earned.store.Database.upgrade()` runs it with an open connection (in
`config.attributes["connection"]`), already inside a transaction that other migrating
processes wait for. Given only `sqlalchemy.url` (see `Database.alembic_config()`), it
connects itself; in offline mode (`sql=True`) it prints the SQL instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from earned.store._tables import metadata

VERSION_TABLE = "earned_alembic_version"


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
    )


def run_offline() -> None:
    """Emit the migration SQL for `sqlalchemy.url`'s dialect without connecting."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the given connection, or through a fresh one to `sqlalchemy.url`."""
    connection: sa.Connection | None = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "earned's migrations need a connection: run them with "
            "earned.store.Database(url).upgrade()"
        )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
