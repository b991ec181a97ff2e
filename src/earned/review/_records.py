"""Review values: queue items, recorded decisions, and the rubric audits are scored on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from earned.digest import digest
from earned.errors import UserError

__all__ = [
    "DEFAULT_RUBRIC",
    "Action",
    "Criterion",
    "ItemKind",
    "QueueItem",
    "ReviewDecision",
    "Rubric",
]

#: approval: a call waiting for a human; draft: an output a reviewer accepts, edits or
#: rejects; audit: a finished autonomous (or flagged) run sampled for a rubric score.
ItemKind = Literal["approval", "draft", "audit"]
#: What a reviewer does with an item: approve, approve with edits, reject, or (audits) score.
Action = Literal["approve", "approve_edited", "reject", "score"]


@dataclass(frozen=True, kw_only=True)
class QueueItem:
    """One item of the review queue, with the context a reviewer needs to decide it."""

    item_id: str
    kind: ItemKind
    status: str
    run_id: str
    agent: str
    capability: str | None
    stage: str | None
    tenant: str | None
    requester: str | None
    risk: str
    created_at: float
    context: dict[str, Any] = field(default_factory=dict[str, Any])
    expires_at: float | None = None
    overdue: bool = False

    @property
    def trace(self) -> str:
        """The API path of the run's trace."""
        return f"/v1/traces/{self.run_id}"

    def to_dict(self, *, now: float | None = None) -> dict[str, Any]:
        """The JSON form; with `now`, the item's age in seconds."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["trace"] = self.trace
        if now is not None:
            data["age_seconds"] = max(0.0, now - self.created_at)
        return data


@dataclass(frozen=True, kw_only=True)
class ReviewDecision:
    """A recorded review: the original, the edit, the reason, the decision, and its routes."""

    decision_id: str
    item_id: str
    item_kind: ItemKind
    run_id: str
    agent: str
    capability: str | None
    stage: str | None
    tenant: str | None
    decision: Action
    reason_code: str | None
    note: str | None
    input: Any
    original: Any
    edited: Any
    scores: dict[str, int] | None
    passed: bool | None
    rubric: str | None
    datasets: list[str]
    reviewer: str
    role: str
    item_created_at: float
    decided_at: float

    @property
    def final(self) -> Any:
        """What the reviewer let through: the edit, else the original (None when rejected)."""
        if self.decision == "reject":
            return None
        return self.edited if self.edited is not None else self.original

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with the final output."""
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__}, "final": self.final}


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One rubric question, scored 1 (poor) to 5 (excellent)."""

    name: str
    question: str


@dataclass(frozen=True, kw_only=True)
class Rubric:
    """An explicit rubric for audit scores ("scored against an explicit rubric, not vibes").

    Every criterion is scored 1-5; a run passes when every score is at least `pass_mark`.
    """

    name: str
    criteria: tuple[Criterion, ...]
    pass_mark: int = 3

    @property
    def version(self) -> str:
        """`name@` and a hash of the criteria and pass mark (recorded with every score)."""
        body = [[c.name, c.question] for c in self.criteria] + [self.pass_mark]
        return f"{self.name}@{digest(body)[:12]}"

    def check(self, scores: dict[str, int]) -> dict[str, int]:
        """`scores` if they score every criterion (and nothing else) from 1 to 5."""
        names = [c.name for c in self.criteria]
        missing = [n for n in names if n not in scores]
        unknown = sorted(set(scores) - set(names))
        bad = {k: v for k, v in scores.items() if k in names and not 1 <= v <= 5}
        if missing or unknown or bad:
            raise UserError(
                f"rubric {self.name!r} scores {', '.join(names)} from 1 to 5; missing "
                f"{missing or 'none'}, unknown {unknown or 'none'}, out of range {bad or 'none'}",
                missing=missing,
                unknown=unknown,
                out_of_range=bad,
                fix="send one score from 1 to 5 for every criterion: "
                + "; ".join(f"{c.name}: {c.question}" for c in self.criteria),
            )
        return {n: int(scores[n]) for n in names}

    def passed(self, scores: dict[str, int]) -> bool:
        """True when every criterion scores at least the pass mark."""
        return all(v >= self.pass_mark for v in self.check(scores).values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "version": self.version,
            "pass_mark": self.pass_mark,
            "criteria": [{"name": c.name, "question": c.question} for c in self.criteria],
        }


#: Seed 002's audit rubric, one criterion per failure a sampled run can show.
DEFAULT_RUBRIC = Rubric(
    name="audit",
    criteria=(
        Criterion(name="correct", question="Did the run reach the right outcome for its input?"),
        Criterion(
            name="grounded",
            question="Is every fact supported by retrieved data or tool results?",
        ),
        Criterion(name="policy", question="Did it apply the right policy rule, and cite it?"),
        Criterion(name="safe", question="Was every action within policy and safe unattended?"),
        Criterion(name="tone", question="Is the user-facing text clear and well toned?"),
    ),
)
