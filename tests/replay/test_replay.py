"""Replay: a recorded run re-run with another prompt, model or agent, from its recording."""

from __future__ import annotations

from typing import Any

from examples.refund_agent.orders import OrderDatabase

from earned.models import ModelRegistry
from earned.replay import NOT_RECORDED, Replayer, ReplayResult, load_recording
from earned.runtime._durable import RecordedRuns
from earned.store import Database
from earned.testing import FunctionModel
from earned.tracing import TraceQuery, TraceStore
from tests.replay.agents import (
    CLOCKED,
    cautious_brain,
    effects,
    payout_agent,
    refund_agent,
)
from tests.replay.conftest import golden, record


async def _replay(db: Database, agent: Any, run_id: str, **options: Any) -> ReplayResult:
    async with Replayer(db, agent, **options) as replayer:
        return await replayer.replay(run_id)


def _refund_cases() -> list[dict[str, Any]]:
    approve = golden(decision="approve")
    return [
        approve[0],  # approved by the reviewer
        approve[1],  # approved with an edited amount
        approve[2],  # rejected by the reviewer
        golden(decision="decline")[0],
        golden(decision="escalate")[0],
        next(c for c in golden() if c["expected_class"] == "billing"),
    ]


def _decide(index: int, approval: Any) -> tuple[str, Any]:
    if index == 0:
        return ("approve", None)
    if index == 1:
        return ("edit", {**approval.arguments, "amount": 1.0})
    return ("reject", "a credit was issued instead")


async def test_replaying_recorded_runs_with_the_same_agent_reproduces_them_exactly(
    database_url: str, db: Database, orders: OrderDatabase
) -> None:
    inputs = [c["input"] for c in _refund_cases()]
    recorded = await record(database_url, refund_agent(), inputs, decide=_decide)
    refunds = orders.refunds()
    assert [r["amount"] for r in refunds][1] == 1.0  # the edit is what ran
    async with Replayer(db, refund_agent()) as replayer:
        results = [await replayer.replay(run_id) for run_id in recorded]
    for result in results:
        assert result.identical, result.to_dict()
        assert result.divergences == ()
        assert result.source == "steps"
        assert result.input_exact
        assert result.calls_served == result.calls_recorded
    assert [r.calls_recorded for r in results] == [4, 4, 4, 3, 3, 0]
    assert orders.refunds() == refunds  # the replays refunded nothing
    traces = TraceStore(db)
    for run_id, result in zip(recorded, results, strict=True):
        replayed = traces.run(result.run_id)
        assert result.run_id.startswith("replay_")
        assert replayed.correlation_id == run_id
        assert replayed.status == traces.run(run_id).status
        assert replayed.output == traces.run(run_id).output


async def test_a_changed_prompt_shows_the_diff_and_the_new_call_is_never_executed(
    database_url: str, db: Database
) -> None:
    (run_id,) = await record(
        database_url, payout_agent(), [{"order_id": "ord_1"}], decide=lambda i, a: ("approve", 0)
    )
    assert [e["amount"] for e in effects()] == [40.0]
    result = await _replay(
        db, payout_agent(), run_id, prompt="Look the order up, then be generous: pay it all."
    )
    assert not result.identical
    unrecorded, unused = result.divergences
    assert (unrecorded.kind, unrecorded.tool, unrecorded.arguments["amount"]) == (
        "unrecorded_call",
        "pay",
        80.0,
    )
    assert unrecorded.recorded_arguments == {"order_id": "ord_1", "amount": 40.0}
    assert unrecorded.policy_would is not None
    assert unrecorded.policy_would["effect"] == "require_approval"
    assert (unused.kind, unused.tool, unused.arguments["amount"]) == (
        "unused_recorded_call",
        "pay",
        40.0,
    )
    (change,) = result.diff.calls
    assert (change.change, change.tool) == ("changed", "pay")
    assert change.fields["amount"] == [40.0, 80.0]
    assert change.fields["(status)"] == ["ok", "error"]
    assert result.diff.versions["prompt"][0] != result.diff.versions["prompt"][1]
    assert [e["amount"] for e in effects()] == [40.0]  # nothing more was paid
    events = TraceStore(db).spans(result.run_id)
    (pay,) = [e for e in events if e.kind == "tool_call" and e.attributes["tool"] == "pay"]
    assert (pay.status, pay.attributes["error_type"]) == ("error", NOT_RECORDED)
    assert pay.attributes["rule_id"] == f"replay:{NOT_RECORDED}"


async def test_a_changed_model_that_picks_another_tool_diverges_without_running_it(
    database_url: str, db: Database
) -> None:
    (run_id,) = await record(
        database_url, payout_agent(), [{"order_id": "ord_1"}], decide=lambda i, a: ("approve", 0)
    )
    registry = ModelRegistry({"test": lambda name: FunctionModel(cautious_brain, name=name)})
    result = await _replay(db, payout_agent(), run_id, model="test:cautious", registry=registry)
    assert [(d.kind, d.tool) for d in result.divergences] == [
        ("unrecorded_call", "escalate_case"),
        ("unused_recorded_call", "pay"),
    ]
    assert [(c.change, c.tool) for c in result.diff.calls] == [
        ("removed", "pay"),
        ("added", "escalate_case"),
    ]
    assert result.diff.output == {"(output)": ["done", "handed over"]}
    assert result.calls_served == 1  # the lookup came from the recording
    assert len(effects()) == 1


async def test_recorded_checkpoints_are_served_unless_steps_are_re_run_live(
    database_url: str, db: Database
) -> None:
    (run_id,) = await record(database_url, CLOCKED, [{"order_id": "ord_1"}])
    same = await _replay(db, CLOCKED, run_id)
    assert same.identical
    live = await _replay(db, CLOCKED, run_id, live_steps=True)
    assert list(live.diff.output) == ["stamp"]
    assert live.divergences == ()


async def test_without_the_durable_records_the_recording_is_rebuilt_from_the_trace(
    database_url: str, db: Database
) -> None:
    (run_id,) = await record(database_url, CLOCKED, [{"order_id": "ord_1"}])

    class Unreadable:
        problem = "the durable records cannot be read: pruned"

        def request(self, run_id: str) -> None:
            return None

        def steps(self, run_id: str) -> list[dict[str, Any]]:
            return []

    recording = load_recording(db, run_id, records=Unreadable())
    assert recording.source == "spans"
    assert not recording.input_exact
    (call,) = recording.calls
    assert call.result["value"] == {"total": 80.0, "currency": "USD"}  # its logged fields
    result = await _replay(db, CLOCKED, run_id, records=Unreadable())
    assert result.source == "spans"
    assert result.problem == "the durable records cannot be read: pruned"
    assert result.divergences == ()
    assert list(result.diff.output) == ["stamp"]  # the clock was not recorded in the trace


async def test_exact_recordings_hold_the_unredacted_results(
    database_url: str, db: Database
) -> None:
    (run_id,) = await record(
        database_url, payout_agent(), [{"order_id": "ord_1"}], decide=lambda i, a: ("approve", 0)
    )
    records = RecordedRuns(db.url)
    try:
        recording = load_recording(db, run_id, records=records)
    finally:
        records.close()
    lookup, pay = recording.calls
    assert lookup.source == "steps"
    assert lookup.result["value"]["email"] == "ada@example.com"  # the trace holds <EMAIL_1>
    assert pay.approval is not None
    assert pay.approval.approved
    assert pay.approved_result is not None
    assert pay.approved_result["status"] == "ok"


async def test_batch_replay_over_a_trace_query_summarises_and_skips_rehearsals(
    database_url: str, db: Database
) -> None:
    recorded = await record(
        database_url,
        payout_agent(),
        [{"order_id": "ord_1"}, {"order_id": "ord_2"}],
        decide=lambda i, a: ("approve", 0),
    )
    async with Replayer(db, payout_agent()) as replayer:
        first = await replayer.replay_many(TraceQuery(agent="payout"))
        again = await replayer.replay_many(TraceQuery(agent="payout"))  # replays now stored
    assert {r.original_run_id for r in first.results} == set(recorded)
    assert {r.original_run_id for r in again.results} == set(recorded)
    assert first.identical == 2
    assert not first.failures
    summary = again.to_dict()
    assert (summary["replayed"], summary["identical"], summary["diverged"]) == (2, 2, 0)
    assert len(effects()) == 2
