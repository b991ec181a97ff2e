from __future__ import annotations

import json

import pytest

from earned.digest import digest
from earned.errors import UserError
from earned.guards import LoopDetector

D1 = digest({"order_id": "A1"})
D2 = digest({"order_id": "A2"})


def test_first_call_ok_repeat_replans_then_escalates() -> None:
    loops = LoopDetector()
    assert loops.observe("get_order", D1) == "ok"
    assert loops.observe("get_order", D1) == "replan"
    assert loops.observe("get_order", D1) == "escalate"
    assert loops.observe("get_order", D1) == "escalate"
    assert loops.count("get_order", D1) == 4


def test_different_arguments_or_tools_are_different_calls() -> None:
    loops = LoopDetector()
    assert loops.observe("get_order", D1) == "ok"
    assert loops.observe("get_order", D2) == "ok"
    assert loops.observe("get_invoice", D1) == "ok"
    assert loops.repeated() == []


def test_cycles_are_caught_not_only_back_to_back_repeats() -> None:
    loops = LoopDetector()
    verdicts = [loops.observe(tool, D1) for tool in ["a", "b", "a", "b", "a"]]
    assert verdicts == ["ok", "ok", "replan", "replan", "escalate"]
    assert loops.repeated() == [("a", D1, 3), ("b", D1, 2)]


def test_thresholds_are_configurable() -> None:
    loops = LoopDetector(replan_after=2, escalate_after=4)
    verdicts = [loops.observe("t", D1) for _ in range(6)]
    assert verdicts == ["ok", "ok", "replan", "replan", "escalate", "escalate"]


def test_state_round_trips_through_json() -> None:
    loops = LoopDetector(replan_after=1, escalate_after=3)
    loops.observe("a", D1)
    loops.observe("a", D1)
    loops.observe("b", D2)
    state = json.loads(json.dumps(loops.to_state()))
    restored = LoopDetector.from_state(state)
    assert restored.to_state() == loops.to_state()
    assert restored.observe("a", D1) == "replan"
    assert restored.observe("a", D1) == "escalate"
    assert restored.observe("b", D2) == "replan"


def test_newer_state_is_refused() -> None:
    state = LoopDetector().to_state() | {"version": 99}
    with pytest.raises(UserError, match="version 99") as info:
        LoopDetector.from_state(state)
    assert info.value.details["supported"] == 1


@pytest.mark.parametrize(("replan", "escalate"), [(0, 2), (3, 2), (-1, 1)])
def test_bad_thresholds_are_user_errors(replan: int, escalate: int) -> None:
    with pytest.raises(UserError, match="replan_after"):
        LoopDetector(replan_after=replan, escalate_after=escalate)
