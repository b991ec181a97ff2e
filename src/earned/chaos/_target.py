"""What the chaos harness needs from an agent: a ChaosTarget.

A target names the agent, makes inputs, decides approvals like a reviewer would, and — the
point of the exercise — counts the real side effects its tools performed, keyed by
idempotency key, in a table earned never writes (the "external system").
"""

from __future__ import annotations

import random
from typing import Any, Literal, Protocol, runtime_checkable

from earned.approvals import ApprovalRequest
from earned.runtime import Agent, Principal

__all__ = ["ChaosTarget", "Verdict"]

Verdict = Literal["approve", "reject", "wait"]


@runtime_checkable
class ChaosTarget(Protocol):
    """An agent under chaos, with the hooks the harness needs."""

    @property
    def agent(self) -> Agent:
        """The agent the workers serve."""
        ...

    def prepare(self, database_url: str, *, reset: bool) -> None:
        """Connect to (and with `reset`, empty) the side-effect record."""
        ...

    def inputs(self, count: int, rng: random.Random) -> list[tuple[Any, Principal]]:
        """`count` run inputs with the principal each acts for."""
        ...

    def decide(self, approval: ApprovalRequest, waited: float, rng: random.Random) -> Verdict:
        """A reviewer's verdict on a pending approval that has waited `waited` seconds."""
        ...

    def side_effects(self) -> list[str]:
        """The idempotency key of every real execution of a write (duplicates included)."""
        ...
