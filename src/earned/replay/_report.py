"""A shadow report: how often the agent decided as the humans did, per class, and where not.

Schema version 1 (`to_dict()["schema_version"]`). Changelog: version 1, the first format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from earned.replay._human import HumanDecision

__all__ = ["REPORT_SCHEMA_VERSION", "ClassAgreement", "ShadowCase", "ShadowReport"]

REPORT_SCHEMA_VERSION = 1
#: The class of an input no human or agent classified.
UNCLASSIFIED = "(none)"


@dataclass(frozen=True, kw_only=True)
class ShadowCase:
    """One input: the shadow run, the human's decision, the agent's, and whether they agree.

    `agree` is None when the input has no human label (it is shown, not counted).
    """

    key: str
    run_id: str
    status: str
    human: HumanDecision
    agent: str
    cls: str
    agree: bool | None
    source_run_id: str | None = None
    input_exact: bool = True
    detail: str | None = None
    simulated: tuple[str, ...] = ()
    executed_writes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "key": self.key,
            "run_id": self.run_id,
            "source_run_id": self.source_run_id,
            "status": self.status,
            "class": self.cls,
            "human": self.human.label,
            "human_source": self.human.source,
            "human_reference": self.human.reference,
            "agent": self.agent,
            "agree": self.agree,
            "detail": self.detail or self.human.note,
            "input_exact": self.input_exact,
            "simulated_writes": list(self.simulated),
        }


@dataclass(frozen=True, kw_only=True)
class ClassAgreement:
    """Agreement for the inputs of one class."""

    cls: str
    cases: int
    agreed: int

    @property
    def agreement(self) -> float | None:
        """agreed / cases, or None for no case."""
        return self.agreed / self.cases if self.cases else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"class": self.cls, "cases": self.cases, "agreed": self.agreed,
                "agreement": self.agreement}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ShadowReport:
    """Every shadow case of one session, and the agreement figures over them."""

    session: str
    capability: str | None
    agent: str
    source: str
    compared: str
    cases: tuple[ShadowCase, ...]
    started_at: float
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple[str, ...])

    @property
    def labelled(self) -> list[ShadowCase]:
        """Cases with a human label (counted in agreement)."""
        return [c for c in self.cases if c.agree is not None]

    @property
    def agreed(self) -> int:
        """Labelled cases where the agent decided as the human did."""
        return sum(1 for c in self.labelled if c.agree)

    @property
    def agreement(self) -> float | None:
        """agreed / labelled, or None when nothing was labelled."""
        labelled = len(self.labelled)
        return self.agreed / labelled if labelled else None

    @property
    def per_class(self) -> list[ClassAgreement]:
        """Agreement per class (the human's class, else the original run's), by class name."""
        cases: Counter[str] = Counter()
        agreed: Counter[str] = Counter()
        for case in self.labelled:
            cases[case.cls] += 1
            agreed[case.cls] += bool(case.agree)
        return [ClassAgreement(cls=k, cases=cases[k], agreed=agreed[k]) for k in sorted(cases)]

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        """human label -> agent label -> cases."""
        table: dict[str, dict[str, int]] = {}
        for case in self.labelled:
            row = table.setdefault(str(case.human.label), {})
            row[case.agent] = row.get(case.agent, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}

    @property
    def disagreements(self) -> list[ShadowCase]:
        """Labelled cases where the agent decided otherwise."""
        return [c for c in self.labelled if c.agree is False]

    @property
    def statuses(self) -> dict[str, int]:
        """Shadow runs per final status."""
        return dict(sorted(Counter(c.status for c in self.cases).items()))

    @property
    def simulated_writes(self) -> int:
        """Write calls the shadow runs made, every one answered simulated."""
        return sum(len(c.simulated) for c in self.cases)

    @property
    def executed_writes(self) -> int:
        """Write calls that ran for real: always 0 (a shadow run acts on nothing)."""
        return sum(len(c.executed_writes) for c in self.cases)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`earned shadow run --json`)."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "session": self.session,
            "capability": self.capability,
            "agent": self.agent,
            "source": self.source,
            "compared": self.compared,
            "started_at": self.started_at,
            "seconds": self.seconds,
            "cases": len(self.cases),
            "labelled": len(self.labelled),
            "agreed": self.agreed,
            "agreement": self.agreement,
            "per_class": [c.to_dict() for c in self.per_class],
            "confusion": self.confusion,
            "disagreements": [c.to_dict() for c in self.disagreements],
            "statuses": self.statuses,
            "simulated_writes": self.simulated_writes,
            "executed_writes": self.executed_writes,
            "notes": list(self.notes),
            "results": [c.to_dict() for c in self.cases],
        }
