"""RunStore: create, progress, finish, read and list runs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from earned.errors import UserError
from earned.messages import Usage
from earned.runtime._state import (
    SCHEMA_VERSION,
    Escalation,
    Principal,
    RunLimits,
    RunRequest,
    RunResult,
)
from earned.store import Database, RunNotFoundError, RunRecord, RunStore, SchemaVersionError


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> RunStore:
    return RunStore(db, clock=clock)


def request(run_id: str = "run_1", **overrides: object) -> RunRequest:
    values: dict[str, object] = {
        "run_id": run_id,
        "agent": "refunds",
        "input": {"ticket": "T-1", "text": "refund please ✓", "items": [1, 2.5, None]},
        "principal": Principal(user="u1", role="agent", tenant="acme"),
        "capability": "draft_reply",
        "stage": "shadow",
        "environment": "prod",
        "model": "openai:gpt-4.1-mini",
        "limits": RunLimits.model_validate({"max_steps": 7, "max_cost": 0.5}),
        "created_at": 100.0,
        "request_id": "req-1",
        "correlation_id": "corr-1",
    }
    values.update(overrides)
    return RunRequest.model_validate(values)


def result(run_id: str = "run_1", **overrides: object) -> RunResult:
    values: dict[str, object] = {
        "run_id": run_id,
        "agent": "refunds",
        "status": "completed",
        "output": {"reply": "Refunded.", "amount": 12.5},
        "usage": Usage(input_tokens=120, output_tokens=30, requests=2),
        "cost": 0.0042,
        "cost_known": True,
        "steps": 3,
        "tainted": True,
        "fallback": "openai:gpt-4.1-nano",
        "decisions": [{"rule": "r1", "decision": "allow"}],
        "versions": {"prompt": "abc", "policy": "def"},
        "principal": Principal(user="u1", role="agent", tenant="acme"),
        "capability": "draft_reply",
        "stage": "shadow",
        "started_at": 100.5,
        "ended_at": 105.0,
    }
    values.update(overrides)
    return RunResult.model_validate(values)


def test_create_then_get_keeps_every_request_field(store: RunStore) -> None:
    req = request()
    store.create(req)
    record = store.get("run_1")
    assert record is not None
    assert record.status == "pending"
    assert record.input == req.input
    assert (record.user, record.role, record.tenant) == ("u1", "agent", "acme")
    assert (record.capability, record.stage, record.environment) == (
        "draft_reply",
        "shadow",
        "prod",
    )
    assert record.created_at == 100.0
    assert record.updated_at == 1001.0
    assert (record.request_id, record.correlation_id) == ("req-1", "corr-1")
    assert record.schema_version == SCHEMA_VERSION
    assert not record.finished
    assert record.to_request() == req


def test_get_unknown_run_is_none(store: RunStore) -> None:
    assert store.get("nope") is None


def test_create_is_idempotent_and_keeps_the_first_request(store: RunStore) -> None:
    store.create(request(input="first"), status="running")
    store.create(request(input="second"))
    record = store.get("run_1")
    assert record is not None
    assert (record.input, record.status) == ("first", "running")


def test_set_status_records_progress(store: RunStore, clock: Clock) -> None:
    store.create(request())
    store.set_status("run_1", "running")
    store.set_status("run_1", "waiting_approval")
    record = store.get("run_1")
    assert record is not None
    assert record.status == "waiting_approval"
    assert record.updated_at == clock.now
    assert record.ended_at is None


def test_final_status_is_kept(store: RunStore) -> None:
    store.create(request())
    store.set_status("run_1", "cancelled")
    store.set_status("run_1", "running")
    store.finish(result(status="completed"))
    record = store.get("run_1")
    assert record is not None
    assert record.status == "completed"  # finish() writes the result even so
    store.set_status("run_1", "running")
    assert store.get("run_1").status == "completed"  # type: ignore[union-attr]


def test_set_status_on_unknown_run(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError, match="'ghost'") as info:
        store.set_status("ghost", "running")
    assert info.value.details == {"run_id": "ghost"}


def test_unknown_status_is_refused(store: RunStore) -> None:
    store.create(request())
    with pytest.raises(UserError, match="unknown run status 'done'"):
        store.set_status("run_1", "done")
    with pytest.raises(UserError, match="unknown run status"):
        store.create(request("run_2"), status="bogus")


def test_finish_stores_the_whole_result(store: RunStore) -> None:
    store.create(request())
    res = result(
        status="escalated",
        error={"type": "BudgetExceeded", "message": "over"},
        escalation=Escalation(reason="over budget", details={"cost": 1}, tried=[{"a": 1}]),
    )
    store.finish(res)
    record = store.get("run_1")
    assert record is not None
    assert record.finished
    assert record.to_result() == res
    assert record.input == request().input  # the request's columns survive
    assert (record.input_tokens, record.output_tokens, record.requests) == (120, 30, 2)


def test_finish_is_idempotent(store: RunStore) -> None:
    store.create(request())
    store.finish(result())
    first = store.get("run_1")
    store.finish(result())
    second = store.get("run_1")
    assert first is not None
    assert second is not None
    assert second.to_result() == first.to_result()


def test_finish_without_create_stores_the_result(store: RunStore) -> None:
    store.finish(result("run_9"))
    record = store.get("run_9")
    assert record is not None
    assert record.to_result() == result("run_9")
    assert record.input is None
    assert record.created_at == 100.5


def test_finish_keeps_request_principal_when_result_has_none(store: RunStore) -> None:
    store.create(request())
    store.finish(result(principal=Principal(), capability=None, stage=None, started_at=0.0))
    record = store.get("run_1")
    assert record is not None
    assert (record.user, record.tenant, record.capability) == ("u1", "acme", "draft_reply")
    assert record.started_at == 100.0


def test_finish_needs_a_final_status(store: RunStore) -> None:
    with pytest.raises(UserError, match="final status"):
        store.finish(result(status="running"))


def test_unfinished_run_has_no_result(store: RunStore) -> None:
    store.create(request())
    record = store.get("run_1")
    assert record is not None
    with pytest.raises(UserError, match="has not finished"):
        record.to_result()


def test_list_filters_and_orders_newest_first(store: RunStore) -> None:
    specs = [
        ("r1", "refunds", "acme", "draft_reply", 1.0),
        ("r2", "refunds", "globex", "read_orders", 2.0),
        ("r3", "triage", "acme", "draft_reply", 3.0),
        ("r4", "refunds", "acme", "read_orders", 4.0),
    ]
    for run_id, agent, tenant, capability, created in specs:
        store.create(
            request(
                run_id,
                agent=agent,
                principal=Principal(tenant=tenant),
                capability=capability,
                created_at=created,
            )
        )
    store.set_status("r2", "running")

    def ids(**filters: object) -> list[str]:
        return [r.run_id for r in store.list(**filters)]  # type: ignore[arg-type]

    assert ids() == ["r4", "r3", "r2", "r1"]
    assert ids(agent="refunds") == ["r4", "r2", "r1"]
    assert ids(tenant="acme") == ["r4", "r3", "r1"]
    assert ids(status="running") == ["r2"]
    assert ids(capability="draft_reply") == ["r3", "r1"]
    assert ids(agent="refunds", tenant="acme", capability="read_orders") == ["r4"]
    assert ids(limit=2) == ["r4", "r3"]
    assert ids(limit=2, offset=2) == ["r2", "r1"]
    assert ids(agent="nobody") == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
def test_list_rejects_bad_pages(store: RunStore, limit: int, offset: int) -> None:
    with pytest.raises(UserError, match="limit"):
        store.list(limit=limit, offset=offset)


def test_row_from_a_newer_schema_is_refused(store: RunStore, db: Database) -> None:
    store.create(request())
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE earned_runs SET schema_version = :v"), {"v": SCHEMA_VERSION + 1}
        )
    with pytest.raises(SchemaVersionError, match=r"newer version of earned.*pip install -U earned"):
        store.get("run_1")
    with pytest.raises(SchemaVersionError):
        store.list()


def test_values_json_cannot_encode_are_stored(store: RunStore) -> None:
    store.create(request(input={"nan": float("nan"), "nul": "a\x00b"}))
    store.finish(result(output={"set": {3, 1}, "inf": float("inf")}))
    record = store.get("run_1")
    assert record is not None
    assert record.input == {"nan": None, "nul": "a\ufffdb"}
    assert record.output == {"set": [1, 3], "inf": None}


def test_record_is_frozen(store: RunStore) -> None:
    store.create(request())
    record = store.get("run_1")
    assert isinstance(record, RunRecord)
    with pytest.raises(AttributeError):
        record.status = "running"  # type: ignore[misc]
