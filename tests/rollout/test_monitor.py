"""Stop conditions measured from live traffic demote a capability by themselves, and say so."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from earned.errors import UserError
from earned.rollout import (
    Demotion,
    LogAlerts,
    RolloutStore,
    StopCondition,
    StopMonitor,
    WebhookAlerts,
    alert_sinks_from_env,
)
from earned.stages import Stage
from earned.store import AuditLog, Database
from tests.rollout import agents
from tests.rollout.conftest import Clock
from tests.rollout.evidence import called, custom, decisions, denied, spans

HOUR = 3600.0


class Recorded:
    def __init__(self) -> None:
        self.sent: list[Demotion] = []

    def send(self, demotion: Demotion) -> None:
        self.sent.append(demotion)


def monitor(
    db: Database,
    clock: Clock,
    *stops: StopCondition,
    stage: Stage = Stage.CONDITIONAL_AUTO,
    alerts: Any = None,
    fallback: Stage | None = None,
) -> StopMonitor:
    matrix = agents.matrix(stage, stop_conditions=stops, fallback_stage=fallback)
    return StopMonitor(
        db,
        matrix,
        RolloutStore(db, clock=clock),
        clock=clock,
        alerts=[Recorded()] if alerts is None else alerts,
    )


def test_more_than_five_unauthorized_attempts_in_a_day_demotes(db: Database, clock: Clock) -> None:
    stop = StopCondition(id="unauthorized", count="unauthorized", above=5, window="24h")
    mon = monitor(db, clock, stop)
    spans(db, *[denied("pay", clock.now - i * HOUR) for i in range(5)])
    spans(db, denied("lookup", clock.now - 60), denied("pay", clock.now - 30 * HOUR))
    spans(db, denied("pay", clock.now - 60, rule_id="flag:write_tools_enabled"))  # ours
    spans(db, {**denied("pay", clock.now - 60), "run_id": "shadow_0001"})  # a rehearsal
    quiet = mon.check()
    assert quiet.demotions == []
    assert quiet.results[0].message == "count:unauthorized over 24h: 5 (above 5 trips) ok"

    spans(db, denied("pay", clock.now - 60))
    report = mon.check()
    [demotion] = report.demotions
    assert (demotion.capability, demotion.from_stage, demotion.to_stage) == (
        "payments",
        Stage.CONDITIONAL_AUTO,
        Stage.APPROVAL_REQUIRED,
    )
    assert mon.store.state("payments").tripped == "unauthorized"  # type: ignore[union-attr]
    entry = AuditLog(db).list(action="rollout.demote")[0]
    assert (entry.actor, entry.before, entry.after) == (
        "earned:monitor",
        "conditional_auto",
        "approval_required",
    )
    assert entry.reason is not None
    assert "stop condition unauthorized tripped: count:unauthorized over 24h: 6" in entry.reason
    assert mon.alerts[0].sent == [demotion]  # type: ignore[attr-defined]
    assert mon.check().demotions == []  # already at its fallback: nothing more to do


def test_an_approval_rate_below_60_percent_demotes_once_enough_decisions_exist(
    db: Database, clock: Clock
) -> None:
    stop = StopCondition(id="approvals", metric="approval_rate", below=0.6, min_samples=10)
    mon = monitor(db, clock, stop)
    decisions(db, "payments", approve=2, reject=4, at=clock.now - HOUR)
    assert mon.check().demotions == []  # 6 decisions: not judged yet
    decisions(db, "payments", approve=3, reject=1, at=clock.now - HOUR)
    report = mon.check()
    assert report.results[0].value == pytest.approx(0.5)
    assert [d.condition for d in report.demotions] == ["approvals"]


def test_an_event_rate_counts_events_per_call_of_the_capabilitys_tools(
    db: Database, clock: Clock
) -> None:
    stop = StopCondition(id="unsafe", event_rate="unsafe_payment", above=0.02, window="24h")
    mon = monitor(db, clock, stop)
    spans(db, *[called("pay", clock.now - 60) for _ in range(100)])
    spans(db, custom("unsafe_payment", clock.now - 60), custom("unsafe_payment", clock.now - 60))
    assert mon.check().results[0].value == pytest.approx(0.02)
    spans(db, custom("unsafe_payment", clock.now - 60))
    assert len(mon.check().demotions) == 1


def test_events_can_be_narrowed_to_a_category(db: Database, clock: Clock) -> None:
    stop = StopCondition(
        id="citations", count="citation_failure", where={"risk": ("high",)}, above=0
    )
    mon = monitor(db, clock, stop)
    spans(db, custom("citation_failure", clock.now - 60, risk="low"))
    assert mon.check().demotions == []
    spans(db, custom("citation_failure", clock.now - 60, risk="high"))
    assert len(mon.check().demotions) == 1


def test_cost_above_three_times_its_baseline_demotes(db: Database, clock: Clock) -> None:
    stop = StopCondition(
        id="unauthorized-baseline",
        count="unauthorized",
        above_baseline=3,
        baseline_windows=3,
        window="1h",
    )
    mon = monitor(db, clock, stop)
    for hour in (1, 2, 3):  # two denials an hour in each of the three previous hours
        spans(db, *[denied("pay", clock.now - hour * HOUR - 60) for _ in range(2)])
    spans(db, *[denied("pay", clock.now - 60) for _ in range(6)])
    result = mon.check().results[0]
    assert (result.baseline, result.threshold, result.tripped) == (2.0, 6.0, False)
    spans(db, denied("pay", clock.now - 30))
    assert len(mon.check().demotions) == 1


def test_conditions_apply_only_at_their_stages(db: Database, clock: Clock) -> None:
    stop = StopCondition(
        id="auto-only", count="unauthorized", above=0, stages=(Stage.CONDITIONAL_AUTO,)
    )
    mon = monitor(db, clock, stop, stage=Stage.EXPANDED)
    spans(db, denied("pay", clock.now - 60))
    report = mon.check()
    assert report.demotions == []
    assert "not checked at expanded" in report.results[0].message


def test_the_declared_fallback_stage_is_where_it_lands(db: Database, clock: Clock) -> None:
    stop = StopCondition(id="any", count="unauthorized", above=0)
    mon = monitor(db, clock, stop, fallback=Stage.SHADOW)
    spans(db, denied("pay", clock.now - 60))
    assert mon.check().demotions[0].to_stage is Stage.SHADOW


def test_measuring_without_demoting_changes_nothing(db: Database, clock: Clock) -> None:
    stop = StopCondition(id="any", count="unauthorized", above=0)
    mon = monitor(db, clock, stop)
    spans(db, denied("pay", clock.now - 60))
    report = mon.check(demote=False)
    assert report.results[0].tripped
    assert report.demotions == []
    assert mon.store.state("payments").stage is Stage.CONDITIONAL_AUTO  # type: ignore[union-attr]


def test_two_monitors_racing_demote_once(db: Database, clock: Clock) -> None:
    stop = StopCondition(id="any", count="unauthorized", above=0)
    first, second = monitor(db, clock, stop), monitor(db, clock, stop)
    spans(db, denied("pay", clock.now - 60))
    first.store.ensure(first.matrix)
    second.store.set_stage = _stale(second.store)  # type: ignore[method-assign]
    assert len(first.check().demotions) == 1
    assert second.check(capabilities=["payments"]).demotions == []
    assert len(AuditLog(db).list(action="rollout.demote")) == 1


def _stale(store: RolloutStore) -> Any:
    """set_stage as a worker sees it that read the stage before the other demoted."""
    original = store.set_stage

    def set_stage(capability: str, stage: Stage, **kw: Any) -> Any:
        kw["expected"] = Stage.CONDITIONAL_AUTO
        return original(capability, stage, **kw)

    return set_stage


# -- alerts -------------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server recording the JSON bodies POSTed to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_a_demotion_is_posted_to_the_alert_webhook(
    db: Database,
    clock: Clock,
    webhook: tuple[str, list[dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, received = webhook
    sinks = alert_sinks_from_env({"EARNED_ALERT_WEBHOOK": url})
    assert [type(s) for s in sinks] == [LogAlerts, WebhookAlerts]
    mon = monitor(db, clock, StopCondition(id="any", count="unauthorized", above=0), alerts=sinks)
    spans(db, denied("pay", clock.now - 60))
    mon.check()
    [body] = received
    assert (body["alert"], body["capability"], body["from"], body["to"], body["condition"]) == (
        "earned.rollout.demoted",
        "payments",
        "conditional_auto",
        "approval_required",
        "any",
    )
    assert body["rollback_action"] == "approval required"
    assert "capability payments demoted conditional_auto -> approval_required" in caplog.text


def test_a_failing_alert_sink_does_not_undo_the_demotion(db: Database, clock: Clock) -> None:
    dead = WebhookAlerts("http://127.0.0.1:9/nobody-listens", timeout=0.5)
    mon = monitor(db, clock, StopCondition(id="any", count="unauthorized", above=0), alerts=[dead])
    spans(db, denied("pay", clock.now - 60))
    assert len(mon.check().demotions) == 1
    assert mon.store.state("payments").stage is Stage.APPROVAL_REQUIRED  # type: ignore[union-attr]
    with pytest.raises(UserError, match="not an http"):
        WebhookAlerts("hooks.example/earned")
