"""Pin the public API of earned.guards: a change here must be deliberate."""

from __future__ import annotations

import earned.guards


def test_public_names() -> None:
    assert sorted(earned.guards.__all__) == sorted(
        [
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
    )


def test_every_public_name_exists_and_is_documented() -> None:
    for name in earned.guards.__all__:
        member = getattr(earned.guards, name)
        if name in {"UNTRUSTED_PREAMBLE", "BreakerState", "FindingKind", "LoopVerdict"}:
            continue  # plain values and type aliases
        assert member.__doc__, name
