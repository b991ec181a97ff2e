"""Alert rules at seed 001's thresholds: firing just past them, silent at them, no false alarms.

Each case writes the traffic one shipped rule watches, then evaluates that rule alone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from earned.metrics import (
    AlertReport,
    FeedbackStore,
    MetricsReader,
    RuleSet,
    check_alerts,
    default_rules,
)
from earned.store import Database
from tests.metrics.conftest import Clock
from tests.metrics.data import DAY, NOW, add_approval, add_run, add_spans, tool_call

Setup = Callable[[Database], None]


def only(rule_id: str) -> RuleSet:
    rules = default_rules()
    return rules.model_copy(update={"rules": tuple(r for r in rules.rules if r.id == rule_id)})


def check(db: Database, clock: Clock, rule_id: str) -> AlertReport:
    return check_alerts(MetricsReader(db, clock=clock), only(rule_id))


# -- traffic builders ---------------------------------------------------------------------


def tool_calls(ok: int, failed: int, *, tool: str = "get_order", ms: float = 100) -> Setup:
    def setup(db: Database) -> None:
        events = [tool_call(f"run_{i}", tool, at=NOW - 60, ms=ms) for i in range(ok)]
        events += [
            tool_call(f"bad_{i}", tool, at=NOW - 60, status="error", error_type="Boom")
            for i in range(failed)
        ]
        add_spans(db, *events)

    return setup


def calls_in_one_run(n: int) -> Setup:
    return lambda db: add_spans(
        db, *(tool_call("looping", "search", at=NOW - 60 + i) for i in range(n))
    )


def runs(completed: int, other: int, *, status: str = "failed", **fields: object) -> Setup:
    def setup(db: Database) -> None:
        for i in range(completed):
            add_run(db, f"ok_{i}", at=NOW - 600, **fields)  # type: ignore[arg-type]
        for i in range(other):
            add_run(db, f"other_{i}", at=NOW - 600, status=status, **fields)  # type: ignore[arg-type]

    return setup


def approvals(approved: int, rejected: int) -> Setup:
    def setup(db: Database) -> None:
        for i in range(approved):
            add_approval(db, f"yes_{i}", decided_at=NOW - 600, decision="approve")
        for i in range(rejected):
            add_approval(db, f"no_{i}", decided_at=NOW - 600, decision="reject")

    return setup


def daily_cost(today: float, earlier: float | None) -> Setup:
    def setup(db: Database) -> None:
        add_run(db, "today", at=NOW - 600, cost=today)
        for day in range(1, 8) if earlier is not None else ():
            add_run(db, f"day_{day}", at=NOW - day * DAY - 600, cost=earlier or 0.0)

    return setup


def daily_tool_cost(today: float, earlier: float) -> Setup:
    def setup(db: Database) -> None:
        events = [tool_call("today", "geocode", at=NOW - 600, cost=today)]
        events += [
            tool_call(f"day_{d}", "geocode", at=NOW - d * DAY - 600, cost=earlier)
            for d in range(1, 8)
        ]
        add_spans(db, *events)

    return setup


def turns(today: int, yesterday: int | None) -> Setup:
    def setup(db: Database) -> None:
        for i in range(10):
            add_run(db, f"today_{i}", at=NOW - 600, requests=today)
            if yesterday is not None:
                add_run(db, f"yesterday_{i}", at=NOW - DAY - 600, requests=yesterday)

    return setup


def weekly_users(this_week: int, last_week: int) -> Setup:
    def setup(db: Database) -> None:
        for i in range(this_week):
            add_run(db, f"now_{i}", at=NOW - 600, user=f"u{i}")
        for i in range(last_week):
            add_run(db, f"before_{i}", at=NOW - 7 * DAY - 600, user=f"u{i}")

    return setup


def sessions(turns_each: list[int]) -> Setup:
    def setup(db: Database) -> None:
        store = FeedbackStore(db, redact=lambda text: text)
        for i, n in enumerate(turns_each):
            store.start_session(f"s{i}", user=f"u{i}", at=NOW - 600)
            for _ in range(n):
                store.record_turn(f"s{i}", at=NOW - 500)

    return setup


def thumbs(up: int, down: int) -> Setup:
    def setup(db: Database) -> None:
        store = FeedbackStore(db, redact=lambda text: text)
        for rating, n in (("up", up), ("down", down)):
            for _ in range(n):
                store.record_feedback(rating, session_id="s1", at=NOW - 600)

    return setup


def new_error(seen_before: bool) -> Setup:
    def setup(db: Database) -> None:
        events = [tool_call("now", "crm", at=NOW - 60, status="error", error_type="Timeout")]
        if seen_before:
            events.append(
                tool_call("then", "crm", at=NOW - 30 * DAY, status="error", error_type="Timeout")
            )
        add_spans(db, *events)

    return setup


CASES: list[tuple[str, str, Setup, str]] = [
    ("tool success 90% < 95%", "tool-success-rate", tool_calls(9, 1), "firing"),
    ("tool success 95% is not < 95%", "tool-success-rate", tool_calls(19, 1), "ok"),
    ("tool success, 5 calls < min samples", "tool-success-rate", tool_calls(4, 1), "no_data"),
    ("tool p95 6 s > 5 s", "tool-latency-p95", tool_calls(5, 0, ms=6000), "firing"),
    ("tool p95 5 s is not > 5 s", "tool-latency-p95", tool_calls(5, 0, ms=5000), "ok"),
    ("16 calls in one run > 15", "tool-calls-per-run", calls_in_one_run(16), "firing"),
    ("15 calls in one run", "tool-calls-per-run", calls_in_one_run(15), "ok"),
    ("an error type never seen", "new-error-type", new_error(seen_before=False), "firing"),
    ("an error type seen last month", "new-error-type", new_error(seen_before=True), "ok"),
    ("completion 70% < 80%", "task-completion-rate", runs(7, 3), "firing"),
    ("completion 80%", "task-completion-rate", runs(8, 2), "ok"),
    ("turns 7 > 6 and up from 6.5", "turns-to-completion", turns(7, 6), "firing"),
    ("turns 7 > 6 but down from 8", "turns-to-completion", turns(7, 8), "ok"),
    ("turns 5, up from 4, not > 6", "turns-to-completion", turns(5, 4), "ok"),
    ("turns 7 with no day before", "turns-to-completion", turns(7, None), "no_data"),
    ("approval 50% < 60%", "approval-rate-low", approvals(5, 5), "firing"),
    ("approval 60%", "approval-rate-low", approvals(6, 4), "ok"),
    ("approval, 9 decisions < min samples", "approval-rate-low", approvals(4, 5), "no_data"),
    ("approval 100% > 98%", "approval-rate-high", approvals(50, 0), "firing"),
    ("approval 98%", "approval-rate-high", approvals(49, 1), "ok"),
    ("fallback 20% > 15%", "fallback-rate", runs(8, 2, status="escalated"), "firing"),
    ("fallback 10%", "fallback-rate", runs(9, 1, status="escalated"), "ok"),
    ("run p95 11 s > 10 s", "run-latency-p95", runs(5, 0, seconds=11), "firing"),
    ("run p95 10 s", "run-latency-p95", runs(5, 0, seconds=10), "ok"),
    ("cost/run $0.60 > $0.50", "cost-per-session", runs(5, 0, cost=0.6), "firing"),
    ("cost/run $0.50", "cost-per-session", runs(5, 0, cost=0.5), "ok"),
    ("a user spent $5.01 today", "cost-per-user-day", runs(1, 0, cost=5.01), "firing"),
    ("a user spent $5 today", "cost-per-user-day", runs(1, 0, cost=5.0), "ok"),
    ("input 60K tokens avg > 50K", "input-tokens", runs(5, 0, input_tokens=60_000), "firing"),
    ("input 50K tokens avg", "input-tokens", runs(5, 0, input_tokens=50_000), "ok"),
    ("spend $3.10 > 3x $1.00", "cost-spike", daily_cost(3.1, 1.0), "firing"),
    ("spend $2.90 < 3x $1.00", "cost-spike", daily_cost(2.9, 1.0), "ok"),
    ("spend with no earlier day", "cost-spike", daily_cost(50.0, None), "no_data"),
    ("tool spend $2.10 > 2x $1.00", "tool-api-spend", daily_tool_cost(2.1, 1.0), "firing"),
    ("tool spend $1.90 < 2x $1.00", "tool-api-spend", daily_tool_cost(1.9, 1.0), "ok"),
    ("fewer users than last week", "daily-active-users", weekly_users(6, 7), "firing"),
    ("as many users as last week", "daily-active-users", weekly_users(7, 7), "ok"),
    ("sessions avg 0.5 turns < 1", "session-length", sessions([0, 1] * 5), "firing"),
    ("sessions avg 1 turn", "session-length", sessions([1] * 10), "ok"),
    ("no sessions reported", "session-length", sessions([]), "no_data"),
    ("2 of 10 users came back", "repeat-usage", weekly_users(2, 10), "firing"),
    ("3 of 10 users came back", "repeat-usage", weekly_users(3, 10), "ok"),
    ("thumbs down 30% > 20%", "negative-feedback", thumbs(7, 3), "firing"),
    ("thumbs down 20%", "negative-feedback", thumbs(8, 2), "ok"),
    ("no thumbs", "negative-feedback", thumbs(0, 0), "no_data"),
]


@pytest.mark.parametrize(
    ("rule_id", "setup", "expected"),
    [pytest.param(rule, setup, expected, id=name) for name, rule, setup, expected in CASES],
)
def test_seed_thresholds(
    db: Database, clock: Clock, rule_id: str, setup: Setup, expected: str
) -> None:
    setup(db)
    report = check(db, clock, rule_id)
    assert [r.status for r in report.results] == [expected], [r.message for r in report.results]


def test_every_shipped_rule_has_a_firing_and_a_silent_case() -> None:
    covered = {(rule, expected) for _, rule, _, expected in CASES}
    for rule in default_rules().rules:
        assert (rule.id, "firing") in covered, rule.id
        assert (rule.id, "ok") in covered, rule.id


def test_an_empty_database_raises_no_alarm(db: Database, clock: Clock) -> None:
    report = check_alerts(MetricsReader(db, clock=clock), default_rules())
    assert report.firing == []
    statuses = {r.rule.id: r.status for r in report.results}
    assert statuses.pop("daily-active-users") == "ok"  # zero users, as many as the week before
    assert set(statuses.values()) == {"no_data"}


def test_a_firing_alert_carries_its_runbook_entry_and_the_offending_group(
    db: Database, clock: Clock
) -> None:
    tool_calls(9, 1, tool="get_order")(db)
    tool_calls(20, 0, tool="search")(db)
    report = check(db, clock, "tool-success-rate")
    by_tool = {r.group["tool"]: r for r in report.results}
    assert (by_tool["get_order"].status, by_tool["search"].status) == ("firing", "ok")
    [alert] = report.firing
    assert alert.message == (
        "tool_success_rate for tool=get_order is 90.0%, below 95.0% over 5m (10 samples)"
    )
    assert (alert.runbook.symptom, alert.runbook.likely_cause, alert.runbook.response) == (
        "All tool calls failing",
        "External API down",
        "Check API status pages, activate fallback tools",
    )
    payload = alert.to_dict()
    assert (payload["rule"], payload["severity"], payload["value"], payload["limit"]) == (
        "tool-success-rate", "critical", 0.9, 0.95,
    )  # fmt: skip


def test_a_baseline_alert_reports_the_baseline(db: Database, clock: Clock) -> None:
    daily_cost(3.5, 1.0)(db)
    [alert] = check(db, clock, "cost-spike").firing
    assert (alert.value, alert.baseline, alert.limit) == (3.5, 1.0, 3.0)
    assert "3x baseline $1.00, the mean of the previous 7" in alert.message


def test_the_window_can_be_overridden(db: Database, clock: Clock) -> None:
    runs(7, 3)(db)  # ten minutes ago
    reader = MetricsReader(db, clock=clock)
    assert check_alerts(reader, only("task-completion-rate")).firing != []
    quiet = check_alerts(reader, only("task-completion-rate"), window="5m")
    assert [r.status for r in quiet.results] == ["no_data"]
