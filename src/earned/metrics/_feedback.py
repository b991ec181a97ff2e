"""What the application reports about its users: sessions, turns, and thumbs up/down.

```python
feedback = FeedbackStore(db)
feedback.start_session("sess_1", user="u_42", tenant="acme", agent="refunds")
result = await engine.run(agent, text, correlation_id="sess_1")
feedback.record_turn("sess_1")
feedback.record_feedback("down", run_id=result.run_id, comment="wrong refund amount")
```

These feed the user metrics (active users, session length, retention, negative feedback
rate). Comments are redacted before they are stored (`earned.redaction`), like traces.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from earned.errors import UserError
from earned.store import Database
from earned.store._tables import FEEDBACK_SCHEMA_VERSION, feedback, runs, sessions
from earned.store._upsert import insert_for

__all__ = ["FeedbackRecord", "FeedbackStore", "Rating", "SessionRecord"]

Rating = Literal["up", "down"]
#: Longest comment kept; longer ones are cut.
MAX_COMMENT_CHARS = 4000
_Id = Annotated[str, Field(min_length=1, max_length=200)]


class _FeedbackIn(BaseModel):
    """A feedback report as the application sends it (a trust boundary: user input)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: Rating
    run_id: _Id | None = None
    session_id: _Id | None = None
    user: _Id | None = None
    tenant: _Id | None = None
    agent: _Id | None = None
    capability: _Id | None = None
    comment: str | None = None
    at: float | None = Field(default=None, ge=0)


@dataclass(frozen=True, kw_only=True)
class SessionRecord:
    """One reported user session."""

    session_id: str
    agent: str | None
    capability: str | None
    user: str | None
    tenant: str | None
    started_at: float
    last_at: float
    ended_at: float | None
    turns: int


@dataclass(frozen=True, kw_only=True)
class FeedbackRecord:
    """One thumbs up or down, on a run or a session."""

    feedback_id: str
    rating: str
    run_id: str | None
    session_id: str | None
    agent: str | None
    capability: str | None
    user: str | None
    tenant: str | None
    comment: str | None
    at: float


def _default_redact() -> Callable[[str], str]:
    from earned.redaction import Redactor

    redactor = Redactor()
    return lambda text: redactor.scope("feedback").text(text)


class FeedbackStore:
    """Sessions and feedback in `earned_sessions` and `earned_feedback`."""

    def __init__(
        self,
        db: Database,
        *,
        redact: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Use `db` (migrated). `redact` cleans comments (default: earned's redactor)."""
        db.check_revision()
        self.db = db
        self._redact = redact if redact is not None else _default_redact()
        self._clock = clock

    # -- sessions -------------------------------------------------------------------------

    def start_session(
        self,
        session_id: str,
        *,
        user: str | None = None,
        tenant: str | None = None,
        agent: str | None = None,
        capability: str | None = None,
        at: float | None = None,
    ) -> None:
        """Record that a session started; starting a known session again does nothing."""
        _check_id(session_id, "session_id")
        now = self._clock() if at is None else at
        row = {
            "session_id": session_id,
            "agent": agent,
            "capability": capability,
            "user_id": user,
            "tenant": tenant,
            "started_at": now,
            "last_at": now,
            "turns": 0,
            "schema_version": FEEDBACK_SCHEMA_VERSION,
        }
        stmt = insert_for(self.db.dialect, sessions).values(row)
        stmt = stmt.on_conflict_do_nothing(index_elements=[sessions.c.session_id])
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def record_turn(self, session_id: str, *, at: float | None = None) -> int:
        """Count one turn (one user message answered) in a session; returns the new count."""
        now = self._clock() if at is None else at
        later = sa.func.greatest if self.db.dialect == "postgresql" else sa.func.max
        stmt = (
            sessions.update()
            .where(sessions.c.session_id == session_id)
            .values(turns=sessions.c.turns + 1, last_at=later(sessions.c.last_at, now))
        )
        with self.db.engine.begin() as conn:
            if not conn.execute(stmt).rowcount:
                raise _unknown_session(session_id)
            return int(
                conn.execute(
                    sa.select(sessions.c.turns).where(sessions.c.session_id == session_id)
                ).scalar_one()
            )

    def end_session(self, session_id: str, *, at: float | None = None) -> None:
        """Record that a session ended (the user left, or the app closed it)."""
        now = self._clock() if at is None else at
        stmt = sessions.update().where(sessions.c.session_id == session_id).values(ended_at=now)
        with self.db.engine.begin() as conn:
            if not conn.execute(stmt).rowcount:
                raise _unknown_session(session_id)

    def session(self, session_id: str) -> SessionRecord | None:
        """The stored session, or None."""
        query = sa.select(sessions).where(sessions.c.session_id == session_id)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return SessionRecord(
            session_id=row["session_id"], agent=row["agent"], capability=row["capability"],
            user=row["user_id"], tenant=row["tenant"], started_at=row["started_at"],
            last_at=row["last_at"], ended_at=row["ended_at"], turns=row["turns"],
        )  # fmt: skip

    # -- feedback -------------------------------------------------------------------------

    def record_feedback(self, rating: str, **fields: Any) -> str:
        """Store a thumbs up or down on a run or a session; returns its feedback id.

        Keywords: `run_id` and/or `session_id` (at least one), `user`, `tenant`, `agent`,
        `capability` (filled from the run, else the session, when left out), `comment`,
        `at`. The comment is redacted before it is stored.
        """
        try:
            given = _FeedbackIn.model_validate({"rating": rating, **fields})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise UserError(
                f"cannot record feedback: {problems}. Pass rating='up' or 'down' and a "
                "run_id or session_id",
                fields=sorted(fields),
            ) from None
        if given.run_id is None and given.session_id is None:
            raise UserError(
                "feedback needs what it rates: pass run_id=... or session_id=...",
                rating=rating,
            )
        feedback_id = f"fb_{uuid.uuid4().hex[:24]}"
        with self.db.engine.begin() as conn:
            known = _context(conn, given.run_id, given.session_id)
            conn.execute(feedback.insert().values(self._row(feedback_id, given, known)))
        return feedback_id

    def _row(self, feedback_id: str, given: _FeedbackIn, known: dict[str, Any]) -> dict[str, Any]:
        comment = given.comment[:MAX_COMMENT_CHARS] if given.comment else None
        return {
            "feedback_id": feedback_id,
            "session_id": given.session_id,
            "run_id": given.run_id,
            "agent": given.agent or known.get("agent"),
            "capability": given.capability or known.get("capability"),
            "user_id": given.user or known.get("user_id"),
            "tenant": given.tenant or known.get("tenant"),
            "rating": given.rating,
            "comment": self._redact(comment) if comment else None,
            "at": self._clock() if given.at is None else given.at,
            "schema_version": FEEDBACK_SCHEMA_VERSION,
        }

    def feedback(
        self, *, run_id: str | None = None, session_id: str | None = None
    ) -> list[FeedbackRecord]:
        """Feedback on a run or a session, oldest first."""
        query = sa.select(feedback).order_by(feedback.c.at, feedback.c.feedback_id)
        if run_id is not None:
            query = query.where(feedback.c.run_id == run_id)
        if session_id is not None:
            query = query.where(feedback.c.session_id == session_id)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            FeedbackRecord(
                feedback_id=r["feedback_id"], rating=r["rating"], run_id=r["run_id"],
                session_id=r["session_id"], agent=r["agent"], capability=r["capability"],
                user=r["user_id"], tenant=r["tenant"], comment=r["comment"], at=r["at"],
            )
            for r in rows
        ]  # fmt: skip


def _check_id(value: Any, name: str) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= 200:
        raise UserError(f"{name} must be a string of 1 to 200 characters, got {value!r}")


def _unknown_session(session_id: str) -> UserError:
    return UserError(
        f"no session {session_id!r}; call start_session({session_id!r}, ...) first",
        session_id=session_id,
    )


def _context(conn: sa.Connection, run_id: str | None, session_id: str | None) -> dict[str, Any]:
    """Agent, capability, user and tenant of the rated run (else session), if stored."""
    if run_id is not None:
        row = (
            conn.execute(
                sa.select(runs.c.agent, runs.c.capability, runs.c.user_id, runs.c.tenant).where(
                    runs.c.run_id == run_id
                )
            )
            .mappings()
            .first()
        )
        if row is not None:
            return dict(row)
    if session_id is not None:
        row = (
            conn.execute(
                sa.select(
                    sessions.c.agent, sessions.c.capability, sessions.c.user_id, sessions.c.tenant
                ).where(sessions.c.session_id == session_id)
            )
            .mappings()
            .first()
        )
        if row is not None:
            return dict(row)
    return {}
