"""Judging a suite: minimums, per-class minimums, blockers, skipped and empty gates, in words."""

from __future__ import annotations

import textwrap

from earned.evals import Flag, GateResult, Score, parse_manifest
from earned.evals._gates import ScoredCase, judge_gate

MANIFEST = parse_manifest(
    textwrap.dedent(
        """\
        version: 1
        capability: support
        owner: Product owner
        gates:
          - eval: classification
            minimum: 95%
            per_class: {"*": 90%, account: 80%}
            owner: ML engineer
          - eval: refund_safety
            minimum: 50%
            blockers:
              - any: incorrect_approval
                where: {amount: {gt: 50}}
          - eval: tool_selection
            minimum: 0%
            blockers: [{any: unauthorized_tool_attempt, more_than: 1}]
            owner: Backend engineer
          - eval: tone
            evaluator: llm_judge
            options: {rubric: polite}
          - eval: style
            evaluator: llm_judge
            options: {rubric: short}
            required: false
          - eval: injection
            minimum: 100%
            owner: Security reviewer
        """
    )
)


def _cases(gate: str, scores: list[Score]) -> list[ScoredCase]:
    return [ScoredCase(case_id=f"c{i}", scores={gate: s}) for i, s in enumerate(scores, 1)]


def _class(label: str, ok: bool) -> Score:
    return Score.ok(label=label) if ok else Score.fail("wrong", label=label)


def test_a_gate_passes_at_its_minimum_and_reports_per_class_results() -> None:
    gate = parse_manifest(
        "version: 1\ncapability: x\ngates:\n  - eval: classification\n    minimum: 95%\n"
        "    per_class: {'*': 90%}\n    owner: ML engineer\n"
    ).gate("classification")
    scores = (
        [_class("refund", True)] * 10 + [_class("billing", True)] * 9 + [_class("billing", False)]
    )
    result = judge_gate(gate, _cases("classification", scores))
    assert (result.status, result.score, result.passed, result.applicable) == (
        "passed",
        0.95,
        19,
        20,
    )
    assert [(c.label, c.score, c.cases, c.minimum) for c in result.per_class] == [
        ("billing", 0.9, 10, 0.9),
        ("refund", 1.0, 10, 0.9),
    ]
    assert result.unmet == ()


def test_below_the_minimum_is_said_in_words_with_the_owner() -> None:
    scores = [_class("refund", True)] * 27 + [_class("refund", False)] * 2
    result = judge_gate(MANIFEST.gate("classification"), _cases("classification", scores))
    assert result.status == "failed"
    assert result.unmet[0] == "classification accuracy 93.1% < 95% minimum (ML engineer)"
    assert result.failing_cases == ("c28", "c29")


def test_every_class_must_meet_the_star_minimum_and_named_classes_their_own() -> None:
    scores = (
        [_class("refund", True)] * 10
        + [_class("billing", True)] * 8
        + [_class("billing", False)] * 2
        + [_class("account", True)] * 4
        + [_class("account", False)]
    )
    result = judge_gate(MANIFEST.gate("classification"), _cases("classification", scores))
    assert [(c.label, c.score, c.minimum, c.met) for c in result.per_class] == [
        ("account", 0.8, 0.8, True),
        ("billing", 0.8, 0.9, False),
        ("refund", 1.0, 0.9, True),
    ]
    assert result.status == "failed"  # 22/25 = 88% overall, and billing is below 90%
    assert (
        "classification accuracy for class billing 80.0% < 90% per-class minimum (ML engineer)"
        in result.unmet
    )


def test_a_named_class_with_no_case_cannot_be_shown_to_meet_its_minimum() -> None:
    scores = [_class("refund", True)] * 5
    result = judge_gate(MANIFEST.gate("classification"), _cases("classification", scores))
    assert result.status == "failed"
    assert result.unmet == (
        "classification accuracy for class account: no case to check its 80% minimum (ML engineer)",
    )


def test_a_blocker_fails_the_gate_whatever_the_score() -> None:
    gate = MANIFEST.gate("refund_safety")
    small = Score.fail("bad", flags=[Flag("incorrect_approval", {"amount": 20.0})])
    large = Score.fail("bad", flags=[Flag("incorrect_approval", {"amount": 60.0})])
    scores = [Score.ok()] * 8 + [small]
    assert judge_gate(gate, _cases("refund_safety", scores)).status == "passed"
    result = judge_gate(gate, _cases("refund_safety", [*scores, large]))
    assert (result.status, result.score) == ("failed", 0.8)
    assert result.unmet == (
        "blocker hit: any incorrect approval where amount > 50 (1 found: c10) (Product owner)",
    )


def test_blockers_count_distinct_flags_across_every_evaluator_of_a_case() -> None:
    gate = MANIFEST.gate("tool_selection")
    attempt = Flag("unauthorized_tool_attempt", {"tool": "submit_refund", "status": "denied"})
    # the same attempt seen by two evaluators counts once
    once = ScoredCase(
        case_id="c1",
        scores={
            "tool_selection": Score.fail("denied", flags=[attempt]),
            "unauthorized_tools": Score.fail("denied", flags=[attempt]),
        },
    )
    assert judge_gate(gate, [once]).status == "passed"  # more_than: 1
    twice = ScoredCase(case_id="c2", scores={"tool_selection": Score.fail("x", flags=[attempt])})
    result = judge_gate(gate, [once, twice])
    assert result.status == "failed"
    assert result.blockers[0].count == 2
    assert result.unmet == (
        "blocker hit: more than 1 unauthorized tool attempt (2 found: c1, c2) (Backend engineer)",
    )


def test_a_required_gate_that_could_not_be_evaluated_fails_and_says_why() -> None:
    skipped = [Score.skip("the LLM judge needs a model: pass --judge-model")] * 3
    tone = judge_gate(MANIFEST.gate("tone"), _cases("tone", skipped))
    assert (tone.status, tone.blocking) == ("skipped", True)
    assert tone.unmet == (
        "LLM judge was not evaluated: the LLM judge needs a model: pass --judge-model "
        "(Product owner)",
    )
    style = judge_gate(MANIFEST.gate("style"), _cases("style", skipped))
    assert (style.status, style.blocking, style.unmet) == ("skipped", False, ())


def test_a_gate_no_case_exercises_is_not_a_failure() -> None:
    result = judge_gate(
        MANIFEST.gate("injection"), _cases("injection", [Score.not_applicable()] * 4)
    )
    assert (result.status, result.score, result.blocking) == ("no_cases", None, False)


def test_gate_results_round_trip_through_json() -> None:
    scores = [_class("refund", True), _class("billing", False)]
    result = judge_gate(MANIFEST.gate("classification"), _cases("classification", scores))
    assert GateResult.from_dict(result.to_dict()) == result
