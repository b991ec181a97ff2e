"""The stop-condition monitor: demote a capability by itself when its live traffic trips.

`StopMonitor.check()` measures every stop condition of every capability at its current
stage; a tripped one moves the capability to its fallback stage (a circuit breaker:
writes go back to humans), writes the audit entry with the measured value, and sends an
alert to every sink. An engine with a matrix runs it every minute (a DBOS schedule, one
run across all workers); `earned rollout check` runs it by hand.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from earned.errors import UserError
from earned.rollout._matrix import CapabilityMatrix
from earned.rollout._state import RolloutStore
from earned.rollout._stops import StopResult, evaluate_stop
from earned.stages import Stage
from earned.store import Database

__all__ = [
    "AlertSink",
    "Demotion",
    "LogAlerts",
    "MonitorReport",
    "StopMonitor",
    "WebhookAlerts",
    "alert_sinks_from_env",
]

_log = logging.getLogger("earned.rollout")


@dataclass(frozen=True, kw_only=True)
class Demotion:
    """A capability the monitor moved down, and the measurement that made it."""

    capability: str
    from_stage: Stage
    to_stage: Stage
    condition: str
    message: str
    rollback_action: str | None
    at: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (also the alert's body)."""
        return {
            "capability": self.capability,
            "from": self.from_stage.value,
            "to": self.to_stage.value,
            "condition": self.condition,
            "message": self.message,
            "rollback_action": self.rollback_action,
            "at": self.at,
        }


@dataclass(frozen=True, kw_only=True)
class MonitorReport:
    """Every stop condition measured, and the demotions made."""

    results: list[StopResult]
    demotions: list[Demotion] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "results": [r.to_dict() for r in self.results],
            "demotions": [d.to_dict() for d in self.demotions],
        }


class AlertSink(Protocol):
    """Where a demotion is announced (a pager, a chat webhook, a log)."""

    def send(self, demotion: Demotion) -> None:
        """Deliver the alert; raise on failure (the monitor logs it and goes on)."""
        ...


class LogAlerts:
    """Alerts as ERROR records of the `earned.rollout` logger."""

    def send(self, demotion: Demotion) -> None:
        """Log the demotion."""
        _log.error(
            "capability %s demoted %s -> %s: %s",
            demotion.capability,
            demotion.from_stage.value,
            demotion.to_stage.value,
            demotion.message,
        )


class WebhookAlerts:
    """Alerts POSTed as JSON (`{"alert": "earned.rollout.demoted", ...}`) to a URL."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise UserError(
                f"alert webhook {url!r} is not an http(s) URL",
                fix="set EARNED_ALERT_WEBHOOK to e.g. https://hooks.example/earned",
            )
        self.url = url
        self.timeout = timeout

    def send(self, demotion: Demotion) -> None:
        """POST the demotion; a non-2xx answer raises."""
        body = {"alert": "earned.rollout.demoted", **demotion.to_dict()}
        httpx.post(self.url, json=body, timeout=self.timeout).raise_for_status()


def alert_sinks_from_env(environ: dict[str, str] | None = None) -> list[AlertSink]:
    """The log, plus a webhook when EARNED_ALERT_WEBHOOK is set."""
    env = os.environ if environ is None else environ
    sinks: list[AlertSink] = [LogAlerts()]
    if url := env.get("EARNED_ALERT_WEBHOOK"):
        sinks.append(WebhookAlerts(url))
    return sinks


class StopMonitor:
    """Measures stop conditions and demotes what trips."""

    def __init__(
        self,
        db: Database,
        matrix: CapabilityMatrix,
        store: RolloutStore | None = None,
        *,
        alerts: Sequence[AlertSink] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.matrix = matrix
        self.store = store or RolloutStore(db, clock=clock)
        self.alerts = list(alert_sinks_from_env() if alerts is None else alerts)
        self.clock = clock

    def check(
        self,
        *,
        actor: str = "earned:monitor",
        demote: bool = True,
        capabilities: Iterable[str] | None = None,
    ) -> MonitorReport:
        """Measure every condition; with `demote`, move tripped capabilities down."""
        self.store.ensure(self.matrix)
        states = self.store.states()
        names = list(capabilities) if capabilities is not None else list(self.matrix.capabilities)
        results: list[StopResult] = []
        demotions: list[Demotion] = []
        for name in names:
            spec = self.matrix.get(name)
            stage = states[name].stage
            found = [
                evaluate_stop(self.db, spec, c, stage=stage, clock=self.clock)
                for c in spec.stop_conditions
            ]
            results += found
            tripped = next((r for r in found if r.tripped), None)
            fallback = spec.demotes_to()
            if tripped is None or not demote or fallback.rank >= stage.rank:
                continue
            demotion = self._demote(spec.name, stage, fallback, tripped, spec.rollback, actor)
            if demotion is not None:
                demotions.append(demotion)
        return MonitorReport(results=results, demotions=demotions)

    def _demote(
        self,
        capability: str,
        stage: Stage,
        fallback: Stage,
        result: StopResult,
        rollback: str | None,
        actor: str,
    ) -> Demotion | None:
        try:
            self.store.set_stage(
                capability,
                fallback,
                actor=actor,
                expected=stage,
                tripped=result.condition.id,
                reason=f"stop condition {result.condition.id} tripped: {result.message}",
                details={
                    "result": result.to_dict(),
                    "rollback_action": rollback,
                    "matrix": self.matrix.version,
                },
                action="rollout.demote",
            )
        except UserError:  # another worker moved it first
            return None
        demotion = Demotion(
            capability=capability,
            from_stage=stage,
            to_stage=fallback,
            condition=result.condition.id,
            message=result.message,
            rollback_action=rollback,
            at=self.clock(),
        )
        for sink in self.alerts:
            try:
                sink.send(demotion)
            except Exception as exc:  # an alert that fails must not undo the demotion
                _log.error("alert sink %s failed: %s", type(sink).__name__, exc)
        return demotion
