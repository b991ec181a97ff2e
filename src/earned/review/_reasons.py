"""Seed 000's reviewer reason codes, and where each kind of review sends its example.

"Do not dump all edits into one fine-tuning bucket. Some edits indicate prompt changes.
Some indicate missing retrieval data. Some indicate a product policy gap. Some should
become regression tests. Label first, then decide the fix." (seed 000)

| reason | means | routed to |
|---|---|---|
| `wrong_policy` | cites or applies the wrong rule | `regression`, `policy_gaps` |
| `missing_data` | should have used order, account or ticket details | `retrieval_gaps` |
| `bad_tone` | too formal, vague, cold or apologetic | `prompt_feedback` |
| `unsafe_action` | recommends an action outside policy | `adversarial`, `regression` |
| `hallucination` | includes unsupported facts | `adversarial`, `regression` |
| `unclear_reasoning` | lacks enough evidence for approval | `prompt_feedback` |
| (approved as is, or an audit that passed its rubric) | | `positive` |
"""

from __future__ import annotations

from typing import Literal, get_args

from earned.errors import UserError

__all__ = [
    "DATASETS",
    "POSITIVE",
    "REASONS",
    "ROUTES",
    "Dataset",
    "ReasonCode",
    "check_reason",
    "datasets_for",
]

ReasonCode = Literal[
    "wrong_policy",
    "missing_data",
    "bad_tone",
    "unsafe_action",
    "hallucination",
    "unclear_reasoning",
]
Dataset = Literal[
    "regression",
    "adversarial",
    "policy_gaps",
    "retrieval_gaps",
    "prompt_feedback",
    "positive",
]
DATASETS: tuple[Dataset, ...] = get_args(Dataset)
#: The pseudo reason `earned review export --reason approved` uses for positive examples.
POSITIVE = "approved"

#: What each reason code means (seed 000's taxonomy, in its words).
REASONS: dict[ReasonCode, str] = {
    "wrong_policy": "The response cites or applies the wrong rule.",
    "missing_data": "The response should have used order, account, or ticket details.",
    "bad_tone": "The response is too formal, vague, cold, or apologetic.",
    "unsafe_action": "The agent recommends an action outside policy.",
    "hallucination": "The response includes unsupported facts.",
    "unclear_reasoning": "The recommendation lacks enough evidence for approval.",
}

#: Where an example with each reason code goes.
ROUTES: dict[ReasonCode, tuple[Dataset, ...]] = {
    "wrong_policy": ("regression", "policy_gaps"),
    "missing_data": ("retrieval_gaps",),
    "bad_tone": ("prompt_feedback",),
    "unsafe_action": ("adversarial", "regression"),
    "hallucination": ("adversarial", "regression"),
    "unclear_reasoning": ("prompt_feedback",),
}


def check_reason(value: str) -> ReasonCode:
    """`value` as a reason code, or a UserError listing the codes."""
    if value not in REASONS:
        raise UserError(
            f"unknown reason code {value!r}; use one of {', '.join(REASONS)}",
            reason_code=value,
            fix="pick the code that names what was wrong: "
            + "; ".join(f"{code}: {words}" for code, words in REASONS.items()),
        )
    return value  # pyright: ignore[reportReturnType]  # checked above


def datasets_for(reason_code: str | None) -> tuple[Dataset, ...]:
    """The datasets an example goes to: by its reason code, or `positive` without one."""
    if reason_code is None:
        return ("positive",)
    return ROUTES[check_reason(reason_code)]
