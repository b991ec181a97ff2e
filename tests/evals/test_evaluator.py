"""The evaluator interface: a small class or a function; failures are closed, not silent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from earned.evals import (
    EvalContext,
    Evaluator,
    Flag,
    LLMJudge,
    Scenario,
    Score,
    evaluator,
    run_evaluator,
)
from earned.evals._judge import NO_JUDGE_MODEL
from earned.runtime import RunResult
from earned.testing import FunctionModel, ModelCall, respond


def _ctx(output: Any = "Refund approved for ord_1.", status: str = "completed") -> EvalContext:
    scenario = Scenario(id="c1", input="refund ord_1", metadata={"order_id": "ord_1"})
    result = RunResult(run_id="run_1", agent="a", status=status, output=output)  # type: ignore[arg-type]
    return EvalContext(scenario=scenario, result=result)


async def test_a_function_evaluator_may_return_a_bool_a_float_or_none() -> None:
    @evaluator
    def names_order(ctx: EvalContext) -> bool | None:
        order = ctx.scenario.metadata.get("order_id")
        return None if order is None else order in ctx.output_text

    @evaluator(title="half marks")
    def half(ctx: EvalContext) -> float:
        return 0.5

    assert (await run_evaluator(names_order, _ctx())).passed
    assert not (await run_evaluator(names_order, _ctx("Refund approved."))).passed
    partial = await run_evaluator(half, _ctx())
    assert (partial.value, partial.passed) == (0.5, False)  # only 1.0 passes
    assert (names_order.display_name, half.display_title) == ("names_order", "half marks")


async def test_async_evaluators_and_options() -> None:
    @evaluator(flags=["too_long"])
    async def short(ctx: EvalContext, limit: int = 10) -> Score:
        if len(ctx.output_text) > limit:
            return Score.fail("too long", flags=[Flag("too_long", {"size": len(ctx.output_text)})])
        return Score.ok()

    assert not (await run_evaluator(short, _ctx())).passed
    assert (await run_evaluator(short.with_options(limit=100), _ctx())).passed
    assert short.produces == ("too_long",)


async def test_a_class_evaluator_is_a_small_dataclass() -> None:
    @dataclass(kw_only=True)
    class Polite(Evaluator):
        name = "polite"
        title = "polite reply"
        words: tuple[str, ...] = ("idiot",)

        def evaluate(self, ctx: EvalContext) -> Score:
            rude = [w for w in self.words if w in ctx.output_text.lower()]
            return Score.fail(f"said {rude}") if rude else Score.ok()

    assert (await run_evaluator(Polite(), _ctx())).passed
    assert not (await run_evaluator(Polite(words=("refund",)), _ctx())).passed
    assert Polite().options() == {"words": ("idiot",)}
    assert Polite().display_title == "polite reply"


async def test_an_evaluator_that_raises_fails_the_case_with_the_error() -> None:
    @evaluator
    def broken(ctx: EvalContext) -> bool:
        raise KeyError("expected_thing")

    result = await run_evaluator(broken, _ctx())
    assert (result.value, result.passed) == (0.0, False)
    assert result.error == "KeyError: 'expected_thing'"
    assert result.reason == "the evaluator raised KeyError: 'expected_thing'"


async def test_a_value_outside_zero_to_one_or_another_type_is_an_error() -> None:
    @evaluator
    def too_big(ctx: EvalContext) -> float:
        return 2.0

    @evaluator
    def text(ctx: EvalContext) -> Any:
        return "yes"

    assert "outside [0, 1]" in ((await run_evaluator(too_big, _ctx())).error or "")
    assert "return a Score, a bool" in ((await run_evaluator(text, _ctx())).error or "")


def test_scores_round_trip_through_json() -> None:
    score = Score.fail("bad", label="refund", flags=[Flag("incorrect_approval", {"amount": 60})])
    assert Score.from_dict(json.loads(json.dumps(score.to_dict()))) == score
    assert Score.skip("no model").skipped == "no model"
    assert not Score.not_applicable().applicable


async def test_the_llm_judge_is_skipped_offline_with_what_to_pass() -> None:
    result = await run_evaluator(LLMJudge(rubric="polite"), _ctx())
    assert (result.applicable, result.skipped) == (False, NO_JUDGE_MODEL)
    assert "--judge-model PROVIDER:MODEL" in NO_JUDGE_MODEL


async def test_the_llm_judge_grades_with_a_model_and_sees_the_answer_as_data() -> None:
    def grade(call: ModelCall) -> Any:
        seen = call.last_text
        passed = "approved" in seen
        return respond(
            json.dumps({"pass": passed, "score": 0.9 if passed else 0.1, "reason": "ok"})
        )

    judge_model = FunctionModel(grade, name="test:judge")
    result = await run_evaluator(LLMJudge(rubric="cites policy", model=judge_model), _ctx())
    assert (result.value, result.passed, result.reason) == (0.9, True, "ok")
    sent = judge_model.calls[0]
    assert '<untrusted source="eval:case"' in sent.last_text
    assert "cites policy" in sent.last_text
    assert sent.output is not None
    assert sent.output.name == "Verdict"
    assert sent.settings == {"temperature": 0}


async def test_an_unreadable_verdict_fails_the_case() -> None:
    judge = LLMJudge(rubric="x", model=FunctionModel(lambda call: "I think it is fine"))
    result = await run_evaluator(judge, _ctx())
    assert (result.passed, result.error) == (False, "unreadable verdict")
