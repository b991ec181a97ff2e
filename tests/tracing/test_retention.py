"""Retention: per-class cutoffs from config, batched audited prunes, dry runs, the daily job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earned.errors import UserError
from earned.store import Database
from earned.store._audit import AuditLog
from earned.store._tables import approval_events, approvals, ledger, runs, spans
from earned.tracing import RetentionPolicy, prune, prune_due
from tests.tracing.seed import DAY, NOW, seed_run


def count(db: Database, table: sa.Table) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def add_approval(db: Database, approval_id: str, *, age_days: float, events: int = 2) -> None:
    created = NOW - age_days * DAY
    row: dict[str, Any] = {
        "approval_id": approval_id,
        "run_id": "r",
        "call_id": "c",
        "agent": "refunds",
        "tool": "submit_refund",
        "risk": "irreversible",
        "arguments": {"amount": 140},
        "arguments_digest": "d",
        "summary": "submit_refund(amount=140)",
        "rule_id": "large",
        "policy_version": "p@1",
        "approvers": ["reviewer"],
        "status": "approved",
        "on_timeout": "escalate",
        "created_at": created,
        "expires_at": created + 3600,
        "schema_version": 1,
    }
    with db.engine.begin() as conn:
        conn.execute(approvals.insert().values(row))
        for n in range(events):
            conn.execute(
                approval_events.insert().values(
                    approval_id=approval_id, at=created + n, kind="requested", schema_version=1
                )
            )


def add_ledger(db: Database, key: str, *, age_days: float) -> None:
    at = NOW - age_days * DAY
    with db.engine.begin() as conn:
        conn.execute(
            ledger.insert().values(
                idempotency_key=key,
                run_id="r",
                call_id="c",
                position=0,
                tool="submit_refund",
                risk="irreversible",
                arguments_digest="d",
                state="done",
                created_at=at,
                updated_at=at,
                schema_version=1,
            )
        )


@pytest.fixture
def aged(db: Database) -> Database:
    """Runs of 1, 20, 31, 45 and 60 days, a spanless-run orphan, approvals and ledger rows."""
    for run_id, age in (("r01", 1), ("r20", 20), ("r31", 31), ("r45", 45), ("r60", 60)):
        seed_run(db, run_id, age_days=age, seconds=2)
    with db.engine.begin() as conn:  # spans whose run row is gone (e.g. written by a test run)
        conn.execute(
            spans.insert().values(
                span_id="ghost:00001",
                run_id="ghost",
                kind="run",
                name="x",
                status="ok",
                started_at=NOW - 90 * DAY,
                attributes={},
                schema_version=1,
            )
        )
    add_approval(db, "ap_new", age_days=100)
    add_approval(db, "ap_old", age_days=500)
    add_ledger(db, "idem_new", age_days=10)
    add_ledger(db, "idem_old", age_days=401)
    return db


def remaining_runs(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return sorted(conn.execute(sa.select(runs.c.run_id)).scalars())


def test_traces_older_than_the_cutoff_go_with_their_spans_and_the_prune_is_audited(
    aged: Database,
) -> None:
    result = prune(
        aged, "traces", older_than=30 * DAY, actor="alice", reason="policy", now=NOW, batch_size=2
    )
    assert result is not None
    assert remaining_runs(aged) == ["r01", "r20"]
    assert result.rows == {"earned_spans": 3 * 3 + 1, "earned_runs": 3}
    assert count(aged, spans) == 2 * 3
    (entry,) = AuditLog(aged).list(action="retention.prune")
    assert (entry.actor, entry.target, entry.reason) == ("alice", "traces", "policy")
    assert entry.details is not None
    assert entry.details["cutoff"] == NOW - 30 * DAY
    assert entry.details["rows"] == {"earned_spans": 10, "earned_runs": 3}
    assert entry.details["total"] == 13
    assert entry.audit_id == result.audit_id


def test_a_dry_run_counts_and_deletes_nothing(aged: Database) -> None:
    result = prune(aged, "traces", older_than=30 * DAY, actor="alice", now=NOW, dry_run=True)
    assert result is not None
    assert result.dry_run
    assert result.rows == {"earned_runs": 3, "earned_spans": 10}
    assert remaining_runs(aged) == ["r01", "r20", "r31", "r45", "r60"]
    assert AuditLog(aged).list() == []


def test_approval_records_and_the_ledger_keep_400_days_by_default(aged: Database) -> None:
    policy = RetentionPolicy()
    results = prune_due(aged, policy=policy, now=NOW)
    rows = {r.data_class: r.rows for r in results}
    assert rows["approvals"] == {"earned_approval_events": 2, "earned_approvals": 1}
    assert rows["ledger"] == {"earned_ledger": 1}
    assert rows["traces"]["earned_runs"] == 3
    with aged.engine.connect() as conn:
        assert list(conn.execute(sa.select(approvals.c.approval_id)).scalars()) == ["ap_new"]
        assert list(conn.execute(sa.select(ledger.c.idempotency_key)).scalars()) == ["idem_new"]
    entries = AuditLog(aged).list(action="retention.*")
    assert sorted(e.target for e in entries) == ["approvals", "ledger", "traces"]
    assert {e.actor for e in entries} == {"earned:scheduler"}


def test_a_class_kept_forever_is_not_pruned(aged: Database) -> None:
    policy = RetentionPolicy(traces=None)
    assert prune(aged, "traces", policy=policy, actor="a", now=NOW) is None
    assert [r.data_class for r in prune_due(aged, policy=policy, now=NOW)] == [
        "approvals",
        "ledger",
    ]
    assert len(remaining_runs(aged)) == 5


def test_the_policy_comes_from_the_environment_then_the_project_file(tmp_path: Path) -> None:
    assert RetentionPolicy.load(env={}, path=tmp_path / "absent.yaml") == RetentionPolicy()
    config = tmp_path / "earned.yaml"
    config.write_text("retention:\n  traces: 14d\n  ledger: never\n", encoding="utf-8")
    from_file = RetentionPolicy.load(env={}, path=config)
    assert (from_file.traces, from_file.approvals, from_file.ledger) == (14 * DAY, 400 * DAY, None)
    env = {"EARNED_RETENTION_TRACES": "7d", "EARNED_CONFIG": str(config)}
    assert RetentionPolicy.load(env=env).traces == 7 * DAY
    assert RetentionPolicy.load(env=env).ledger is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retention:\n  trace: 14d\n", "retention section is not valid"),
        ("retention:\n  traces: fortnight\n", "cannot read retention traces"),
        ("retention:\n  traces: 0d\n", "longer than zero"),
    ],
)
def test_a_bad_retention_section_names_the_file_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "earned.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        RetentionPolicy.load(env={}, path=config)


def test_bad_prune_arguments(aged: Database) -> None:
    with pytest.raises(UserError, match="unknown data class 'logs'"):
        prune(aged, "logs", actor="a")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="older_than > 0"):
        prune(aged, "traces", older_than=-1.0, actor="a")
    with pytest.raises(UserError, match="needs the actor who runs it"):
        prune(aged, "traces", older_than=DAY, actor=" ", now=NOW)
    assert len(remaining_runs(aged)) == 5  # refused before anything was deleted
