"""A RunStore with a redactor stores run payloads redacted, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from earned.redaction import Redactor
from earned.runtime import Escalation, RunRequest, RunResult
from earned.store import Database, RunStore
from tests.redaction.agents import CANARIES


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()


def test_input_result_escalation_and_decisions_are_stored_redacted(db: Database) -> None:
    store = RunStore(db, redactor=Redactor())
    request = RunRequest(agent="refunds", input=CANARIES.ticket(), run_id="run_redacted")
    store.create(request)
    store.finish(
        RunResult(
            run_id="run_redacted",
            agent="refunds",
            status="escalated",
            output={"to": CANARIES.email},
            error={"type": "X", "message": f"card {CANARIES.card} declined"},
            escalation=Escalation(reason=f"refund to {CANARIES.iban}", details={"k": "v"}),
            decisions=[{"tool": "t", "reason": f"phone {CANARIES.phone}"}],
        )
    )
    record = store.get("run_redacted")
    assert record is not None
    stored = repr(record)
    assert CANARIES.found_in(stored) == []
    assert record.input["text"] == "Hi, I'm <EMAIL_1>, SSN <SSN_1>. Call me on <PHONE_1>."
    assert record.output == {"to": "<EMAIL_1>"}  # the same person across columns
    assert record.escalation is not None
    assert record.escalation["reason"] == "refund to <IBAN_1>"
    assert record.decisions == [{"tool": "t", "reason": "phone <PHONE_1>"}]
    assert record.to_result().status == "escalated"


def test_without_a_redactor_payloads_are_stored_as_given(db: Database) -> None:
    store = RunStore(db)
    store.create(RunRequest(agent="refunds", input={"to": CANARIES.email}, run_id="run_raw"))
    record = store.get("run_raw")
    assert record is not None
    assert record.input == {"to": CANARIES.email}
