"""Circuit breakers: when they open, how they fail fast, how one probe closes them.

Time is an injected clock: nothing here sleeps or depends on wall time.
"""

from __future__ import annotations

import threading

import pytest

from earned.errors import ConfigError, ToolDefinitionError
from earned.guards import Breakers, BreakerSettings, CircuitBreaker
from earned.tools import tool


class Clock:
    """Seconds that only move when the test says so."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


SETTINGS = BreakerSettings(failure_rate=0.5, minimum_calls=4, window=60.0, cooldown=30.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("tool:lookup", SETTINGS, clock=clock)


def call(breaker: CircuitBreaker, outcome: str) -> bool:
    """One call through the breaker; False when it was refused (failed fast)."""
    permit = breaker.acquire()
    if not permit.allowed:
        return False
    breaker.record(permit, outcome)  # type: ignore[arg-type]
    return True


def test_it_opens_when_the_failure_rate_reaches_the_threshold_over_enough_calls(
    breaker: CircuitBreaker,
) -> None:
    for _ in range(3):
        assert call(breaker, "failure")
    assert breaker.state == "closed"  # 3 of 3 failed, but fewer than minimum_calls
    permit = breaker.acquire()
    opened = breaker.record(permit, "failure")
    assert opened is not None
    assert (opened.state, opened.calls, opened.failures) == ("open", 4, 4)
    assert opened.reason == "4 of 4 calls failed in 60s (threshold 50%)"
    assert breaker.state == "open"


def test_a_failure_rate_below_the_threshold_keeps_it_closed(breaker: CircuitBreaker) -> None:
    for outcome in ["success"] * 5 + ["failure"] * 3:
        assert call(breaker, outcome)
    assert breaker.window() == (8, 3)
    assert breaker.state == "closed"
    assert call(breaker, "failure")  # 4 of 9: still under 50%
    assert breaker.state == "closed"
    assert call(breaker, "failure")  # 5 of 10: at the threshold
    assert breaker.state == "open"


def test_ignored_outcomes_count_neither_way(breaker: CircuitBreaker) -> None:
    for _ in range(10):
        assert call(breaker, "ignored")
    assert breaker.window() == (0, 0)
    assert breaker.state == "closed"


def test_outcomes_older_than_the_window_slide_out(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        call(breaker, "failure")
    clock.advance(61)
    assert breaker.window() == (0, 0)
    for _ in range(3):
        call(breaker, "failure")
    assert breaker.state == "closed"  # the first three are gone: 3 calls, under the minimum


def test_open_fails_fast_until_the_cooldown_then_one_probe_closes_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(4):
        call(breaker, "failure")
    refused = breaker.acquire()
    assert not refused.allowed
    assert (refused.state, refused.retry_at) == ("open", clock.now + 30)
    clock.advance(29.9)
    assert not breaker.acquire().allowed
    clock.advance(0.1)
    probe = breaker.acquire()
    assert (probe.allowed, probe.probe, probe.state) == (True, True, "half_open")
    # While the probe is out, everyone else still fails fast.
    other = breaker.acquire()
    assert (other.allowed, other.state) == (False, "half_open")
    closed = breaker.record(probe, "success")
    assert closed is not None
    assert closed.state == "closed"
    assert breaker.window() == (0, 0)  # a closed breaker starts counting afresh
    assert call(breaker, "success")


def test_a_failed_probe_opens_it_again_for_another_cooldown(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(4):
        call(breaker, "failure")
    clock.advance(30)
    probe = breaker.acquire()
    reopened = breaker.record(probe, "failure")
    assert reopened is not None
    assert (reopened.state, reopened.retry_at, reopened.reason) == (
        "open",
        clock.now + 30,
        "the half-open probe failed",
    )
    assert not breaker.acquire().allowed


def test_a_probe_that_never_reports_is_replaced_after_the_probe_timeout(clock: Clock) -> None:
    breaker = CircuitBreaker(
        "model:m", BreakerSettings(minimum_calls=1, cooldown=10, probe_timeout=60), clock=clock
    )
    call(breaker, "failure")
    clock.advance(10)
    lost = breaker.acquire()
    assert lost.probe
    clock.advance(59)
    assert not breaker.acquire().allowed
    clock.advance(1)
    second = breaker.acquire()
    assert second.probe
    assert breaker.record(lost, "success") is None  # the lost probe no longer decides
    assert breaker.state == "half_open"
    breaker.record(second, "success")
    assert breaker.state == "closed"


def test_a_released_probe_passes_its_turn_to_the_next_caller(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(4):
        call(breaker, "failure")
    clock.advance(30)
    breaker.release(breaker.acquire())
    assert breaker.acquire().probe


def test_racing_threads_open_it_once(clock: Clock) -> None:
    breaker = CircuitBreaker("tool:x", BreakerSettings(minimum_calls=50), clock=clock)
    opened: list[object] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(50):
            permit = breaker.acquire()
            if permit.allowed:
                changed = breaker.record(permit, "failure")
                if changed is not None:
                    opened.append(changed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1
    assert breaker.state == "open"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("failure_rate", 0.0),
        ("failure_rate", 1.5),
        ("minimum_calls", 0),
        ("window", 0.0),
        ("cooldown", -1.0),
        ("probe_timeout", 0.0),
    ],
)
def test_settings_that_cannot_work_are_refused(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        BreakerSettings(**{field: value})  # type: ignore[arg-type]


def test_a_tool_breaker_comes_from_the_engine_table_then_the_tool_then_the_defaults() -> None:
    own = BreakerSettings(minimum_calls=2)

    @tool(risk="read", breaker=own)
    def search(q: str) -> str:
        """Search."""
        return q

    @tool(risk="read", breaker=False)
    def audit_log(q: str) -> str:
        """Audit."""
        return q

    @tool(risk="read")
    def plain(q: str) -> str:
        """Plain."""
        return q

    breakers = Breakers(BreakerSettings(minimum_calls=7))
    assert breakers.for_tool(search).settings is own  # type: ignore[union-attr]
    assert breakers.for_tool(audit_log) is None
    assert breakers.for_tool(plain).settings.minimum_calls == 7  # type: ignore[union-attr]
    operator = Breakers(tools={"search": False, "audit_log": BreakerSettings(minimum_calls=3)})
    assert operator.for_tool(search) is None
    assert operator.for_tool(audit_log).settings.minimum_calls == 3  # type: ignore[union-attr]
    assert Breakers(models={"openai:x": False}).for_model("openai:x") is None
    assert Breakers().for_model("openai:y").name == "model:openai:y"  # type: ignore[union-attr]
    same = Breakers()
    assert same.for_tool(plain) is same.for_tool(plain)


def test_bad_breaker_options_are_refused_where_they_are_declared() -> None:
    with pytest.raises(ToolDefinitionError, match="breaker must be BreakerSettings"):

        @tool(risk="read", breaker={"failure_rate": 0.2})  # type: ignore[arg-type]
        def lookup(q: str) -> str:
            """Look up."""
            return q

    with pytest.raises(ConfigError, match=r"Breakers\(tools=\{'x': \.\.\.\}\)"):
        Breakers(tools={"x": 0.5})  # type: ignore[dict-item]
