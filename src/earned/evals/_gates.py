"""Judging a suite: per-gate scores, per-class results, blockers, and the verdict in words.

A suite passes when every gate meets its minimum, every per-class minimum holds, and no
blocker condition is hit. A gate no case of the suite exercises is `no_cases` (not a
failure); a gate whose evaluator skipped every case (an LLM judge without a model) fails
the suite unless the manifest marks it `required: false`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from earned.digest import canonical_json
from earned.evals._evaluator import Flag, Score
from earned.evals._manifest import Blocker, Gate

__all__ = [
    "BlockerHit",
    "ClassResult",
    "GateResult",
    "GateStatus",
    "ScoredCase",
    "judge_gate",
    "percent",
]

GateStatus = Literal["passed", "failed", "skipped", "no_cases"]
#: Scores this close below a minimum still meet it (k/n in floating point).
_EPSILON = 1e-9


def percent(value: float | None) -> str:
    """`93.1%` (one decimal), or `-` for None."""
    return "-" if value is None else f"{value * 100:.1f}%"


def minimum_words(value: float) -> str:
    """`95%` (no trailing zeros)."""
    return f"{value * 100:g}%"


@dataclass(frozen=True, kw_only=True)
class ScoredCase:
    """One case's scores by gate name, as the judge needs them."""

    case_id: str
    scores: Mapping[str, Score]

    def flags(self) -> list[Flag]:
        """Every flag any evaluator raised on this case, each distinct flag once."""
        seen: dict[str, Flag] = {}
        for score in self.scores.values():
            for flag in score.flags:
                seen.setdefault(canonical_json([flag.name, flag.attributes]), flag)
        return list(seen.values())


@dataclass(frozen=True, kw_only=True)
class ClassResult:
    """One class of a labelled gate."""

    label: str
    score: float
    cases: int
    minimum: float | None = None

    @property
    def met(self) -> bool:
        """True when there is no minimum or the score reaches it."""
        return self.minimum is None or self.score + _EPSILON >= self.minimum

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "label": self.label,
            "score": self.score,
            "cases": self.cases,
            "minimum": self.minimum,
            "met": self.met,
        }


@dataclass(frozen=True, kw_only=True)
class BlockerHit:
    """A blocker condition and the cases whose flags matched it."""

    condition: str
    count: int
    more_than: int
    cases: tuple[str, ...] = ()

    @property
    def hit(self) -> bool:
        """True when more matching flags were found than the blocker allows."""
        return self.count > self.more_than

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "condition": self.condition,
            "count": self.count,
            "more_than": self.more_than,
            "hit": self.hit,
            "cases": list(self.cases),
        }


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """How one gate fared on one suite run."""

    eval: str
    title: str
    owner: str
    evaluator: str
    minimum: float | None
    score: float | None
    applicable: int
    passed: int
    failed: int
    skipped: int
    errors: int
    status: GateStatus
    required: bool = True
    per_class: tuple[ClassResult, ...] = ()
    blockers: tuple[BlockerHit, ...] = ()
    unmet: tuple[str, ...] = ()
    skip_reason: str | None = None
    failing_cases: tuple[str, ...] = field(default=())

    @property
    def blocking(self) -> bool:
        """True when this gate fails the suite."""
        return self.status == "failed" or (self.status == "skipped" and self.required)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (stored with the eval run and printed by `--json`)."""
        return {
            "eval": self.eval,
            "title": self.title,
            "owner": self.owner,
            "evaluator": self.evaluator,
            "minimum": self.minimum,
            "score": self.score,
            "applicable": self.applicable,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "errors": self.errors,
            "status": self.status,
            "required": self.required,
            "per_class": [c.to_dict() for c in self.per_class],
            "blockers": [b.to_dict() for b in self.blockers],
            "unmet": list(self.unmet),
            "skip_reason": self.skip_reason,
            "failing_cases": list(self.failing_cases),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateResult:
        """Rebuild a gate result from its JSON form."""
        return cls(
            eval=data["eval"],
            title=data["title"],
            owner=data["owner"],
            evaluator=data["evaluator"],
            minimum=data.get("minimum"),
            score=data.get("score"),
            applicable=data["applicable"],
            passed=data["passed"],
            failed=data["failed"],
            skipped=data["skipped"],
            errors=data.get("errors", 0),
            status=data["status"],
            required=data.get("required", True),
            per_class=tuple(
                ClassResult(
                    label=c["label"], score=c["score"], cases=c["cases"], minimum=c.get("minimum")
                )
                for c in data.get("per_class", ())
            ),
            blockers=tuple(
                BlockerHit(
                    condition=b["condition"],
                    count=b["count"],
                    more_than=b["more_than"],
                    cases=tuple(b.get("cases", ())),
                )
                for b in data.get("blockers", ())
            ),
            unmet=tuple(data.get("unmet", ())),
            skip_reason=data.get("skip_reason"),
            failing_cases=tuple(data.get("failing_cases", ())),
        )


def judge_gate(gate: Gate, cases: Sequence[ScoredCase]) -> GateResult:
    """Aggregate one gate's scores over the suite's cases and judge them."""
    scores = [(c.case_id, c.scores[gate.eval]) for c in cases if gate.eval in c.scores]
    applicable = [(cid, s) for cid, s in scores if s.applicable]
    skipped = [s for _, s in scores if s.skipped is not None]
    mean = sum(s.value or 0.0 for _, s in applicable) / len(applicable) if applicable else None
    per_class = _per_class(gate, [s for _, s in applicable])
    blockers = tuple(_blocker_hit(b, cases) for b in gate.blockers)
    status, skip_reason = _status(gate, mean, per_class, blockers, applicable, skipped)
    return GateResult(
        eval=gate.eval,
        title=gate.title,
        owner=gate.owner,
        evaluator=gate.evaluator_ref,
        minimum=gate.minimum,
        score=mean,
        applicable=len(applicable),
        passed=sum(1 for _, s in applicable if s.passed),
        failed=sum(1 for _, s in applicable if not s.passed),
        skipped=len(skipped),
        errors=sum(1 for _, s in scores if s.error is not None),
        status=status,
        required=gate.required,
        per_class=per_class,
        blockers=blockers,
        unmet=tuple(_unmet(gate, mean, per_class, blockers, status, skip_reason)),
        skip_reason=skip_reason,
        failing_cases=tuple(cid for cid, s in applicable if not s.passed),
    )


def _per_class(gate: Gate, scores: Iterable[Score]) -> tuple[ClassResult, ...]:
    by_label: dict[str, list[float]] = {}
    for score in scores:
        if score.label is not None:
            by_label.setdefault(score.label, []).append(score.value or 0.0)
    results = [
        ClassResult(
            label=label,
            score=sum(values) / len(values),
            cases=len(values),
            minimum=gate.class_minimum(label),
        )
        for label, values in sorted(by_label.items())
    ]
    for label, minimum in sorted(gate.per_class.items()):
        if label != "*" and label not in by_label:
            results.append(ClassResult(label=label, score=0.0, cases=0, minimum=minimum))
    return tuple(results)


def _blocker_hit(blocker: Blocker, cases: Sequence[ScoredCase]) -> BlockerHit:
    count = 0
    hit_cases: list[str] = []
    for case in cases:
        matching = [f for f in case.flags() if blocker.matches(f)]
        if matching:
            count += len(matching)
            hit_cases.append(case.case_id)
    return BlockerHit(
        condition=blocker.describe(),
        count=count,
        more_than=blocker.more_than,
        cases=tuple(hit_cases),
    )


def _status(
    gate: Gate,
    mean: float | None,
    per_class: Sequence[ClassResult],
    blockers: Sequence[BlockerHit],
    applicable: Sequence[Any],
    skipped: Sequence[Score],
) -> tuple[GateStatus, str | None]:
    if any(b.hit for b in blockers):
        return "failed", None
    if not applicable:
        if skipped:
            return "skipped", skipped[0].skipped
        return "no_cases", None
    below = mean is not None and gate.minimum is not None and mean + _EPSILON < gate.minimum
    if below or any(not c.met for c in per_class):
        return "failed", None
    return "passed", None


def _unmet(
    gate: Gate,
    mean: float | None,
    per_class: Sequence[ClassResult],
    blockers: Sequence[BlockerHit],
    status: GateStatus,
    skip_reason: str | None,
) -> list[str]:
    words: list[str] = []
    owner = f"({gate.owner})"
    if mean is not None and gate.minimum is not None and mean + _EPSILON < gate.minimum:
        words.append(
            f"{gate.title} {percent(mean)} < {minimum_words(gate.minimum)} minimum {owner}"
        )
    for c in per_class:
        if c.met or c.minimum is None:
            continue
        if c.cases == 0:
            words.append(
                f"{gate.title} for class {c.label}: no case to check its "
                f"{minimum_words(c.minimum)} minimum {owner}"
            )
        else:
            words.append(
                f"{gate.title} for class {c.label} {percent(c.score)} < "
                f"{minimum_words(c.minimum)} per-class minimum {owner}"
            )
    for b in blockers:
        if b.hit:
            shown = ", ".join(b.cases[:5]) + (", ..." if len(b.cases) > 5 else "")
            words.append(f"blocker hit: {b.condition} ({b.count} found: {shown}) {owner}")
    if status == "skipped" and gate.required:
        words.append(f"{gate.title} was not evaluated: {skip_reason} {owner}")
    return words
