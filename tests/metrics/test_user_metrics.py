"""User metrics from reported sessions and feedback, and the FeedbackStore that records them."""

from __future__ import annotations

import pytest

from earned.errors import UserError
from earned.metrics import FeedbackStore, MetricsReader
from earned.store import Database
from tests.metrics.conftest import Clock
from tests.metrics.data import DAY, NOW, add_run, build_user_signals, build_world
from tests.metrics.test_tool_metrics import value


@pytest.fixture
def reader(db: Database, clock: Clock) -> MetricsReader:
    build_world(db)
    build_user_signals(db)
    return MetricsReader(db, clock=clock)


def test_sessions_and_their_length(reader: MetricsReader) -> None:
    report = reader.compute(["sessions", "session_turns_avg"], window="1h")
    assert value(report, "sessions") == 3
    assert value(report, "session_turns_avg") == pytest.approx((3 + 0 + 1) / 3)


def test_negative_feedback_rate(reader: MetricsReader) -> None:
    report = reader.compute(["feedback", "negative_feedback_rate"], window="1h")
    assert value(report, "feedback") == 4
    assert value(report, "negative_feedback_rate") == pytest.approx(0.25)
    by_agent = reader.compute(["negative_feedback_rate"], window="2h", by=["agent"])
    assert value(by_agent, "negative_feedback_rate", agent="refunds") == pytest.approx(2 / 5)


def test_active_users_come_from_runs_and_sessions(reader: MetricsReader) -> None:
    report = reader.compute(["active_users", "daily_active_users"], window="1h")
    # runs: u1 u2 u3 u4; sessions: u1 u5
    assert value(report, "active_users") == 5
    assert value(report, "daily_active_users") == 5
    by_tenant = reader.compute(["active_users"], window="1h", by=["tenant"])
    assert value(by_tenant, "active_users", tenant="acme") == 4
    assert value(by_tenant, "active_users", tenant="globex") == 1


def test_retention_is_the_share_of_earlier_users_who_came_back(reader: MetricsReader) -> None:
    report = reader.compute(["user_retention"], window="1h")
    found = report.get("user_retention")
    assert found is not None
    # The hour before: u1 (a run) and u9 (a session); only u1 came back.
    assert (found.value, found.samples) == (0.5, 2)


def test_daily_active_users_average_the_days_of_the_window(db: Database, clock: Clock) -> None:
    # Day 0 (the last 24 h): 3 users; day 1: 1 user; days 2-6: nobody.
    for user in ("a", "b", "c"):
        add_run(db, f"today_{user}", at=NOW - 100, user=user)
    add_run(db, "yesterday_a", at=NOW - DAY - 100, user="a")
    add_run(db, "yesterday_a2", at=NOW - DAY - 50, user="a")
    report = MetricsReader(db, clock=clock).compute(["daily_active_users", "active_users"],
                                                    window="7d")  # fmt: skip
    assert value(report, "daily_active_users") == pytest.approx(4 / 7)
    assert value(report, "active_users") == 3


def test_a_quiet_window_has_zero_daily_users_not_no_data(db: Database, clock: Clock) -> None:
    found = MetricsReader(db, clock=clock).compute(["daily_active_users"], window="7d")
    dau = found.get("daily_active_users")
    assert dau is not None
    assert (dau.value, dau.samples) == (0.0, 7)


def test_feedback_takes_agent_user_and_tenant_from_the_rated_run(db: Database) -> None:
    add_run(db, "r1", at=NOW, agent="refunds", capability="refund", tenant="acme", user="u7")
    store = FeedbackStore(db, redact=lambda text: text.replace("ana@example.com", "<EMAIL_1>"))
    feedback_id = store.record_feedback("down", run_id="r1", comment="ana@example.com: wrong")
    [record] = store.feedback(run_id="r1")
    assert record.feedback_id == feedback_id
    assert (record.agent, record.capability, record.user, record.tenant) == (
        "refunds", "refund", "u7", "acme",
    )  # fmt: skip
    assert record.comment == "<EMAIL_1>: wrong"


def test_comments_are_redacted_by_default(db: Database) -> None:
    store = FeedbackStore(db)
    store.start_session("s1", user="u1")
    store.record_feedback("down", session_id="s1", comment="mail me at ana.silva@example.com")
    [record] = store.feedback(session_id="s1")
    assert record.comment is not None
    assert "ana.silva@example.com" not in record.comment
    assert record.user == "u1"


def test_sessions_count_turns(db: Database, clock: Clock) -> None:
    store = FeedbackStore(db, clock=clock)
    store.start_session("s1", user="u1", tenant="acme", agent="refunds")
    store.start_session("s1", user="someone else")  # starting it again changes nothing
    assert [store.record_turn("s1") for _ in range(3)] == [1, 2, 3]
    store.end_session("s1", at=NOW + 60)
    session = store.session("s1")
    assert session is not None
    assert (session.user, session.turns, session.started_at, session.ended_at) == (
        "u1", 3, NOW, NOW + 60,
    )  # fmt: skip
    assert store.session("nope") is None


def test_feedback_mistakes_say_how_to_fix_them(db: Database) -> None:
    store = FeedbackStore(db, redact=lambda text: text)
    with pytest.raises(UserError, match=r"rating: Input should be 'up' or 'down'"):
        store.record_feedback("meh", run_id="r1")
    with pytest.raises(UserError, match=r"pass run_id=\.\.\. or session_id=\.\.\."):
        store.record_feedback("up")
    with pytest.raises(UserError, match="unexpected_field"):
        store.record_feedback("up", run_id="r1", unexpected_field=1)
    with pytest.raises(UserError, match=r"call start_session\('s9', ...\) first"):
        store.record_turn("s9")
