"""Per-run token and dollar budgets as hard caps: reserve an estimate, settle the actual.

Seed 002's mitigation for cost runaway: "per-run token and dollar budgets enforced as hard
caps". Before each model call the run loop reserves its estimate; when the estimate would
break a cap, `reserve` returns None and the run falls back (a cheaper model, a deterministic
path) or escalates. After the call, `settle` replaces the estimate by what was used::

    budget = Budget(max_tokens=20_000, max_cost=0.50)
    r = budget.reserve(tokens=1_200, cost=0.004)
    if r is None:
        ...  # fall back or escalate
    budget.settle(r, tokens=response.usage.total_tokens, cost=actual_cost)

A cost of None (a model with no known price) reserves and spends tokens only; the tokens are
counted in `unpriced_tokens` so a report can say the dollar figure is a lower bound.

Deterministic: no clocks, no randomness. The run loop replays reserve/settle after a crash
and gets the same answers. Changelog of the state format: version 1, the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from earned.errors import UserError

__all__ = ["Budget", "Reservation"]

#: The version `to_state` writes; `from_state` refuses newer ones.
STATE_VERSION = 1
#: Float slack when comparing dollars, so 0.1 + 0.2 fits a 0.3 cap.
_COST_EPSILON = 1e-9


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """An estimate held against a budget until it is settled; `number` identifies it."""

    tokens: int
    cost: float | None
    number: int = 0


class Budget:
    """Token and dollar caps for one run; None means no cap on that axis."""

    def __init__(self, *, max_tokens: int | None, max_cost: float | None) -> None:
        if max_tokens is not None and max_tokens < 0:
            raise UserError(
                f"max_tokens must be >= 0 or None (no cap), got {max_tokens}",
                max_tokens=max_tokens,
            )
        if max_cost is not None and not (max_cost >= 0 and math.isfinite(max_cost)):
            raise UserError(
                f"max_cost must be a finite number of dollars >= 0 or None (no cap), "
                f"got {max_cost!r}",
                max_cost=max_cost,
            )
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self._spent_tokens = 0
        self._spent_cost = 0.0
        self._unpriced_tokens = 0
        self._open: dict[int, Reservation] = {}
        self._next = 1

    def reserve(self, *, tokens: int, cost: float | None) -> Reservation | None:
        """Hold an estimate; None when it would break a cap (nothing is held then)."""
        _check_usage(tokens, cost, "reserve")
        if self.max_tokens is not None and (
            self._spent_tokens + self.reserved_tokens + tokens > self.max_tokens
        ):
            return None
        if (
            self.max_cost is not None
            and cost is not None
            and self._spent_cost + self.reserved_cost + cost > self.max_cost + _COST_EPSILON
        ):
            return None
        reservation = Reservation(tokens=tokens, cost=cost, number=self._next)
        self._open[reservation.number] = reservation
        self._next += 1
        return reservation

    def settle(self, reservation: Reservation, *, tokens: int, cost: float | None) -> None:
        """Release `reservation` and record what the call actually used.

        Actual usage is recorded even when it goes past a cap (the tokens were spent); the
        next `reserve` then fails. Settling the same reservation twice is an error.
        """
        _check_usage(tokens, cost, "settle")
        if self._open.pop(reservation.number, None) is None:
            raise UserError(
                f"reservation {reservation.number} is not open on this budget: it was already "
                "settled, or it came from another budget. Settle each reservation once",
                reservation=reservation.number,
                open=sorted(self._open),
            )
        self._spent_tokens += tokens
        if cost is None:
            self._unpriced_tokens += tokens
        else:
            self._spent_cost += cost

    def release(self, reservation: Reservation) -> None:
        """Give a reservation back unused (the call never happened)."""
        self.settle(reservation, tokens=0, cost=0.0)

    @property
    def spent_tokens(self) -> int:
        """Tokens settled so far."""
        return self._spent_tokens

    @property
    def spent_cost(self) -> float:
        """Dollars settled so far (calls with an unknown price add nothing)."""
        return self._spent_cost

    @property
    def unpriced_tokens(self) -> int:
        """Tokens settled with an unknown price: `spent_cost` is a lower bound when > 0."""
        return self._unpriced_tokens

    @property
    def reserved_tokens(self) -> int:
        """Tokens held by open reservations."""
        return sum(r.tokens for r in self._open.values())

    @property
    def reserved_cost(self) -> float:
        """Dollars held by open reservations."""
        return sum(r.cost for r in self._open.values() if r.cost is not None)

    @property
    def remaining_tokens(self) -> int | None:
        """Tokens still available after spending and open reservations; None if uncapped."""
        if self.max_tokens is None:
            return None
        return max(0, self.max_tokens - self._spent_tokens - self.reserved_tokens)

    @property
    def remaining_cost(self) -> float | None:
        """Dollars still available after spending and open reservations; None if uncapped."""
        if self.max_cost is None:
            return None
        return max(0.0, self.max_cost - self._spent_cost - self.reserved_cost)

    def to_state(self) -> dict[str, Any]:
        """A JSON-able snapshot, open reservations included."""
        return {
            "version": STATE_VERSION,
            "max_tokens": self.max_tokens,
            "max_cost": self.max_cost,
            "spent_tokens": self._spent_tokens,
            "spent_cost": self._spent_cost,
            "unpriced_tokens": self._unpriced_tokens,
            "open": [[r.number, r.tokens, r.cost] for r in self._open.values()],
            "next": self._next,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Budget:
        """Rebuild a budget from `to_state()` output; refuses a newer format."""
        version = data.get("version")
        if version != STATE_VERSION:
            raise UserError(
                f"cannot read budget state version {version!r}; this earned reads version "
                f"{STATE_VERSION}. Upgrade earned to resume this run",
                version=version,
                supported=STATE_VERSION,
            )
        budget = cls(max_tokens=data["max_tokens"], max_cost=data["max_cost"])
        budget._spent_tokens = int(data["spent_tokens"])
        budget._spent_cost = float(data["spent_cost"])
        budget._unpriced_tokens = int(data.get("unpriced_tokens", 0))
        for number, tokens, cost in data.get("open", []):
            budget._open[int(number)] = Reservation(
                tokens=int(tokens), cost=None if cost is None else float(cost), number=int(number)
            )
        budget._next = int(data["next"])
        return budget


def _check_usage(tokens: int, cost: float | None, where: str) -> None:
    if tokens < 0:
        raise UserError(f"{where}: tokens must be >= 0, got {tokens}", tokens=tokens)
    if cost is not None and not (cost >= 0 and math.isfinite(cost)):
        raise UserError(
            f"{where}: cost must be a finite number of dollars >= 0, or None when the price "
            f"is unknown; got {cost!r}",
            cost=cost,
        )
