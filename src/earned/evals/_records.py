"""What the eval store keeps: eval runs, case results and manifest versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from earned.evals._evaluator import Score
from earned.evals._gates import ScoredCase

__all__ = ["CaseResult", "EvalRunRecord", "EvalRunStatus", "ManifestVersion"]

EvalRunStatus = Literal["running", "completed", "interrupted", "failed"]


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    """One scenario's run and its scores by gate name."""

    case_id: str
    position: int
    run_id: str
    status: str
    scores: dict[str, Score]
    output: Any = None
    error: dict[str, Any] | None = None
    trace: list[dict[str, Any]] | None = None
    cost: float = 0.0
    cost_known: bool = True
    turns: int = 0
    steps: int = 0

    @property
    def passed(self) -> bool:
        """True when every applicable score passed and none errored."""
        return all(s.passed for s in self.scores.values() if s.applicable or s.error)

    @property
    def failures(self) -> dict[str, Score]:
        """The scores that failed, by gate name."""
        return {
            name: s for name, s in self.scores.items() if (s.applicable or s.error) and not s.passed
        }

    def scored(self) -> ScoredCase:
        """The form the gate judge reads."""
        return ScoredCase(case_id=self.case_id, scores=self.scores)

    def to_dict(self, *, trace: bool = True) -> dict[str, Any]:
        """The JSON form (with the trace unless told otherwise)."""
        data: dict[str, Any] = {
            "case_id": self.case_id,
            "position": self.position,
            "run_id": self.run_id,
            "status": self.status,
            "passed": self.passed,
            "scores": {name: s.to_dict() for name, s in self.scores.items()},
            "output": self.output,
            "error": self.error,
            "cost": self.cost,
            "cost_known": self.cost_known,
            "turns": self.turns,
            "steps": self.steps,
        }
        if trace:
            data["trace"] = self.trace
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        """Rebuild a case result from its JSON form (or a stored row)."""
        return cls(
            case_id=data["case_id"],
            position=data["position"],
            run_id=data["run_id"],
            status=data["status"],
            scores={k: Score.from_dict(v) for k, v in (data.get("scores") or {}).items()},
            output=data.get("output"),
            error=data.get("error"),
            trace=data.get("trace"),
            cost=data.get("cost") or 0.0,
            cost_known=bool(data.get("cost_known", True)),
            turns=data.get("turns") or 0,
            steps=data.get("steps") or 0,
        )


@dataclass(frozen=True, kw_only=True)
class EvalRunRecord:
    """One run of one suite for one capability, judged against one manifest version."""

    eval_run_id: str
    suite: str
    capability: str
    agent: str
    manifest_hash: str
    dataset_hash: str
    target_hash: str
    cases: int
    started_at: float
    updated_at: float
    project: str | None = None
    split: str | None = None
    model: str | None = None
    judge_model: str | None = None
    versions: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    status: EvalRunStatus = "running"
    verdict: str | None = None
    summary: dict[str, Any] | None = None
    cases_done: int = 0
    ended_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "eval_run_id": self.eval_run_id,
            "project": self.project,
            "suite": self.suite,
            "capability": self.capability,
            "agent": self.agent,
            "manifest_hash": self.manifest_hash,
            "dataset_hash": self.dataset_hash,
            "split": self.split,
            "target_hash": self.target_hash,
            "model": self.model,
            "judge_model": self.judge_model,
            "versions": self.versions,
            "settings": self.settings,
            "status": self.status,
            "verdict": self.verdict,
            "summary": self.summary,
            "cases": self.cases,
            "cases_done": self.cases_done,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, kw_only=True)
class ManifestVersion:
    """One stored version of a capability's gate manifest."""

    manifest_hash: str
    capability: str
    source: str | None
    first_seen_at: float
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the hash."""
        return self.manifest_hash.removeprefix("sha256:")[:12]

    def to_dict(self, *, text: bool = False) -> dict[str, Any]:
        """The JSON form (the YAML text only when asked)."""
        data: dict[str, Any] = {
            "manifest_hash": self.manifest_hash,
            "capability": self.capability,
            "source": self.source,
            "first_seen_at": self.first_seen_at,
        }
        if text:
            data["text"] = self.text
        return data
