"""Breaker state in the project database: shared by workers, published, reset with an audit.

Each test runs on a SQLite file and on the PostgreSQL server; two `Breakers` on two
connections to the same database stand for two workers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from earned.errors import UserError
from earned.guards import Breakers, BreakerSettings, BreakerStore
from earned.store import AuditLog, Database
from tests.guards.test_breaker import Clock

SETTINGS = BreakerSettings(minimum_calls=2, failure_rate=0.5, cooldown=30.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dbs(database_url: str) -> Iterator[tuple[Database, Database]]:
    first, second = Database(database_url), Database(database_url)
    first.upgrade()
    yield first, second
    first.close()
    second.close()


def worker(db: Database, clock: Clock, name: str, *, shared: bool = True) -> Breakers:
    return Breakers(SETTINGS, shared=shared, clock=clock, actor=name).bind(db)


def fail(breakers: Breakers, times: int) -> None:
    breaker = breakers.get("tool:lookup")
    for _ in range(times):
        permit = breaker.acquire()
        assert permit.allowed
        breaker.record(permit, "failure")


def test_a_breaker_opened_by_one_worker_fails_fast_in_another(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    a, b = worker(dbs[0], clock, "worker-a"), worker(dbs[1], clock, "worker-b")
    assert b.get("tool:lookup").acquire().allowed
    fail(a, 2)
    refused = b.get("tool:lookup").acquire()
    assert (refused.allowed, refused.state, refused.retry_at) == (False, "open", clock.now + 30)
    [row] = BreakerStore(dbs[0]).records()
    assert (row.name, row.scope, row.state, row.updated_by) == (
        "tool:lookup",
        "shared",
        "open",
        "worker-a",
    )
    assert row.settings is not None
    assert row.settings["minimum_calls"] == 2


def test_after_the_cooldown_exactly_one_worker_probes_and_its_success_closes_it_for_all(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    a, b = worker(dbs[0], clock, "worker-a"), worker(dbs[1], clock, "worker-b")
    fail(a, 2)
    clock.advance(30)
    probe = b.get("tool:lookup").acquire()
    assert probe.probe
    other = a.get("tool:lookup").acquire()
    assert (other.allowed, other.state) == (False, "half_open")
    b.get("tool:lookup").record(probe, "success")
    assert a.get("tool:lookup").acquire().allowed
    assert BreakerStore(dbs[0]).records()[0].state == "closed"


def test_two_workers_tripping_at_once_open_it_once(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    a, b = worker(dbs[0], clock, "worker-a"), worker(dbs[1], clock, "worker-b")
    breaker_a, breaker_b = a.get("tool:lookup"), b.get("tool:lookup")
    permits = [breaker_a.acquire(), breaker_a.acquire(), breaker_b.acquire(), breaker_b.acquire()]
    assert breaker_a.record(permits[0], "failure") is None
    assert breaker_b.record(permits[2], "failure") is None
    opened_a = breaker_a.record(permits[1], "failure")
    opened_b = breaker_b.record(permits[3], "failure")  # b's window trips too, but too late
    assert opened_a is not None
    assert opened_b is None
    assert BreakerStore(dbs[0]).records()[0].generation == 1


def test_per_process_breakers_publish_their_state_and_obey_a_reset(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    local = worker(dbs[0], clock, "worker-a", shared=False)
    fail(local, 2)
    store = BreakerStore(dbs[1], clock=clock)
    [row] = store.records()
    assert (row.scope, row.state) == ("local", "open")
    clock.advance(1)
    [after] = store.reset("tool:lookup", actor="oncall", reason="upstream fixed")
    assert (after.state, after.reset_by) == ("closed", "oncall")
    assert local.get("tool:lookup").acquire().allowed  # it saw the reset
    [entry] = AuditLog(dbs[1]).list(action="breaker.reset")
    assert (entry.actor, entry.target, entry.before, entry.after, entry.reason) == (
        "oncall",
        "tool:lookup",
        {"local": "open"},
        "closed",
        "upstream fixed",
    )


def test_a_reset_closes_a_shared_breaker_for_every_worker_at_once(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    a, b = worker(dbs[0], clock, "worker-a"), worker(dbs[1], clock, "worker-b")
    fail(a, 2)
    BreakerStore(dbs[0], clock=clock).reset("tool:lookup", actor="oncall", reason="fixed")
    assert b.get("tool:lookup").acquire().allowed
    assert a.get("tool:lookup").acquire().allowed


def test_resetting_an_unknown_breaker_names_the_known_ones(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    fail(worker(dbs[0], clock, "worker-a"), 2)
    with pytest.raises(UserError, match=r"no breaker 'tool:nope'.*known: tool:lookup"):
        BreakerStore(dbs[0]).reset("tool:nope", actor="oncall", reason="x")


def test_the_table_holds_one_row_per_breaker_and_scope(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    fail(worker(dbs[0], clock, "worker-a"), 2)
    fail(worker(dbs[1], clock, "worker-b", shared=False), 2)
    with dbs[0].engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, scope, state FROM earned_breakers")).all()
    assert sorted(tuple(r) for r in rows) == [
        ("tool:lookup", "local", "open"),
        ("tool:lookup", "shared", "open"),
    ]


def test_binding_moves_the_breakers_made_before_to_the_database(
    dbs: tuple[Database, Database], clock: Clock
) -> None:
    breakers = Breakers(SETTINGS, shared=True, clock=clock, actor="worker-a")
    early = breakers.get("tool:lookup")
    breakers.bind(dbs[0])
    fail(breakers, 2)
    assert early.state == "open"
    assert [r.state for r in BreakerStore(dbs[1]).records()] == ["open"]
