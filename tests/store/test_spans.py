"""SpanStore: batched, upserting, thread-safe span writing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from earned.errors import UserError
from earned.runtime._events import EventSink, RunEvent
from earned.store import (
    SPAN_SCHEMA_VERSION,
    Database,
    SchemaVersionError,
    SpanStore,
    SpanWriteError,
)


def span(run_id: str, seq: int, *, started: float | None = None, **attributes: Any) -> RunEvent:
    return RunEvent(
        run_id=run_id,
        span_id=f"{run_id}:{seq}",
        parent_id=None if seq == 0 else f"{run_id}:0",
        kind="tool_call" if "tool" in attributes else "step",
        name=f"step {seq}",
        started_at=float(seq) if started is None else started,
        attributes=attributes,
    )


@pytest.fixture
def store(db: Database) -> Iterator[SpanStore]:
    spans = SpanStore(db, batch_size=50, flush_interval=0.05)
    yield spans
    spans.close()


def count(db: Database, run_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table("earned_spans"))
    if run_id is not None:
        query = query.where(sa.column("run_id") == run_id)
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_is_an_event_sink(store: SpanStore) -> None:
    assert isinstance(store, EventSink)


def test_start_then_end_is_one_row_with_the_end_values(store: SpanStore, db: Database) -> None:
    start = span("r1", 1, tool="lookup_order", args={"id": 7})
    store.emit(start)
    store.flush()
    end = start.ended(3.5, status="error", error_type="TransientToolError", output="x")
    store.emit(end)
    store.flush()
    assert store.spans("r1") == [end]
    assert store.spans("r1")[0].duration_ms == 2500.0
    assert count(db) == 1


def test_start_and_end_in_one_batch(store: SpanStore) -> None:
    start = span("r1", 1)
    store.emit(start)
    store.emit(start.ended(2.0, done=True))
    store.flush()
    assert store.spans("r1") == [start.ended(2.0, done=True)]


@pytest.mark.parametrize("same_batch", [True, False])
def test_a_reemitted_start_does_not_undo_an_end(store: SpanStore, same_batch: bool) -> None:
    start = span("r1", 1, tool="refund")
    end = start.ended(4.0, status="ok", amount=10)
    store.emit(start)
    store.emit(end)
    if not same_batch:
        store.flush()
    store.emit(start)  # a recovered run emits the start again
    store.flush()
    assert store.spans("r1") == [end]


def test_a_later_end_replaces_an_earlier_end(store: SpanStore) -> None:
    start = span("r1", 1)
    store.emit(start.ended(2.0, status="error"))
    store.flush()
    store.emit(start.ended(3.0, status="ok"))
    store.flush()
    [stored] = store.spans("r1")
    assert (stored.ended_at, stored.status) == (3.0, "ok")


def test_spans_are_ordered_by_start_then_id(store: SpanStore) -> None:
    store.emit(span("r1", 3, started=5.0))
    store.emit(span("r1", 2, started=5.0))
    store.emit(span("r1", 1, started=9.0))
    store.emit(span("r1", 0, started=1.0))
    store.emit(span("other", 0, started=0.0))
    store.flush()
    assert [e.span_id for e in store.spans("r1")] == ["r1:0", "r1:2", "r1:3", "r1:1"]
    assert store.spans("nothing") == []


def test_denormalised_columns_are_filled_from_attributes(store: SpanStore, db: Database) -> None:
    store.emit(
        span(
            "r1",
            1,
            tool="issue_refund",
            model="openai:gpt-4.1",
            cost=0.25,
            input_tokens=100,
            output_tokens=20,
            error_type="ToolDenied",
        ).ended(2.0)
    )
    store.emit(span("r1", 2, cost="cheap", input_tokens=True, output_tokens=2**40, model=7))
    store.flush()
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT span_id, kind, tool, model, cost, input_tokens, output_tokens, "
                "error_type, duration_ms, schema_version FROM earned_spans ORDER BY span_id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "r1:1",
            "tool_call",
            "issue_refund",
            "openai:gpt-4.1",
            0.25,
            100,
            20,
            "ToolDenied",
            1000.0,
            SPAN_SCHEMA_VERSION,
        ),
        ("r1:2", "step", None, None, None, None, None, None, None, SPAN_SCHEMA_VERSION),
    ]


def test_attributes_json_cannot_encode_are_kept(store: SpanStore) -> None:
    store.emit(span("r1", 1, when={1, 2}, blob=b"ab", nan=float("nan"), nul="a\x00"))
    store.flush()
    [stored] = store.spans("r1")
    assert stored.attributes == {"when": [1, 2], "blob": "ab", "nan": None, "nul": "a\ufffd"}


def test_flush_writes_everything_queued_in_batches(db: Database) -> None:
    with SpanStore(db, batch_size=7, flush_interval=3600) as store:
        for i in range(50):
            store.emit(span("r1", i))
        store.flush()
        assert count(db) == 50
        assert len(store.spans("r1")) == 50


def test_close_writes_everything_queued(db: Database) -> None:
    store = SpanStore(db, batch_size=500, flush_interval=3600)
    for i in range(1000):
        store.emit(span("r1", i))
    store.close()
    assert count(db, "r1") == 1000


def test_concurrent_emit_from_many_threads(db: Database) -> None:
    store = SpanStore(db, batch_size=64, flush_interval=0.01)
    barrier = threading.Barrier(8)

    def run(n: int) -> None:
        barrier.wait()
        for i in range(200):
            event = span(f"t{n}", i)
            store.emit(event)
            if i % 3 == 0:
                store.emit(event.ended(i + 0.5))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.flush()
    assert count(db) == 1600
    assert all(len(store.spans(f"t{n}")) == 200 for n in range(8))
    ended = [e for e in store.spans("t3") if e.ended_at is not None]
    assert len(ended) == 67
    store.close()


def test_emit_after_close_raises(db: Database) -> None:
    store = SpanStore(db)
    store.emit(span("r1", 1))
    store.close()
    store.close()  # idempotent
    store.flush()  # nothing left to write
    with pytest.raises(UserError, match=r"SpanStore is closed; span 'r1:2' of run 'r1'"):
        store.emit(span("r1", 2))
    assert count(db) == 1


def test_close_without_emitting_starts_no_thread(db: Database) -> None:
    store = SpanStore(db)
    store.flush()
    store.close()
    assert store._thread is None


def test_bad_settings_are_refused(db: Database) -> None:
    with pytest.raises(UserError, match="batch_size >= 1"):
        SpanStore(db, batch_size=0)
    with pytest.raises(UserError, match="flush_interval > 0"):
        SpanStore(db, flush_interval=0)


def test_span_from_a_newer_schema_is_refused(store: SpanStore, db: Database) -> None:
    store.emit(span("r1", 1))
    store.flush()
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE earned_spans SET schema_version = 99"))
    with pytest.raises(SchemaVersionError, match=r"span 'r1:1'.*pip install -U earned"):
        store.spans("r1")


def test_a_bad_row_does_not_take_its_batch_down(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SpanStore(db, batch_size=100, flush_interval=3600)
    real = store._upsert

    def upsert(rows: list[dict[str, Any]]) -> None:
        if any(row["span_id"] == "r1:3" for row in rows):
            raise ValueError("poison")
        real(rows)

    monkeypatch.setattr(store, "_upsert", upsert)
    for i in range(6):
        store.emit(span("r1", i))
    with pytest.raises(SpanWriteError, match=r"1 span\(s\) could not be written") as info:
        store.flush()
    assert info.value.details["lost"] == 1
    assert [e.span_id for e in store.spans("r1")] == ["r1:0", "r1:1", "r1:2", "r1:4", "r1:5"]
    assert store.lost == 1
    store.flush()  # reported once
    store.close()


def test_connection_errors_are_retried(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SpanStore(db, max_attempts=3, retry_delay=0)
    real = store._upsert
    failures = iter([True, True])

    def upsert(rows: list[dict[str, Any]]) -> None:
        if next(failures, False):
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        real(rows)

    monkeypatch.setattr(store, "_upsert", upsert)
    store.emit(span("r1", 1))
    store.flush()
    assert len(store.spans("r1")) == 1
    store.close()


def test_a_lasting_outage_loses_the_batch_and_says_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SpanStore(db, max_attempts=2, retry_delay=0)

    def upsert(rows: list[dict[str, Any]]) -> None:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "_upsert", upsert)
    for i in range(3):
        store.emit(span("r1", i))
    with pytest.raises(SpanWriteError, match="server closed the connection") as info:
        store.close()
    assert info.value.details["lost"] == 3


def test_queued_spans_are_written_at_interpreter_exit(db: Database) -> None:
    script = textwrap.dedent(
        f"""
        from earned.runtime._events import RunEvent
        from earned.store import Database, SpanStore

        store = SpanStore(Database({db.url!r}), batch_size=10_000, flush_interval=3600)
        for i in range(500):
            store.emit(RunEvent(run_id="exit", span_id=f"exit:{{i}}", parent_id=None,
                                kind="step", name="s", started_at=float(i)))
        # no close(): the exit hook must write them
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    assert count(db, "exit") == 500
