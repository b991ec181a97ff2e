"""Console sessions: a random id in an HttpOnly cookie, its SHA-256 in the database.

Logging in with an API token creates a session bound to that token's id (the token itself
is not kept). Every request looks the session up by the hash of the cookie's id, checks its
absolute and idle expiry, and then checks the token again (revoked or expired ends the
session), so what a session may do is always what its token may do now.

The CSRF token of a session is derived from its id (`csrf_token`): a form posted with a
session's cookie must carry it, and a page that could be read cross-site could not learn
the id from it (SHA-256 does not run backwards).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from earned.store import Database
from earned.store._runs import check_schema_version
from earned.store._tables import CONSOLE_SESSION_SCHEMA_VERSION, console_sessions

__all__ = ["ConsoleSession", "SessionStore", "csrf_matches", "csrf_token", "session_hash"]

#: `last_seen_at` is written at most this often per session (seconds).
TOUCH_INTERVAL = 60.0
_ID_BYTES = 32
_MAX_ID_LENGTH = 100
_MAX_FLASH = 500


def session_hash(session_id: str) -> str:
    """What the database keeps of a session id: `sha256:` and the hex digest."""
    return "sha256:" + hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of the session with this id (the same for the session's lifetime)."""
    return hashlib.sha256(b"earned-console-csrf\x00" + session_id.encode("utf-8")).hexdigest()


def csrf_matches(session_id: str, sent: str | None) -> bool:
    """True when `sent` is the session's CSRF token (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(csrf_token(session_id), str(sent))


@dataclass(frozen=True, kw_only=True)
class ConsoleSession:
    """A live session: which token it acts as, and when it ends."""

    session_id: str
    token_id: str
    created_at: float
    expires_at: float
    last_seen_at: float
    flash: str | None = None

    @property
    def csrf(self) -> str:
        """The token every form of this session posts."""
        return csrf_token(self.session_id)


class SessionStore:
    """Creates, finds and ends console sessions in the project database.

    `lifetime`: a session ends this long after login, whatever happens (seconds).
    `idle`: and this long after its last request.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        lifetime: float = 12 * 3600.0,
        idle: float = 2 * 3600.0,
    ) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock
        self.lifetime = lifetime
        self.idle = idle

    def create(self, token_id: str) -> ConsoleSession:
        """A new session acting as `token_id`; expired sessions are removed on the way."""
        now = self.clock()
        session_id = secrets.token_urlsafe(_ID_BYTES)
        session = ConsoleSession(
            session_id=session_id,
            token_id=token_id,
            created_at=now,
            expires_at=now + self.lifetime,
            last_seen_at=now,
        )
        row = {
            "session_hash": session_hash(session_id),
            "token_id": token_id,
            "created_at": now,
            "expires_at": session.expires_at,
            "last_seen_at": now,
            "schema_version": CONSOLE_SESSION_SCHEMA_VERSION,
        }
        with self.db.engine.begin() as conn:
            conn.execute(sa.delete(console_sessions).where(console_sessions.c.expires_at <= now))
            conn.execute(sa.insert(console_sessions).values(**row))
        return session

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """The live session with this id, or None (unknown, expired or idle too long)."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        key = session_hash(session_id)
        query = sa.select(console_sessions).where(console_sessions.c.session_hash == key)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        check_schema_version(
            int(row["schema_version"]),
            CONSOLE_SESSION_SCHEMA_VERSION,
            what="console session",
            id=row["token_id"],
        )
        now = self.clock()
        if now >= row["expires_at"] or now - row["last_seen_at"] >= self.idle:
            self.end(session_id)
            return None
        if now - row["last_seen_at"] > TOUCH_INTERVAL:
            self._update(key, last_seen_at=now)
        return ConsoleSession(
            session_id=session_id,
            token_id=row["token_id"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            last_seen_at=now,
            flash=row["flash"],
        )

    def set_flash(self, session_id: str, message: str | None) -> None:
        """Keep a message for the session's next page (None clears it)."""
        text = None if message is None else message[:_MAX_FLASH]
        self._update(session_hash(session_id), flash=text)

    def end(self, session_id: str) -> None:
        """Log the session out (an unknown id is ignored)."""
        key = session_hash(session_id)
        with self.db.engine.begin() as conn:
            conn.execute(sa.delete(console_sessions).where(console_sessions.c.session_hash == key))

    def _update(self, key: str, **values: object) -> None:
        stmt = sa.update(console_sessions).where(console_sessions.c.session_hash == key)
        with self.db.engine.begin() as conn:
            conn.execute(stmt.values(**values))
