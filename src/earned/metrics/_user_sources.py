"""User metrics: activity, sessions, retention and thumbs up/down.

A user is active in a window when a run acted for them (`earned_runs.user_id`) or the
application reported a session of theirs (`earned_sessions`) in it. Sessions and feedback are
reported by the application through `FeedbackStore`.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from earned.metrics._sql import (
    Columns,
    Measure,
    Measures,
    day_slice,
    group_columns,
    key_of,
    ratio,
    scoped,
)
from earned.metrics._window import GroupKey, Query
from earned.store._tables import feedback, runs, sessions

__all__ = ["active_users", "feedback_counts", "session_counts", "user_retention"]


def _columns(table: sa.Table) -> Columns:
    return {"agent": table.c.agent, "capability": table.c.capability, "tenant": table.c.tenant}


def session_counts(conn: sa.Connection, query: Query) -> Measures:
    """sessions and session_turns_avg, over sessions that started in the window."""
    columns = _columns(sessions)
    groups = group_columns(columns, query)
    stmt = scoped(
        sa.select(
            *groups, sa.func.count().label("n"), sa.func.sum(sessions.c.turns).label("turns")
        ).select_from(sessions),
        columns,
        query,
        sessions.c.started_at,
    ).group_by(*(g.element for g in groups))
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        n = int(row["n"])
        out[key_of(row, query)] = {
            "sessions": Measure(value=float(n), samples=n),
            "session_turns_avg": Measure(value=ratio(row["turns"], n), samples=n),
        }
    return out


def feedback_counts(conn: sa.Connection, query: Query) -> Measures:
    """feedback and negative_feedback_rate: thumbs down / all thumbs."""
    columns = _columns(feedback)
    groups = group_columns(columns, query)
    stmt = scoped(
        sa.select(
            *groups,
            sa.func.count().label("n"),
            sa.func.count().filter(feedback.c.rating == "down").label("down"),
        ).select_from(feedback),
        columns,
        query,
        feedback.c.at,
    ).group_by(*(g.element for g in groups))
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        n = int(row["n"])
        out[key_of(row, query)] = {
            "feedback": Measure(value=float(n), samples=n),
            "negative_feedback_rate": Measure(value=ratio(row["down"], n), samples=n),
        }
    return out


def _activity(query: Query, dialect: str) -> sa.Subquery:
    """(group..., user, day slice) for every run and reported session in the window."""
    parts: list[sa.Select[Any]] = []
    for table, time in ((runs, runs.c.created_at), (sessions, sessions.c.started_at)):
        columns = _columns(table)
        stmt = sa.select(
            *group_columns(columns, query),
            table.c.user_id.label("user_id"),
            day_slice(dialect, query.until, time).label("day"),
        ).select_from(table)
        parts.append(scoped(stmt, columns, query, time).where(table.c.user_id.is_not(None)))
    return sa.union_all(*parts).subquery()


def active_users(conn: sa.Connection, query: Query) -> Measures:
    """active_users (distinct users in the window) and daily_active_users.

    `daily_active_users` is the mean, over the window's 24-hour slices counted back from its
    end, of the distinct users active in each slice (a slice with nobody counts as 0); a
    window of a day or less is one slice. Its samples are the number of slices, so a quiet
    window still reports 0 rather than "no data".
    """
    activity = _activity(query, conn.dialect.name)
    groups = [activity.c[f"g{i}"] for i in range(len(query.by))]
    users = conn.execute(
        sa.select(*groups, sa.func.count(sa.distinct(activity.c.user_id)).label("n")).group_by(
            *groups
        )
    ).mappings()
    per_day = sa.select(
        *groups, activity.c.day, sa.func.count(sa.distinct(activity.c.user_id)).label("n")
    ).group_by(*groups, activity.c.day)
    slices = max(1, math.ceil(query.seconds / 86400))
    daily: dict[GroupKey, int] = {}
    for row in conn.execute(per_day).mappings():
        if 0 <= int(row["day"]) < slices:
            key = key_of(row, query)
            daily[key] = daily.get(key, 0) + int(row["n"])
    out: Measures = {}
    for row in users:
        key, n = key_of(row, query), int(row["n"])
        out[key] = {
            "active_users": Measure(value=float(n), samples=n),
            "daily_active_users": Measure(value=daily.get(key, 0) / slices, samples=slices),
        }
    if not query.by and () not in out:
        out[()] = {
            "active_users": Measure(value=0.0, samples=0),
            "daily_active_users": Measure(value=0.0, samples=slices),
        }
    return out


def user_retention(conn: sa.Connection, query: Query) -> Measures:
    """user_retention: of the users active in the window before, the share active again now."""
    dialect = conn.dialect.name
    earlier = _distinct_users(_activity(query.shifted(1), dialect), query)
    now = _distinct_users(_activity(query, dialect), query)
    joins = [now.c.user_id == earlier.c.user_id] + [
        now.c[f"g{i}"].is_not_distinct_from(earlier.c[f"g{i}"]) for i in range(len(query.by))
    ]
    groups = [earlier.c[f"g{i}"] for i in range(len(query.by))]
    stmt = (
        sa.select(
            *groups,
            sa.func.count().label("before"),
            sa.func.count(now.c.user_id).label("returned"),
        )
        .select_from(earlier.outerjoin(now, sa.and_(*joins)))
        .group_by(*groups)
    )
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        n = int(row["before"])
        out[key_of(row, query)] = {
            "user_retention": Measure(value=ratio(row["returned"], n), samples=n)
        }
    return out


def _distinct_users(activity: sa.Subquery, query: Query) -> sa.Subquery:
    groups = [activity.c[f"g{i}"] for i in range(len(query.by))]
    return sa.select(*groups, activity.c.user_id).distinct().subquery()
