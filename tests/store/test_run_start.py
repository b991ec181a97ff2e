"""RunStore.start: one statement that does what `create` then `set_status("running")` did."""

from __future__ import annotations

import dataclasses

import pytest

from earned.runtime._state import Principal, RunLimits, RunRequest, RunResult
from earned.store import Database, RunRecord, RunStore


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def store(db: Database) -> RunStore:
    return RunStore(db, clock=Clock())


def request(run_id: str, **overrides: object) -> RunRequest:
    values: dict[str, object] = {
        "run_id": run_id,
        "agent": "refunds",
        "input": {"ticket": "T-1", "text": "refund please"},
        "principal": Principal(user="u1", role="agent", tenant="acme"),
        "capability": "draft_reply",
        "stage": "shadow",
        "environment": "prod",
        "limits": RunLimits.model_validate({"max_steps": 7}),
        "created_at": 100.0,
        "request_id": "req-1",
    }
    values.update(overrides)
    return RunRequest.model_validate(values)


def record(store: RunStore, run_id: str) -> RunRecord:
    found = store.get(run_id)
    assert found is not None
    return found


def same_but_ids(a: RunRecord, b: RunRecord) -> bool:
    keep = {"run_id", "updated_at"}
    fields = [f.name for f in dataclasses.fields(RunRecord) if f.name not in keep]
    return all(getattr(a, name) == getattr(b, name) for name in fields)


def test_a_new_run_is_stored_as_create_then_set_status_stored_it(store: RunStore) -> None:
    store.create(request("two_trips"), status="running")
    store.set_status("two_trips", "running")
    store.start(request("one_trip"))
    two, one = record(store, "two_trips"), record(store, "one_trip")
    assert one.status == "running"
    assert same_but_ids(one, two)


@pytest.mark.parametrize("status", ["pending", "running", "waiting_approval"])
def test_a_stored_run_that_has_not_ended_moves_to_running_and_keeps_its_request(
    store: RunStore, status: str
) -> None:
    store.create(request("run_1"), status=status)
    before = record(store, "run_1")
    store.start(request("run_1", input={"other": True}, stage="live"))
    after = record(store, "run_1")
    assert after.status == "running"
    assert after.updated_at > before.updated_at
    assert (after.input, after.stage) == (before.input, before.stage)


def test_a_finished_run_keeps_its_result(store: RunStore) -> None:
    store.create(request("run_1"), status="running")
    store.finish(RunResult(run_id="run_1", agent="refunds", status="completed", output="ok"))
    before = record(store, "run_1")
    store.start(request("run_1"))
    assert record(store, "run_1") == before
