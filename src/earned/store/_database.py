"""The project database: one SQLAlchemy engine on SQLite or PostgreSQL, and its migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, because the DBOS
durable engine writes to the same file from other connections. PostgreSQL URLs
(`postgresql://`, `postgres://`) are normalised to the psycopg 3 driver.

Migrations are Alembic revisions shipped inside the package and run programmatically
(`Database.upgrade()`); no `alembic.ini` is needed. Their version table is
`earned_alembic_version`, so they live beside DBOS's own tables in one database.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool, StaticPool

from earned.config import Settings
from earned.errors import ConfigError
from earned.store import _json
from earned.store._errors import SchemaVersionError

__all__ = ["MIGRATIONS_DIR", "VERSION_TABLE", "Database", "Dialect"]

Dialect = Literal["sqlite", "postgresql"]

#: Where the Alembic environment and revisions live (inside the installed package).
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Alembic's version table; DBOS keeps its own tables in the same database.
VERSION_TABLE = "earned_alembic_version"

#: Milliseconds a SQLite writer waits for another writer (e.g. DBOS) before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Milliseconds `upgrade()` waits for another process migrating the same SQLite file.
SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 60_000
#: Seconds to wait for a PostgreSQL server to accept a connection.
POSTGRES_CONNECT_TIMEOUT = 10
#: Key of the PostgreSQL advisory lock held while migrating ("earned" in ASCII).
MIGRATION_LOCK_KEY = 0x6561726E6564

_URL_EXAMPLES = (
    "sqlite:///./.earned/earned.db (a file), sqlite:// (in memory, tests only) or "
    "postgresql://user:password@host:5432/dbname"
)
_POSTGRES_DRIVERS = {"postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"}
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}


def _mask(raw: str) -> str:
    """`raw` with any password between `user:` and `@` replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


def _parse_url(raw: str) -> sa.URL:
    """Parse and normalise a database URL, or raise ConfigError saying how to fix it."""
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(
            f"the database URL is empty; set EARNED_DATABASE_URL to {_URL_EXAMPLES}",
            url=raw,
        )
    try:
        url = sa.make_url(raw.strip())
    except ArgumentError as exc:
        raise ConfigError(
            f"cannot parse database URL {_mask(raw)!r}; use {_URL_EXAMPLES}",
            url=_mask(raw),
        ) from exc
    driver = url.drivername.lower()
    if driver in _POSTGRES_DRIVERS:
        return url.set(drivername="postgresql+psycopg")
    if driver in _SQLITE_DRIVERS:
        url = url.set(drivername="sqlite")
        return (
            url if _is_memory(url) else url.set(database=str(Path(str(url.database)).expanduser()))
        )
    raise ConfigError(
        f"unsupported database {url.drivername!r} in {_mask(raw)!r}: earned stores runs in "
        f"SQLite or PostgreSQL (psycopg 3); use {_URL_EXAMPLES}",
        url=_mask(raw),
        driver=url.drivername,
    )


def _sqlite_pragmas(busy_timeout_ms: int, *, autobegin: bool) -> Any:
    """A `connect` listener setting WAL, the busy timeout and foreign keys on each connection."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()
        if not autobegin:
            dbapi_connection.isolation_level = None  # transactions begun by our listener

    return on_connect


def _is_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url.query)


def _sqlite_engine(url: sa.URL, *, migrating: bool = False) -> sa.Engine:
    """An engine for a SQLite URL; `migrating` gives one whose transactions `BEGIN IMMEDIATE`."""
    kwargs: dict[str, Any] = {"json_serializer": _json.dumps}
    if _is_memory(url):
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path = Path(str(url.database))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the directory {str(path.parent)!r} for the SQLite database: "
                f"{exc.strerror}; choose a writable path in EARNED_DATABASE_URL",
                path=str(path),
            ) from exc
        if migrating:
            kwargs["poolclass"] = NullPool
    engine = sa.create_engine(url, **kwargs)
    busy = SQLITE_MIGRATION_BUSY_TIMEOUT_MS if migrating else SQLITE_BUSY_TIMEOUT_MS
    event.listen(engine, "connect", _sqlite_pragmas(busy, autobegin=not migrating))
    if migrating:
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _postgres_engine(url: sa.URL) -> sa.Engine:
    """An engine for a PostgreSQL URL, or ConfigError naming the extra when psycopg is absent."""
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT
    try:
        return sa.create_engine(
            url,
            connect_args=connect_args,
            pool_pre_ping=True,
            json_serializer=_json.dumps,
        )
    except ImportError as exc:
        raise ConfigError(
            "PostgreSQL needs the psycopg 3 driver, which is not installed; "
            "run: pip install 'earned[postgres]'",
            url=url.render_as_string(hide_password=True),
            missing="psycopg",
        ) from exc


class Database:
    """The project database: an engine, its dialect, and its Alembic migrations.

    ``Database("sqlite:///./.earned/earned.db")`` or
    ``Database("postgresql://user@host:5432/earned")``. The constructor connects once,
    so a wrong URL or an unreachable server is reported here as a `ConfigError`.

    `url` is the normalised URL, password included (other components connect with it);
    `repr()` hides the password.
    """

    url: str
    engine: sa.Engine
    dialect: Dialect

    def __init__(self, url: str) -> None:
        parsed = _parse_url(url)
        self._url = parsed
        self.url = parsed.render_as_string(hide_password=False)
        self.dialect = "sqlite" if parsed.drivername == "sqlite" else "postgresql"
        self._checked = False
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(parsed)
        else:
            self.engine = _postgres_engine(parsed)
        self._check_connection()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Database:
        """The database named by `settings` (default: `Settings.load()`, the environment)."""
        return cls((settings or Settings.load()).database_url)

    def __repr__(self) -> str:
        return f"Database({self._url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_connection(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as exc:
            self.engine.dispose()
            raise ConfigError(self._connection_problem(exc), **self._where()) from exc

    def _where(self) -> dict[str, Any]:
        return {"url": self._url.render_as_string(hide_password=True)}

    def _connection_problem(self, exc: DBAPIError) -> str:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        masked = self._url.render_as_string(hide_password=True)
        if self.dialect == "sqlite":
            return (
                f"cannot open the SQLite database {masked!r}: {reason}; check that the path "
                "is a writable file (not a directory) or choose another in EARNED_DATABASE_URL"
            )
        host = self._url.host or "localhost"
        port = self._url.port or 5432
        return (
            f"cannot connect to PostgreSQL at {host}:{port} ({masked!r}): {reason}; check that "
            "the server is running, that the user, password and database in "
            "EARNED_DATABASE_URL are right, and that the database exists"
        )

    # -- migrations -----------------------------------------------------------------------

    def alembic_config(self) -> Config:
        """An Alembic `Config` for earned's migrations (for `alembic.command` by hand)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def head_revision(self) -> str | None:
        """The newest migration this version of earned ships."""
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The migration the database is at, or None before the first `upgrade()`."""
        with self.engine.connect() as conn:
            return _current_revision(conn)

    def upgrade(self) -> None:
        """Migrate the database to the newest revision; safe to call again or concurrently.

        Concurrent callers are serialised: a PostgreSQL advisory lock, or an immediate
        transaction on SQLite. A database already migrated by a newer earned raises
        `SchemaVersionError`.
        """
        config = self.alembic_config()
        script = ScriptDirectory.from_config(config)
        with self._migration_connection() as conn:
            self._refuse_unknown(script, _current_revision(conn))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        self._checked = True

    def check_revision(self) -> None:
        """Raise unless the database is at this earned's newest migration.

        ConfigError when it needs `upgrade()`; SchemaVersionError when a newer earned
        migrated it. Checked once per `Database`; the stores call it when built.
        """
        if self._checked:
            return
        script = ScriptDirectory.from_config(self.alembic_config())
        current, head = self.current_revision(), script.get_current_head()
        if current != head:
            self._refuse_unknown(script, current)
            state = (
                "has no earned tables yet" if current is None else f"is at migration {current!r}"
            )
            raise ConfigError(
                f"the database {self!r} {state}; this earned needs migration {head!r}. "
                "Run `earned db upgrade`, or call Database.upgrade() at startup",
                current=current,
                head=head,
                **self._where(),
            )
        self._checked = True

    def _refuse_unknown(self, script: ScriptDirectory, current: str | None) -> None:
        known = {rev.revision for rev in script.walk_revisions()}
        if current is not None and current not in known:
            raise SchemaVersionError(
                f"the database is at migration {current!r}, which this version of earned "
                "does not know: it was upgraded by a newer earned. Upgrade earned "
                "(pip install -U earned) to use this database",
                revision=current,
                head=script.get_current_head(),
                **self._where(),
            )

    @contextmanager
    def _migration_connection(self) -> Generator[sa.Connection]:
        """A connection in a transaction that no other migrating process can enter."""
        if self.dialect == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                yield conn
            return
        if _is_memory(self._url):  # one process by construction: nothing to serialise
            with self.engine.begin() as conn:
                yield conn
            return
        engine = _sqlite_engine(self._url, migrating=True)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def close(self) -> None:
        """Close every pooled connection. The object is unusable afterwards."""
        self.engine.dispose()


def _current_revision(conn: sa.Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()
