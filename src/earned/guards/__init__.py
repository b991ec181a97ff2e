"""Execution guards the run loop calls: small, pure, and each one a single concept.

* `screen`, `delimit`, `UNTRUSTED_PREAMBLE`: prompt-injection screening of untrusted text
  and the delimiters that keep it data (`earned.guards.injection`).
* `RateLimiter`: per-key sliding-window rate limits (`earned.guards.ratelimit`).
* `ToolCache`: TTL + LRU cache of read-tool results, per tenant (`earned.guards.cache`).
* `LoopDetector`: repeated identical calls mean re-plan, then escalate (`earned.guards.loops`).
* `Budget`: per-run token and dollar caps with reserve/settle (`earned.guards.budget`).
* `Breakers`, `CircuitBreaker`, `BreakerSettings`: circuit breakers per tool and per model,
  per process or shared through the database (`BreakerStore` lists and resets them).
"""

from earned.guards._breaker import (
    BreakerRecord,
    BreakerSettings,
    BreakerState,
    CircuitBreaker,
    Permit,
)
from earned.guards._breaker_db import BreakerStore
from earned.guards._breakers import Breakers
from earned.guards.budget import Budget, Reservation
from earned.guards.cache import ToolCache
from earned.guards.injection import (
    UNTRUSTED_PREAMBLE,
    Finding,
    FindingKind,
    ScreenResult,
    delimit,
    screen,
)
from earned.guards.loops import LoopDetector, LoopVerdict
from earned.guards.ratelimit import RateLimiter

__all__ = [
    "UNTRUSTED_PREAMBLE",
    "BreakerRecord",
    "BreakerSettings",
    "BreakerState",
    "BreakerStore",
    "Breakers",
    "Budget",
    "CircuitBreaker",
    "Finding",
    "FindingKind",
    "LoopDetector",
    "LoopVerdict",
    "Permit",
    "RateLimiter",
    "Reservation",
    "ScreenResult",
    "ToolCache",
    "delimit",
    "screen",
]
