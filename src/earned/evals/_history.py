"""Scores over time, regressions against the previous run, and manifest edits made visible.

A run is compared with the previous completed run of the same suite and capability (and
project). It is flagged as a regression when a gate's score fell (by more than the
tolerance), a gate that passed now fails, or the verdict went from passed to failed. When
the manifest changed between the two runs, the entry says so, and says when the new
version was first seen after the earlier run's results: gates edited after the results
were known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from earned.errors import UserError
from earned.evals._gates import GateResult, percent
from earned.evals._records import EvalRunRecord, ManifestVersion
from earned.evals._report import EvalReport
from earned.evals._store import EvalStore

__all__ = [
    "HistoryEntry",
    "ManifestHistoryEntry",
    "compare_with_previous",
    "gate_results",
    "history",
    "load_report",
    "manifest_history",
]


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def _short(value: str) -> str:
    return value.removeprefix("sha256:")[:12]


def gate_results(record: EvalRunRecord) -> list[GateResult]:
    """The gate results stored with a completed eval run."""
    return [GateResult.from_dict(g) for g in (record.summary or {}).get("gates", [])]


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One completed eval run, its scores, and how it compares with the previous one."""

    run: EvalRunRecord
    previous: EvalRunRecord | None = None
    scores: dict[str, float | None] = field(default_factory=dict)
    regressions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def regressed(self) -> bool:
        """True when anything got worse than the previous run."""
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        run = self.run
        return {
            "eval_run_id": run.eval_run_id,
            "project": run.project,
            "suite": run.suite,
            "capability": run.capability,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "verdict": run.verdict,
            "manifest_hash": run.manifest_hash,
            "dataset_hash": run.dataset_hash,
            "model": run.model,
            "versions": run.versions,
            "scores": self.scores,
            "previous": None if self.previous is None else self.previous.eval_run_id,
            "regressed": self.regressed,
            "regressions": list(self.regressions),
            "notes": list(self.notes),
        }


def history(
    store: EvalStore,
    *,
    suite: str | None = None,
    capability: str | None = None,
    project: str | None = None,
    limit: int = 50,
    tolerance: float = 0.0,
) -> list[HistoryEntry]:
    """Completed eval runs, newest first, each compared with its predecessor."""
    runs = store.runs(
        suite=suite, capability=capability, project=project, status="completed", limit=limit + 200
    )
    entries: list[HistoryEntry] = []
    for i, run in enumerate(runs[:limit]):
        previous = next(
            (
                r
                for r in runs[i + 1 :]
                if (r.suite, r.capability, r.project) == (run.suite, run.capability, run.project)
            ),
            None,
        )
        entries.append(_entry(store, run, previous, tolerance))
    return entries


def _entry(
    store: EvalStore, run: EvalRunRecord, previous: EvalRunRecord | None, tolerance: float
) -> HistoryEntry:
    gates = gate_results(run)
    scores = {g.eval: g.score for g in gates}
    if previous is None:
        return HistoryEntry(run=run, scores=scores)
    before = {g.eval: g for g in gate_results(previous)}
    regressions: list[str] = []
    if previous.verdict == "passed" and run.verdict == "failed":
        regressions.append("verdict passed -> failed")
    for gate in gates:
        old = before.get(gate.eval)
        if old is None:
            continue
        if old.score is not None and gate.score is not None and gate.score < old.score - tolerance:
            regressions.append(f"{gate.title} {percent(old.score)} -> {percent(gate.score)}")
        elif old.status == "passed" and gate.status == "failed":
            regressions.append(f"{gate.title} gate passed -> failed")
    return HistoryEntry(
        run=run,
        previous=previous,
        scores=scores,
        regressions=tuple(regressions),
        notes=tuple(_changes(store, run, previous)),
    )


def _changes(store: EvalStore, run: EvalRunRecord, previous: EvalRunRecord) -> list[str]:
    notes: list[str] = []
    if run.manifest_hash != previous.manifest_hash:
        version = store.manifest(run.manifest_hash)
        words = (
            f"gates changed since {previous.eval_run_id} "
            f"({_short(previous.manifest_hash)} -> {_short(run.manifest_hash)})"
        )
        seen = version.first_seen_at if version is not None else None
        if seen is not None and previous.ended_at is not None and seen > previous.ended_at:
            words += (
                f"; this version was first seen {_when(seen)}, after that run's results "
                f"({previous.verdict})"
            )
        notes.append(words)
    if run.dataset_hash != previous.dataset_hash:
        notes.append(
            f"dataset changed ({_short(previous.dataset_hash)} -> {_short(run.dataset_hash)}): "
            "scores are not over the same cases"
        )
    changed = sorted(
        k
        for k in set(run.versions) | set(previous.versions)
        if k not in ("earned",) and run.versions.get(k) != previous.versions.get(k)
    )
    if changed:
        notes.append(f"changed since the previous run: {', '.join(changed)}")
    return notes


@dataclass(frozen=True, kw_only=True)
class ManifestHistoryEntry:
    """One stored version of a manifest, and the results known before it appeared."""

    version: ManifestVersion
    runs_judged: int
    results_before: tuple[EvalRunRecord, ...] = ()

    @property
    def edited_after_results(self) -> bool:
        """True when eval runs judged against earlier versions had finished before this one."""
        return bool(self.results_before)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            **self.version.to_dict(),
            "runs_judged": self.runs_judged,
            "edited_after_results": self.edited_after_results,
            "results_before": [
                {
                    "eval_run_id": r.eval_run_id,
                    "suite": r.suite,
                    "manifest_hash": r.manifest_hash,
                    "verdict": r.verdict,
                    "ended_at": r.ended_at,
                }
                for r in self.results_before
            ],
        }


def manifest_history(store: EvalStore, capability: str) -> list[ManifestHistoryEntry]:
    """Every version of a capability's manifest, oldest first.

    Each comes with the results that were already known (under earlier versions) when it
    was first seen: a gate edited after its results shows here.
    """
    versions = store.manifest_versions(capability)
    runs = store.runs(capability=capability, limit=1000)
    entries: list[ManifestHistoryEntry] = []
    for i, version in enumerate(versions):
        earlier = {v.manifest_hash for v in versions[:i]}
        before = _finished_before(runs, earlier, version.first_seen_at)
        judged = sum(1 for r in runs if r.manifest_hash == version.manifest_hash)
        entries.append(
            ManifestHistoryEntry(version=version, runs_judged=judged, results_before=before)
        )
    return entries


def _finished_before(
    runs: Sequence[EvalRunRecord], hashes: set[str], at: float
) -> tuple[EvalRunRecord, ...]:
    found = [
        r for r in runs if r.manifest_hash in hashes and r.ended_at is not None and r.ended_at <= at
    ]
    return tuple(sorted(found, key=lambda r: r.ended_at or 0.0))


def compare_with_previous(
    store: EvalStore, run: EvalRunRecord, tolerance: float = 0.0
) -> HistoryEntry:
    """`run` compared with the previous completed run of its suite, capability and project."""
    candidates = store.runs(
        suite=run.suite,
        capability=run.capability,
        project=run.project,
        status="completed",
        limit=50,
    )
    previous = next(
        (
            r
            for r in candidates
            if r.eval_run_id != run.eval_run_id
            and (r.started_at, r.eval_run_id) < (run.started_at, run.eval_run_id)
        ),
        None,
    )
    return _entry(store, run, previous, tolerance)


def load_report(store: EvalStore, eval_run_id: str, *, traces: bool = False) -> EvalReport:
    """The report of a stored eval run, as it was judged then.

    It is not re-judged against today's manifest. `traces` loads the failing cases' traces.
    """
    record = store.get_run(eval_run_id)
    if record is None:
        raise UserError(
            f"no eval run {eval_run_id!r} in this database; list them with `earned eval history`",
            eval_run_id=eval_run_id,
        )
    version = store.manifest(record.manifest_hash)
    if version is None:  # pragma: no cover - the runner stores the manifest first
        raise UserError(
            f"the manifest of eval run {eval_run_id} is missing", eval_run_id=eval_run_id
        )
    cases = store.case_results(eval_run_id)
    if traces:
        with_traces = {
            c.case_id: c for c in store.case_results(eval_run_id, traces=True, failed_only=True)
        }
        cases = [with_traces.get(c.case_id, c) for c in cases]
    summary = record.summary or {}
    notes = tuple(summary.get("notes", ()))
    if record.status == "completed":
        compared = compare_with_previous(store, record)
        notes += compared.notes + tuple(f"regression: {r}" for r in compared.regressions)
    else:
        notes += (
            f"this eval run is {record.status}: {record.cases_done} of {record.cases} cases "
            "stored; run `earned eval run` again with the same inputs to resume it",
        )
    return EvalReport(
        run=record,
        manifest=version,
        gates=tuple(gate_results(record)),
        cases=tuple(cases),
        notes=notes,
    )
