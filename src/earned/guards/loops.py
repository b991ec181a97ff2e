"""Loop detection: the same tool called with the same arguments again means re-plan, then stop.

Seed 002's mitigation for infinite loops: "detect repeat tool calls with the same arguments
and force a re-plan or escalate to human". The detector counts every (tool, argument
digest) pair in a run, not only back-to-back repeats, so an A, B, A, B cycle is caught too::

    loops = LoopDetector()
    loops.observe("get_order", d)   # "ok"
    loops.observe("get_order", d)   # "replan": tell the model, do not call the tool again
    loops.observe("get_order", d)   # "escalate": hand the run to a human

Its state is plain JSON, saved with the run and restored after a crash.
Changelog of the state format: version 1, the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from earned.errors import UserError

__all__ = ["LoopDetector", "LoopVerdict"]

LoopVerdict = Literal["ok", "replan", "escalate"]
"""What the run loop should do about a call: go on, tell the model to re-plan, escalate."""

#: The version `to_state` writes; `from_state` refuses newer ones.
STATE_VERSION = 1


class LoopDetector:
    """Counts repeated (tool, arguments digest) calls within one run.

    `replan_after` and `escalate_after` are numbers of *repeats* (calls after the first):
    with the defaults, the second identical call gets "replan" and the third "escalate".
    """

    def __init__(self, *, replan_after: int = 1, escalate_after: int = 2) -> None:
        if replan_after < 1 or escalate_after < replan_after:
            raise UserError(
                "LoopDetector needs 1 <= replan_after <= escalate_after, got "
                f"replan_after={replan_after}, escalate_after={escalate_after}",
                replan_after=replan_after,
                escalate_after=escalate_after,
            )
        self.replan_after = replan_after
        self.escalate_after = escalate_after
        self._counts: dict[tuple[str, str], int] = {}

    def observe(self, tool: str, arguments_digest: str) -> LoopVerdict:
        """Record one call and say what to do about it."""
        key = (tool, arguments_digest)
        seen = self._counts.get(key, 0)
        self._counts[key] = seen + 1
        if seen >= self.escalate_after:
            return "escalate"
        if seen >= self.replan_after:
            return "replan"
        return "ok"

    def count(self, tool: str, arguments_digest: str) -> int:
        """How many times this exact call has been observed."""
        return self._counts.get((tool, arguments_digest), 0)

    def repeated(self) -> list[tuple[str, str, int]]:
        """The calls seen more than once, as (tool, digest, count), for an escalation report."""
        return [(t, d, n) for (t, d), n in self._counts.items() if n > 1]

    def to_state(self) -> dict[str, Any]:
        """A JSON-able snapshot (calls in the order first seen)."""
        return {
            "version": STATE_VERSION,
            "replan_after": self.replan_after,
            "escalate_after": self.escalate_after,
            "calls": [[tool, d, n] for (tool, d), n in self._counts.items()],
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> LoopDetector:
        """Rebuild a detector from `to_state()` output; refuses a newer format."""
        version = data.get("version")
        if version != STATE_VERSION:
            raise UserError(
                f"cannot read loop-detector state version {version!r}; this earned reads "
                f"version {STATE_VERSION}. Upgrade earned to resume this run",
                version=version,
                supported=STATE_VERSION,
            )
        detector = cls(
            replan_after=int(data["replan_after"]), escalate_after=int(data["escalate_after"])
        )
        for tool, arguments_digest, n in data.get("calls", []):
            detector._counts[(str(tool), str(arguments_digest))] = int(n)
        return detector
