"""AuditLog: an append-only record of who changed what, when, from what to what, and why."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from earned.errors import SchemaVersionError, UserError
from earned.store import Database
from earned.store._audit import AuditEntry, AuditLog


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 10.0
        return self.now


@pytest.fixture
def log(db: Database) -> AuditLog:
    return AuditLog(db, clock=Clock())


def test_an_entry_keeps_who_what_target_before_after_why_and_details(log: AuditLog) -> None:
    entry = log.record(
        "alice",
        "stage.promote",
        "capability:submit_refund",
        before={"stage": "shadow"},
        after={"stage": "conditional_auto"},
        reason="gates passed",
        details={"manifest": "gates@3", "evals": [0.97, 1.0]},
    )
    assert entry.audit_id > 0
    assert entry.at == 1_010.0
    (stored,) = log.list()
    assert stored == entry
    assert stored.to_dict()["before"] == {"stage": "shadow"}
    assert stored.details == {"manifest": "gates@3", "evals": [0.97, 1.0]}


def test_entries_list_newest_first_with_filters(log: AuditLog) -> None:
    log.record("alice", "retention.prune", "traces")
    log.record("earned:scheduler", "retention.prune", "ledger")
    log.record("bob", "flag.set", "flag:refunds.auto", before=False, after=True)
    assert [e.target for e in log.list()] == ["flag:refunds.auto", "ledger", "traces"]
    assert [e.actor for e in log.list(action="retention.*")] == ["earned:scheduler", "alice"]
    assert [e.target for e in log.list(actor="bob")] == ["flag:refunds.auto"]
    assert [e.target for e in log.list(target="traces")] == ["traces"]
    assert [e.target for e in log.list(since=1_020.0, until=1_030.0)] == ["ledger"]
    assert [e.target for e in log.list(limit=1, offset=1)] == ["ledger"]
    assert log.list(action="retention") == []  # exact unless it ends in .*


def test_an_entry_is_written_in_the_callers_transaction(db: Database, log: AuditLog) -> None:
    def change_that_fails() -> None:
        with db.engine.begin() as conn:
            log.record("alice", "retention.prune", "traces", connection=conn)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert log.list() == []  # rolled back with the change it described


def test_the_log_has_no_way_to_change_or_remove_an_entry() -> None:
    assert not [name for name in vars(AuditLog) if name.startswith(("update", "delete", "remove"))]
    assert AuditEntry.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("blank", ["actor", "action", "target"])
def test_who_what_and_target_are_required(log: AuditLog, blank: str) -> None:
    values = {"actor": "alice", "action": "flag.set", "target": "flag:x", blank: "  "}
    with pytest.raises(UserError, match=f"needs a non-empty {blank}"):
        log.record(**values)


def test_bad_paging_is_refused(log: AuditLog) -> None:
    with pytest.raises(UserError, match="limit"):
        log.list(limit=0)


def test_entries_from_a_newer_earned_are_refused(db: Database, log: AuditLog) -> None:
    log.record("alice", "flag.set", "flag:x")
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE earned_audit SET schema_version = 99"))
    with pytest.raises(SchemaVersionError, match="newer version of earned"):
        log.list()
