"""Circuit breakers: stop calling a dependency that keeps failing, probe it, resume.

One breaker per tool (`tool:NAME`) and per model (`model:NAME`)::

    closed ── failure rate >= threshold over the window (and >= minimum calls) ──> open
    open ── cool-down over: the next call is let through as the one probe ──> half_open
    half_open ── the probe succeeds ──> closed
    half_open ── the probe fails ──> open (a new cool-down)

While a breaker is open (or half open with its probe in flight) calls fail fast: the
runtime never invokes the tool or the model and takes the fallback path instead.

What counts as a failure: only what says the dependency did not answer: a transient error
(`TransientToolError`, HTTP 429/5xx, timeouts, connection errors). A semantic error is an
answer (pybreaker's `exclude` semantics): it counts as a success. `failure_types` adds
error types that should count too.

The window is time based (resilience4j's TIME_BASED sliding window): outcomes are
aggregated in 30 buckets spanning `window` seconds, so memory stays constant whatever the
call rate. The window lives in the process; the breaker's *state* lives in a backend:
`MemoryBackend` (per process, thread-safe, the default) or the project database
(`DatabaseBackend`, shared by every worker; see `earned.guards._breaker_db`). A state
change is a compare-and-set on the record's `generation`, so when two workers race to
open a breaker or to become its probe, exactly one wins.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from earned.errors import ConfigError

__all__ = [
    "BreakerBackend",
    "BreakerRecord",
    "BreakerSettings",
    "BreakerState",
    "CircuitBreaker",
    "MemoryBackend",
    "Outcome",
    "Permit",
]

BreakerState = Literal["closed", "open", "half_open"]
#: How a call ended, for a breaker: `ignored` neither proves health nor sickness.
Outcome = Literal["success", "failure", "ignored"]

_log = logging.getLogger("earned.breakers")
_BUCKETS = 30


@dataclass(frozen=True, kw_only=True)
class BreakerSettings:
    """When a breaker opens and how it recovers (resilience4j's names in brackets).

    Attributes:
        failure_rate: Open when failures / calls reaches this (failureRateThreshold).
        minimum_calls: ... but only once the window holds this many calls
            (minimumNumberOfCalls).
        window: Seconds of outcomes the rate is measured over (slidingWindowSize, TIME_BASED).
        cooldown: Seconds an open breaker fails fast before it lets one probe through
            (waitDurationInOpenState).
        probe_timeout: Seconds a probe may take before another caller may probe instead
            (a probe whose worker died must not hold the breaker half open forever).
        failure_types: Error types (class names, e.g. `ToolCrashed`) that count as
            failures besides the transient ones.
        enabled: False turns the breaker off for this tool or model.
    """

    failure_rate: float = 0.5
    minimum_calls: int = 10
    window: float = 60.0
    cooldown: float = 30.0
    probe_timeout: float = 120.0
    failure_types: frozenset[str] = field(default_factory=frozenset[str])
    enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "failure_types", frozenset(self.failure_types))
        problems = [
            f"{name}={value!r} ({rule})"
            for name, value, ok, rule in (
                ("failure_rate", self.failure_rate, 0 < self.failure_rate <= 1, "0 < x <= 1"),
                ("minimum_calls", self.minimum_calls, self.minimum_calls >= 1, ">= 1"),
                ("window", self.window, self.window > 0, "> 0 seconds"),
                ("cooldown", self.cooldown, self.cooldown >= 0, ">= 0 seconds"),
                ("probe_timeout", self.probe_timeout, self.probe_timeout > 0, "> 0 seconds"),
            )
            if not ok
        ]
        if problems:
            raise ConfigError(
                f"BreakerSettings cannot be used: {'; '.join(problems)}",
                problems=problems,
            )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (stored with the breaker's state, shown by `earned breakers`)."""
        return {
            "failure_rate": self.failure_rate,
            "minimum_calls": self.minimum_calls,
            "window": self.window,
            "cooldown": self.cooldown,
            "probe_timeout": self.probe_timeout,
            "failure_types": sorted(self.failure_types),
            "enabled": self.enabled,
        }


@dataclass(frozen=True, kw_only=True)
class BreakerRecord:
    """A breaker's state as its backend holds it; `generation` grows with every change."""

    name: str
    state: BreakerState = "closed"
    generation: int = 0
    opened_at: float | None = None
    retry_at: float | None = None
    probe_until: float | None = None
    calls: int = 0
    failures: int = 0
    reason: str | None = None
    reset_at: float | None = None
    reset_by: str | None = None
    updated_at: float | None = None
    updated_by: str | None = None
    scope: str = "local"
    settings: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        data = dict(self.__dict__)
        data["settings"] = dict(self.settings) if self.settings is not None else None
        return data


@dataclass(frozen=True, kw_only=True)
class Permit:
    """The answer to "may I call?": allowed (maybe as the probe), or refused with why."""

    breaker: str
    allowed: bool
    state: BreakerState
    probe: bool = False
    generation: int = 0
    retry_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """What a trace records about the breaker (the span attribute `breaker`)."""
        data: dict[str, Any] = {"name": self.breaker, "state": self.state}
        if self.probe:
            data["probe"] = True
        if self.retry_at is not None:
            data["retry_at"] = self.retry_at
        return data


class BreakerBackend(Protocol):
    """Where breaker state lives: `load` it, and change it only from the generation seen."""

    #: True when calls do I/O (the runtime then runs them off the event loop).
    blocking: bool

    def load(self, name: str) -> BreakerRecord | None:
        """The breaker's record, or None while it has never left `closed`."""
        ...

    def swap(self, expected: int, record: BreakerRecord) -> bool:
        """Store `record` if the stored generation is still `expected` (0: none stored)."""
        ...


class _Publisher(Protocol):
    blocking: bool

    def load(self, name: str) -> BreakerRecord | None: ...

    def publish(self, record: BreakerRecord) -> None: ...


class MemoryBackend:
    """Breaker state in this process (thread-safe).

    With a `mirror` (the database in local mode), every state change is also published
    there, for `earned breakers` and the Prometheus gauge, and a breaker that is not
    closed looks there for an `earned breakers reset` made after it opened.
    """

    def __init__(self, *, mirror: _Publisher | None = None) -> None:
        self.mirror = mirror
        self.blocking = mirror is not None
        self._lock = threading.Lock()
        self._records: dict[str, BreakerRecord] = {}

    def load(self, name: str) -> BreakerRecord | None:
        """The record; a reset published after this breaker opened closes it."""
        with self._lock:
            record = self._records.get(name)
        if record is None or record.state == "closed" or self.mirror is None:
            return record
        try:
            published = self.mirror.load(name)
        except Exception:
            _log.exception("could not read breaker %s from the database", name)
            return record
        reset_at = published.reset_at if published is not None else None
        if reset_at is None or reset_at <= (record.opened_at or 0.0):
            return record
        assert published is not None
        closed = _closed(record, at=reset_at, by=published.reset_by or "reset")
        closed = replace(closed, reset_at=reset_at, reset_by=published.reset_by)
        with self._lock:
            if self._records.get(name) is record:
                self._records[name] = closed
            return self._records[name]

    def swap(self, expected: int, record: BreakerRecord) -> bool:
        """Compare-and-set on the generation; then publish to the mirror (best effort)."""
        with self._lock:
            current = self._records.get(record.name)
            if (current.generation if current else 0) != expected:
                return False
            self._records[record.name] = record
        if self.mirror is not None:
            try:
                self.mirror.publish(record)
            except Exception:
                _log.exception("could not publish breaker %s to the database", record.name)
        return True


def _closed(record: BreakerRecord, *, at: float, by: str) -> BreakerRecord:
    return BreakerRecord(
        name=record.name,
        state="closed",
        generation=record.generation + 1,
        reset_at=record.reset_at,
        reset_by=record.reset_by,
        updated_at=at,
        updated_by=by,
        scope=record.scope,
        settings=record.settings,
    )


class _Window:
    """Calls and failures over the last `seconds`, in fixed buckets (constant memory)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.width = seconds / _BUCKETS
        self._buckets: deque[list[float]] = deque()  # [start, calls, failures]

    def add(self, now: float, failed: bool) -> None:
        start = math.floor(now / self.width) * self.width
        if not self._buckets or self._buckets[-1][0] != start:
            self._buckets.append([start, 0, 0])
        bucket = self._buckets[-1]
        bucket[1] += 1
        bucket[2] += 1 if failed else 0

    def totals(self, now: float) -> tuple[int, int]:
        while self._buckets and self._buckets[0][0] <= now - self.seconds:
            self._buckets.popleft()
        return int(sum(b[1] for b in self._buckets)), int(sum(b[2] for b in self._buckets))

    def clear(self) -> None:
        self._buckets.clear()


class CircuitBreaker:
    """One breaker: `acquire()` before a call, `record(permit, outcome)` after it.

    `clock` is wall time by default (a shared breaker compares times written by other
    processes); tests inject one. `actor` names this process in stored records.
    """

    def __init__(
        self,
        name: str,
        settings: BreakerSettings | None = None,
        *,
        backend: BreakerBackend | None = None,
        clock: Callable[[], float] = time.time,
        actor: str = "earned",
        scope: str = "local",
    ) -> None:
        self.name = name
        self.settings = settings or BreakerSettings()
        self.backend: BreakerBackend = backend or MemoryBackend()
        self.clock = clock
        self.actor = actor
        self.scope = scope
        self._lock = threading.Lock()
        self._window = _Window(self.settings.window)
        self._seen = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r})"

    # -- reading ------------------------------------------------------------------------

    def snapshot(self) -> BreakerRecord:
        """The current record (a fresh closed one when nothing was ever stored)."""
        record = self.backend.load(self.name)
        return record or BreakerRecord(name=self.name, scope=self.scope)

    @property
    def state(self) -> BreakerState:
        """closed, open or half_open, as the backend says now."""
        return self.snapshot().state

    def window(self) -> tuple[int, int]:
        """Calls and failures in this process's window now."""
        with self._lock:
            return self._window.totals(self.clock())

    # -- the two calls around a call ------------------------------------------------------

    def acquire(self) -> Permit:
        """May the caller call now? At most one caller at a time gets to probe."""
        now = self.clock()
        record = self.snapshot()
        if record.generation != self._seen:
            with self._lock:  # the breaker moved (elsewhere): old outcomes are stale
                self._seen = record.generation
                self._window.clear()
        if record.state == "closed":
            return Permit(breaker=self.name, allowed=True, state="closed")
        waiting_until = record.retry_at if record.state == "open" else record.probe_until
        if waiting_until is not None and now < waiting_until:
            return self._refused(record)
        probe = replace(
            record,
            state="half_open",
            generation=record.generation + 1,
            probe_until=now + self.settings.probe_timeout,
            updated_at=now,
            updated_by=self.actor,
        )
        if not self.backend.swap(record.generation, probe):
            return self._refused(self.snapshot())  # another caller became the probe
        _log.info("breaker %s is half open: one probe call goes through", self.name)
        return Permit(
            breaker=self.name,
            allowed=True,
            state="half_open",
            probe=True,
            generation=probe.generation,
        )

    def record(self, permit: Permit, outcome: Outcome) -> BreakerRecord | None:
        """Count the call's outcome; returns the new record when the state changed."""
        if not permit.allowed:
            return None
        now = self.clock()
        if permit.probe:
            return self._settle_probe(permit, outcome, now)
        if outcome == "ignored":
            return None
        failed = outcome == "failure"
        with self._lock:
            self._window.add(now, failed)
            calls, failures = self._window.totals(now)
            trips = (
                failed
                and calls >= self.settings.minimum_calls
                and failures >= self.settings.failure_rate * calls
            )
            if trips:
                self._window.clear()
        return self._open(now, calls, failures) if trips else None

    def release(self, permit: Permit) -> None:
        """The call did not happen after all: a probe's turn passes to the next caller."""
        self.record(permit, "ignored")

    # -- transitions --------------------------------------------------------------------

    def _refused(self, record: BreakerRecord) -> Permit:
        until = record.retry_at if record.state == "open" else record.probe_until
        return Permit(
            breaker=self.name,
            allowed=False,
            state=record.state,
            generation=record.generation,
            retry_at=until,
        )

    def _open(self, now: float, calls: int, failures: int) -> BreakerRecord | None:
        record = self.snapshot()
        if record.state != "closed":
            return None
        opened = replace(
            record,
            state="open",
            generation=record.generation + 1,
            opened_at=now,
            retry_at=now + self.settings.cooldown,
            probe_until=None,
            calls=calls,
            failures=failures,
            reason=f"{failures} of {calls} calls failed in {self.settings.window:g}s "
            f"(threshold {self.settings.failure_rate:.0%})",
            updated_at=now,
            updated_by=self.actor,
            settings=self.settings.to_dict(),
        )
        if not self.backend.swap(record.generation, opened):
            return None
        self._seen = opened.generation
        _log.warning("breaker %s opened: %s", self.name, opened.reason)
        return opened

    def _settle_probe(self, permit: Permit, outcome: Outcome, now: float) -> BreakerRecord | None:
        record = self.snapshot()
        if record.state != "half_open" or record.generation != permit.generation:
            return None  # reset or taken over meanwhile
        if outcome == "ignored":
            after = replace(record, generation=record.generation + 1, probe_until=now)
        elif outcome == "success":
            after = _closed(record, at=now, by=self.actor)
        else:
            after = replace(
                record,
                state="open",
                generation=record.generation + 1,
                opened_at=now,
                retry_at=now + self.settings.cooldown,
                probe_until=None,
                reason="the half-open probe failed",
                updated_at=now,
                updated_by=self.actor,
            )
        if not self.backend.swap(record.generation, after):
            return None
        with self._lock:
            self._seen = after.generation
            self._window.clear()
        if outcome != "ignored":
            _log.warning("breaker %s is %s after its probe", self.name, after.state)
        return after
