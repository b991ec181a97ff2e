"""An optional LLM-as-judge evaluator: a model grades the answer against a rubric.

Offline (no model given) every case is skipped with a message that says what to pass.
The judged text is untrusted: it reaches the judge inside the same delimiters the runtime
uses, and the judge is told to treat it as data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from earned.digest import canonical_json, digest
from earned.evals._context import EvalContext
from earned.evals._evaluator import Evaluator, Score
from earned.guards import UNTRUSTED_PREAMBLE, delimit
from earned.messages import OutputSchema, SystemMessage, UserMessage
from earned.models import Model, ModelRegistry, default_registry

__all__ = ["NO_JUDGE_MODEL", "LLMJudge"]

#: Why the judge skips a case when it has no model.
NO_JUDGE_MODEL = (
    "the LLM judge needs a model: pass --judge-model PROVIDER:MODEL (e.g. "
    "openai:gpt-4.1-mini) or set `options: {model: ...}` on its gate"
)

_INSTRUCTIONS = """You grade one answer of an AI agent against a rubric.
Read the rubric, the case input and the agent's answer, then reply with JSON only:
{"pass": true or false, "score": a number from 0 to 1, "reason": "one sentence"}.
"""

_VERDICT = OutputSchema(
    name="Verdict",
    schema={
        "type": "object",
        "properties": {
            "pass": {"type": "boolean"},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "reason": {"type": "string"},
        },
        "required": ["pass", "score", "reason"],
        "additionalProperties": False,
    },
    description="The grade of one answer.",
)


@dataclass(kw_only=True)
class LLMJudge(Evaluator):
    """Ask a model whether the answer meets `rubric`; skipped when no model is given."""

    name = "llm_judge"
    title = "LLM judge"

    rubric: str
    model: str | Model | None = None
    registry: ModelRegistry | None = None

    def options(self) -> dict[str, Any]:
        """The rubric and the model name (recorded with results)."""
        model = self.model if isinstance(self.model, str) or self.model is None else self.model.name
        return {"rubric": self.rubric, "model": model}

    async def evaluate(self, ctx: EvalContext) -> Score:
        """Grade the case, or skip it when there is no model."""
        if self.model is None:
            return Score.skip(NO_JUDGE_MODEL)
        model = (self.registry or default_registry()).resolve(self.model)
        nonce = digest(["judge", ctx.result.run_id])[:12]
        case = {
            "rubric": self.rubric,
            "input": ctx.scenario.input,
            "answer": ctx.output,
            "status": ctx.result.status,
        }
        messages = [
            SystemMessage(content=f"{_INSTRUCTIONS}\n{UNTRUSTED_PREAMBLE}"),
            UserMessage(
                content=delimit(
                    canonical_json(case), source="eval:case", nonce=nonce, flagged=False
                ),
                source="eval:case",
            ),
        ]
        response = await model.request(messages, output=_VERDICT, settings={"temperature": 0})
        return _verdict(response.message.content)


def _verdict(text: str | None) -> Score:
    try:
        data = json.loads(text or "")
        passed, score, reason = data["pass"], data["score"], data["reason"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return Score(
            value=0.0,
            passed=False,
            reason=f"the judge's answer is not a verdict: {(text or '')[:200]!r}",
            error="unreadable verdict",
        )
    value = min(1.0, max(0.0, float(score))) if isinstance(score, int | float) else 0.0
    return Score(value=value, passed=bool(passed), reason=str(reason))
