"""The chaos harness: many runs, workers SIGKILLed at random moments, and the counts.

    submit N runs -> workers take them -> kill a random worker, restart it (same executor id)
    -> a reviewer decides approvals as they come -> ... until every run has ended

Then it counts what must be zero: duplicate side effects (an idempotency key executed
twice in the external table), lost runs (not ended), lost approvals (approved, the run
completed, the approval never consumed), double-consumed approvals, and side effects of
approval-needing calls that ran without a consumed approval.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from earned.approvals import Approvals, Ledger
from earned.chaos._target import ChaosTarget
from earned.errors import UserError
from earned.runtime import RunRequest, application_version
from earned.runtime import _durable as durable
from earned.runtime._state import FINAL_STATUSES
from earned.store import Database, RunStore

__all__ = ["ChaosReport", "load_target", "run_chaos"]

#: How long a killed worker stays down before it is restarted.
_DOWN = (0.1, 0.6)
#: How long a kill aimed at a waiting run waits for one before it lands anyway.
_GIVE_UP = 10.0


@dataclass(kw_only=True)
class ChaosReport:
    """The counts a chaos run produced; the first five must be zero."""

    duplicate_side_effects: int = 0
    lost_runs: int = 0
    lost_approvals: int = 0
    double_consumed_approvals: int = 0
    unapproved_side_effects: int = 0
    runs: int = 0
    kills: int = 0
    kills_while_waiting: int = 0
    workers: int = 0
    database: str = ""
    side_effects: int = 0
    approvals_decided: int = 0
    ledger: dict[str, int] = field(default_factory=dict)
    runs_by_status: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every count that must be zero is zero."""
        return not (
            self.duplicate_side_effects
            or self.lost_runs
            or self.lost_approvals
            or self.double_consumed_approvals
            or self.unapproved_side_effects
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with `ok`."""
        return {**self.__dict__, "ok": self.ok}


def load_target(ref: str) -> ChaosTarget:
    """Import a ChaosTarget named `MODULE:ATTR` (default target: earned.chaos:TARGET)."""
    from earned.cli._loading import load_object

    target = load_object(ref)
    if callable(target) and not isinstance(target, ChaosTarget):
        target = target()
    if not isinstance(target, ChaosTarget):
        raise UserError(
            f"{ref} is not a ChaosTarget: it needs agent, prepare(), inputs(), decide() and "
            "side_effects() (see earned.chaos.ChaosTarget and earned.chaos:TARGET)",
            ref=ref,
        )
    return target


class _Workers:
    """The worker processes: start, kill at random, restart with the same executor id."""

    def __init__(self, target_ref: str, database_url: str, count: int) -> None:
        self.target_ref, self.database_url = target_ref, database_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for i in range(count):
            self.start(f"chaos-w{i + 1}")

    def start(self, executor_id: str) -> None:
        self.procs[executor_id] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "earned.chaos.worker",
                self.target_ref,
                self.database_url,
                executor_id,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def kill_one(self, rng: random.Random) -> None:
        executor_id = rng.choice(sorted(self.procs))
        proc = self.procs[executor_id]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        time.sleep(rng.uniform(*_DOWN))
        self.start(executor_id)

    def revive_dead(self) -> None:
        for executor_id, proc in list(self.procs.items()):
            if proc.poll() is not None:
                self.start(executor_id)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def run_chaos(
    target_ref: str,
    *,
    runs: int,
    kills: int,
    database_url: str,
    workers: int = 1,
    seed: int = 0,
    timeout: float = 600.0,
    progress: Callable[[int, int, int], None] | None = None,
) -> ChaosReport:
    """Run the whole experiment and return the counts (see the module docstring)."""
    rng = random.Random(seed)
    target = load_target(target_ref)
    db = Database(database_url)
    db.upgrade()
    durable.migrate_system_database(database_url)
    target.prepare(database_url, reset=True)
    run_ids = _submit(target, db, database_url, runs, rng, seed)
    started = time.time()
    fleet = _Workers(target_ref, database_url, workers)
    report = ChaosReport(runs=runs, workers=workers, database=db.dialect)
    try:
        _drive(target, db, fleet, run_ids, kills, rng, report, timeout, progress)
    finally:
        fleet.stop()
    report.seconds = round(time.time() - started, 1)
    _count(target, db, run_ids, report)
    db.close()
    return report


def _submit(
    target: ChaosTarget, db: Database, url: str, count: int, rng: random.Random, seed: int
) -> list[str]:
    store, agent = RunStore(db), target.agent
    version = application_version([agent])
    run_ids: list[str] = []
    for i, (payload, principal) in enumerate(target.inputs(count, rng)):
        request = RunRequest(
            run_id=f"chaos_{seed}_{i:05d}_{int(time.time())}",
            agent=agent.name,
            input=payload,
            principal=principal,
            stage="conditional_auto",
        )
        store.create(request, status="pending")
        durable.client_enqueue(
            url,
            durable.queue_name(agent.name),
            request.run_id,
            request.model_dump(mode="json"),
            partition=principal.tenant or "-",
            application_version=version,
        )
        run_ids.append(request.run_id)
    return run_ids


def _drive(
    target: ChaosTarget,
    db: Database,
    fleet: _Workers,
    run_ids: list[str],
    kills: int,
    rng: random.Random,
    report: ChaosReport,
    timeout: float,
    progress: Callable[[int, int, int], None] | None,
) -> None:
    approvals = Approvals(db, notifier=durable.DBOSNotifier(db.url))
    store = RunStore(db)
    deadline = time.time() + timeout
    next_kill = time.time() + rng.uniform(0.3, 1.0)
    first_seen: dict[str, float] = {}
    try:
        while time.time() < deadline:
            ended = sum(
                1 for r in run_ids if (rec := store.get(r)) and rec.status in FINAL_STATUSES
            )
            if progress is not None:
                progress(ended, len(run_ids), report.kills)
            if ended == len(run_ids):
                return
            # Every other kill lands while a run waits for a human: until it has, the
            # reviewer holds its decisions, so waiting runs pile up for it.
            aim_at_waiting = report.kills < kills and report.kills % 2 == 1
            if not aim_at_waiting:
                report.approvals_decided += _review(target, approvals, first_seen, rng)
            if report.kills < kills and time.time() >= next_kill:
                waiting = bool(approvals.list(status="pending", limit=1))
                if waiting or not aim_at_waiting or time.time() > next_kill + _GIVE_UP:
                    fleet.kill_one(rng)
                    report.kills += 1
                    report.kills_while_waiting += waiting
                    next_kill = time.time() + rng.uniform(0.2, 1.0)
            fleet.revive_dead()
            time.sleep(0.05)
    finally:
        approvals.notifier.close()  # type: ignore[union-attr]


def _review(
    target: ChaosTarget, approvals: Approvals, first_seen: dict[str, float], rng: random.Random
) -> int:
    decided = 0
    now = time.time()
    for request in approvals.list(status="pending", limit=200):
        seen = first_seen.setdefault(request.approval_id, now)
        verdict = target.decide(request, now - seen, rng)
        if verdict == "wait":
            continue
        if verdict == "approve":
            approvals.approve(
                request.approval_id, actor="chaos-reviewer", role=request.approvers[0]
            )
        else:
            approvals.reject(
                request.approval_id,
                actor="chaos-reviewer",
                role=request.approvers[0],
                reason="chaos: rejected",
            )
        decided += 1
    return decided


def _count(target: ChaosTarget, db: Database, run_ids: list[str], report: ChaosReport) -> None:
    store, approvals, ledger = RunStore(db), Approvals(db), Ledger(db)
    effects = Counter(target.side_effects())
    report.side_effects = sum(effects.values())
    report.duplicate_side_effects = sum(n - 1 for n in effects.values() if n > 1)
    records = {r: store.get(r) for r in run_ids}
    statuses = Counter(rec.status if rec is not None else "missing" for rec in records.values())
    report.runs_by_status = dict(statuses)
    report.lost_runs = sum(n for s, n in statuses.items() if s not in FINAL_STATUSES)
    consumed_by: dict[str, set[str]] = {}  # approval id -> idempotency keys it was consumed for
    asked: set[tuple[str, str]] = set()  # (run, call) pairs that needed a human
    for run_id in run_ids:
        for request in approvals.store.list(run_id=run_id, status=None, limit=100):
            asked.add((request.run_id, request.call_id))
            consumed = [
                e for e in approvals.store.history(request.approval_id) if e.kind == "consumed"
            ]
            report.double_consumed_approvals += max(0, len(consumed) - 1)
            consumed_by[request.approval_id] = {
                str(e.details.get("idempotency_key")) for e in consumed
            }
            run = records[run_id]
            approved = request.decision in ("approve", "approve_edited")
            if (
                approved
                and run is not None
                and run.status == "completed"
                and request.status != "consumed"
            ):
                report.lost_approvals += 1
    entries = {e.idempotency_key: e for r in run_ids for e in ledger.list(run_id=r, limit=100)}
    report.ledger = dict(Counter(e.state for e in entries.values()))
    for key in effects:
        entry = entries.get(key)
        if entry is None:
            report.unapproved_side_effects += 1  # an effect the ledger never heard of
        elif entry.approval_id is not None:
            report.unapproved_side_effects += key not in consumed_by.get(entry.approval_id, set())
        else:
            report.unapproved_side_effects += (entry.run_id, entry.call_id) in asked
