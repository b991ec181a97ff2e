from __future__ import annotations

import json
import math

import pytest

from earned.errors import UserError
from earned.guards import Budget, Reservation


def test_uncapped_budget_always_reserves() -> None:
    budget = Budget(max_tokens=None, max_cost=None)
    r = budget.reserve(tokens=10**9, cost=10**6)
    assert r is not None
    budget.settle(r, tokens=5, cost=0.01)
    assert budget.spent_tokens == 5
    assert budget.spent_cost == pytest.approx(0.01)
    assert budget.remaining_tokens is None
    assert budget.remaining_cost is None


def test_token_cap_is_hard_and_counts_open_reservations() -> None:
    budget = Budget(max_tokens=1000, max_cost=None)
    first = budget.reserve(tokens=600, cost=None)
    assert first is not None
    assert budget.reserve(tokens=401, cost=None) is None  # 600 held + 401 > 1000
    second = budget.reserve(tokens=400, cost=None)
    assert second is not None
    assert budget.remaining_tokens == 0
    budget.settle(first, tokens=100, cost=None)
    assert budget.remaining_tokens == 500  # 1000 - 100 spent - 400 held


def test_cost_cap_is_hard() -> None:
    budget = Budget(max_tokens=None, max_cost=0.30)
    a = budget.reserve(tokens=1, cost=0.10)
    b = budget.reserve(tokens=1, cost=0.20)
    assert a is not None
    assert b is not None
    assert budget.reserve(tokens=1, cost=0.01) is None
    assert budget.remaining_cost == pytest.approx(0.0)


def test_unknown_price_reserves_tokens_only() -> None:
    budget = Budget(max_tokens=100, max_cost=0.01)
    r = budget.reserve(tokens=50, cost=None)
    assert r == Reservation(tokens=50, cost=None, number=1)
    assert r is not None
    budget.settle(r, tokens=60, cost=None)
    assert budget.spent_cost == 0.0
    assert budget.unpriced_tokens == 60
    assert budget.reserve(tokens=41, cost=None) is None
    assert budget.reserve(tokens=40, cost=None) is not None


def test_settle_replaces_the_estimate_by_actual_usage() -> None:
    budget = Budget(max_tokens=1000, max_cost=1.0)
    r = budget.reserve(tokens=900, cost=0.9)
    assert r is not None
    assert budget.reserve(tokens=200, cost=0.0) is None
    budget.settle(r, tokens=300, cost=0.25)
    assert (budget.spent_tokens, budget.spent_cost) == (300, 0.25)
    assert budget.reserved_tokens == 0
    assert budget.reserve(tokens=700, cost=0.75) is not None


def test_actual_usage_past_the_cap_is_recorded_and_blocks_the_next_call() -> None:
    budget = Budget(max_tokens=100, max_cost=None)
    r = budget.reserve(tokens=50, cost=None)
    assert r is not None
    budget.settle(r, tokens=180, cost=None)
    assert budget.spent_tokens == 180
    assert budget.remaining_tokens == 0
    assert budget.reserve(tokens=1, cost=None) is None


def test_failed_call_settles_to_zero_and_release_gives_back() -> None:
    budget = Budget(max_tokens=100, max_cost=1.0)
    r = budget.reserve(tokens=100, cost=1.0)
    assert r is not None
    budget.settle(r, tokens=0, cost=0.0)  # what the run loop does on a model error
    again = budget.reserve(tokens=100, cost=1.0)
    assert again is not None
    budget.release(again)
    assert budget.spent_tokens == 0
    assert budget.remaining_tokens == 100


def test_settling_twice_is_a_user_error() -> None:
    budget = Budget(max_tokens=100, max_cost=None)
    r = budget.reserve(tokens=10, cost=None)
    assert r is not None
    budget.settle(r, tokens=10, cost=None)
    with pytest.raises(UserError, match="already settled") as info:
        budget.settle(r, tokens=10, cost=None)
    assert info.value.details["reservation"] == 1


def test_reservation_from_another_budget_is_refused() -> None:
    with pytest.raises(UserError, match="not open"):
        Budget(max_tokens=None, max_cost=None).settle(
            Reservation(tokens=1, cost=None, number=7), tokens=1, cost=None
        )


def test_state_round_trips_with_open_reservations() -> None:
    budget = Budget(max_tokens=1000, max_cost=2.0)
    done = budget.reserve(tokens=100, cost=0.1)
    open_ = budget.reserve(tokens=200, cost=None)
    assert done is not None
    assert open_ is not None
    budget.settle(done, tokens=80, cost=0.05)
    state = json.loads(json.dumps(budget.to_state()))
    restored = Budget.from_state(state)
    assert restored.to_state() == budget.to_state()
    assert restored.remaining_tokens == 1000 - 80 - 200
    restored.settle(open_, tokens=150, cost=None)
    assert restored.spent_tokens == 230
    assert restored.reserve(tokens=1, cost=None) == Reservation(tokens=1, cost=None, number=3)


def test_replaying_the_same_calls_gives_the_same_answers() -> None:
    def run() -> list[object]:
        budget = Budget(max_tokens=500, max_cost=0.05)
        out: list[object] = []
        for tokens, cost, actual in [(200, 0.02, 150), (200, 0.02, 260), (200, 0.02, 0)]:
            r = budget.reserve(tokens=tokens, cost=cost)
            out.append(r)
            if r is not None:
                budget.settle(r, tokens=actual, cost=cost / 2)
        out.append(budget.to_state())
        return out

    assert run() == run()


def test_newer_state_is_refused() -> None:
    state = Budget(max_tokens=1, max_cost=None).to_state() | {"version": 2}
    with pytest.raises(UserError, match="version 2"):
        Budget.from_state(state)


@pytest.mark.parametrize(
    ("max_tokens", "max_cost"), [(-1, None), (None, -0.5), (None, math.inf), (None, math.nan)]
)
def test_bad_caps_are_user_errors(max_tokens: int | None, max_cost: float | None) -> None:
    with pytest.raises(UserError, match="max_"):
        Budget(max_tokens=max_tokens, max_cost=max_cost)


@pytest.mark.parametrize(("tokens", "cost"), [(-1, None), (1, -0.1), (1, math.nan)])
def test_bad_usage_is_a_user_error(tokens: int, cost: float | None) -> None:
    budget = Budget(max_tokens=None, max_cost=None)
    with pytest.raises(UserError, match="reserve"):
        budget.reserve(tokens=tokens, cost=cost)
