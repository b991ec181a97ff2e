"""`earned_breaker_state`: every circuit breaker's state, for Prometheus.

resilience4j's form: one series per breaker, scope and state, 1 for the state the breaker
is in and 0 for the two others, so `earned_breaker_state{state="open"} == 1` is the alert.
Read from the project database (`earned_breakers`) on every scrape: shared breakers as
every worker obeys them, per-process ones as last reported (scope `local`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from earned.store import Database

__all__ = ["BREAKER_STATES", "BreakerCollector"]

BREAKER_STATES = ("closed", "open", "half_open")


class BreakerCollector:
    """A `prometheus_client` collector of breaker states (registered by `prometheus_app`)."""

    def __init__(self, db: Database) -> None:
        from earned.metrics._prometheus import _prometheus

        self.db = db
        self._family = _prometheus().core.GaugeMetricFamily

    def collect(self) -> Iterator[Any]:
        """One family, `earned_breaker_state{breaker, kind, scope, state}`."""
        from earned.guards import BreakerStore

        family = self._family(
            "earned_breaker_state",
            "circuit breaker state: 1 for the state a breaker is in (closed, open, half_open)",
            labels=["breaker", "kind", "scope", "state"],
        )
        for record in BreakerStore(self.db).records():
            kind = record.name.split(":", 1)[0]
            for state in BREAKER_STATES:
                value = 1.0 if record.state == state else 0.0
                family.add_metric([record.name, kind, record.scope, state], value)
        yield family
