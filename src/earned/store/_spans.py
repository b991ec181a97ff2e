"""Spans in the `earned_spans` table, written in batches by a background thread.

`SpanStore` is an `EventSink`: `emit` only enqueues, so a run never waits for the
database. A writer thread upserts batches of `batch_size` spans, or whatever arrived
within `flush_interval` seconds. A span emitted at start and again at end is one row; an
ended span is never overwritten by a re-emitted start (a recovered run re-emits ids).

The owner calls `close()` (or uses the store as a context manager); spans still queued
when the interpreter exits are written by an exit hook as a last resort.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import weakref
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import InterfaceError, OperationalError

from earned.errors import UserError
from earned.runtime._events import EventKind, RunEvent
from earned.store._database import Database
from earned.store._errors import SpanWriteError
from earned.store._runs import check_schema_version
from earned.store._tables import SPAN_SCHEMA_VERSION, spans
from earned.store._upsert import insert_for

__all__ = ["SpanStore"]

logger = logging.getLogger("earned.store")

#: Seconds the exit hook waits for queued spans to be written.
EXIT_FLUSH_TIMEOUT = 30.0
#: Errors that mean the database is unreachable, not that one row is bad.
_CONNECTION_ERRORS = (OperationalError, InterfaceError)


class _Marker:
    """Put in the queue behind the events to flush; set once they are written."""

    def __init__(self, *, stop: bool = False) -> None:
        self.stop = stop
        self.done = threading.Event()


def _stop_at_exit(items: queue.SimpleQueue[RunEvent | _Marker], thread: threading.Thread) -> None:
    items.put(_Marker(stop=True))
    thread.join(EXIT_FLUSH_TIMEOUT)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


#: Token counts outside a 32-bit integer are not filtered on (they stay in `attributes`).
_MAX_COUNT = 2**31 - 1


def _count(value: Any) -> int | None:
    number = _number(value)
    if number is None or number != int(number) or not 0 <= number <= _MAX_COUNT:
        return None
    return int(number)


def span_row(event: RunEvent) -> dict[str, Any]:
    """The `earned_spans` row of an event, with the denormalised filter columns filled."""
    attrs = event.attributes
    return {
        "span_id": event.span_id,
        "run_id": event.run_id,
        "parent_id": event.parent_id,
        "kind": event.kind,
        "name": event.name,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "duration_ms": event.duration_ms,
        "status": event.status,
        "attributes": attrs,
        "tool": _text(attrs.get("tool")),
        "model": _text(attrs.get("model")),
        "cost": _number(attrs.get("cost")),
        "input_tokens": _count(attrs.get("input_tokens")),
        "output_tokens": _count(attrs.get("output_tokens")),
        "error_type": _text(attrs.get("error_type")),
        "schema_version": SPAN_SCHEMA_VERSION,
    }


def _merge(pending: dict[str, RunEvent], event: RunEvent) -> None:
    """Keep the later event for a span id, unless that would replace an end with a start."""
    earlier = pending.get(event.span_id)
    if earlier is None or event.ended_at is not None or earlier.ended_at is None:
        pending[event.span_id] = event


class SpanStore:
    """An `EventSink` that stores spans in the database, batched on a background thread."""

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 200,
        flush_interval: float = 0.2,
        max_attempts: int = 3,
        retry_delay: float = 0.1,
    ) -> None:
        if batch_size < 1 or not flush_interval > 0 or max_attempts < 1 or retry_delay < 0:
            raise UserError(
                "SpanStore needs batch_size >= 1, flush_interval > 0, max_attempts >= 1 and "
                f"retry_delay >= 0; got batch_size={batch_size}, flush_interval="
                f"{flush_interval}, max_attempts={max_attempts}, retry_delay={retry_delay}",
                batch_size=batch_size,
                flush_interval=flush_interval,
            )
        db.check_revision()
        self.db = db
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._queue: queue.SimpleQueue[RunEvent | _Marker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._at_exit: weakref.finalize[Any, SpanStore] | None = None
        self._closed = False
        self._lost = 0
        self._reported = 0
        self._last_error: BaseException | None = None

    def __enter__(self) -> SpanStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def lost(self) -> int:
        """How many spans could not be written (each was logged to `earned.store`)."""
        return self._lost

    # -- the run's side -------------------------------------------------------------------

    def emit(self, event: RunEvent) -> None:
        """Queue the span for writing; returns at once."""
        with self._lock:
            if self._closed:
                raise UserError(
                    f"SpanStore is closed; span {event.span_id!r} of run {event.run_id!r} "
                    "was not stored. Emit before close(), or use a new SpanStore",
                    span_id=event.span_id,
                    run_id=event.run_id,
                )
            if self._thread is None:
                self._start()
            self._queue.put(event)

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="earned-span-writer", daemon=True)
        thread.start()
        self._thread = thread
        self._at_exit = weakref.finalize(self, _stop_at_exit, self._queue, thread)

    def flush(self) -> None:
        """Return once every span emitted before this call is written.

        Raises SpanWriteError if spans were lost since the last report.
        """
        thread = self._thread
        if thread is not None and not self._closed:
            marker = _Marker()
            self._queue.put(marker)
            self._wait(marker, thread)
        self._raise_if_lost()

    def close(self) -> None:
        """Write every queued span and stop the writer thread; later `emit` calls raise."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            if self._at_exit is not None:
                self._at_exit.detach()
            marker = _Marker(stop=True)
            self._queue.put(marker)
            self._wait(marker, thread)
            thread.join()
        self._raise_if_lost()

    def _wait(self, marker: _Marker, thread: threading.Thread) -> None:
        while not marker.done.wait(0.5):
            if not thread.is_alive():
                raise SpanWriteError(
                    "the span writer thread has stopped; queued spans were not written "
                    "(see the earned.store log for why)",
                    last_error=repr(self._last_error),
                )

    def _raise_if_lost(self) -> None:
        lost = self._lost - self._reported
        if lost:
            self._reported = self._lost
            raise SpanWriteError(
                f"{lost} span(s) could not be written to {self.db!r}: {self._last_error!r}; "
                "check the database (disk space, server, permissions)",
                lost=lost,
                last_error=repr(self._last_error),
            )

    # -- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        pending: dict[str, RunEvent] = {}
        due = 0.0
        while True:
            timeout = None if not pending else max(0.0, due - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if isinstance(item, RunEvent):
                if not pending:
                    due = time.monotonic() + self.flush_interval
                _merge(pending, item)
                if len(pending) < self.batch_size:
                    continue
            if pending:
                self._write([span_row(event) for event in pending.values()])
                pending = {}
            if isinstance(item, _Marker):
                item.done.set()
                if item.stop:
                    return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        """Upsert rows, retrying; if a row is bad, write the others one by one."""
        error: Exception | None = None
        for attempt in range(self._max_attempts):
            try:
                self._upsert(rows)
                return
            except Exception as exc:
                error = exc
                if not isinstance(exc, _CONNECTION_ERRORS):
                    break
                time.sleep(self._retry_delay * 2**attempt)
        if isinstance(error, _CONNECTION_ERRORS) or len(rows) == 1:
            self._lose(len(rows), error)
            return
        for row in rows:
            try:
                self._upsert([row])
            except Exception as exc:
                self._lose(1, exc)

    def _lose(self, count: int, error: Exception | None) -> None:
        self._lost += count
        self._last_error = error
        logger.error("earned could not write %d span(s): %r", count, error)

    def _upsert(self, rows: list[dict[str, Any]]) -> None:
        stmt = insert_for(self.db.dialect, spans)
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[spans.c.span_id],
            set_={c.name: new[c.name] for c in spans.columns if c.name != "span_id"},
            where=sa.or_(new.ended_at.is_not(None), spans.c.ended_at.is_(None)),
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    # -- reading --------------------------------------------------------------------------

    def spans(self, run_id: str) -> list[RunEvent]:
        """The stored spans of a run, ordered by start time then span id."""
        query = (
            sa.select(spans)
            .where(spans.c.run_id == run_id)
            .order_by(spans.c.started_at, spans.c.span_id)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_event(row) for row in rows]


def _event(row: Any) -> RunEvent:
    check_schema_version(
        row["schema_version"],
        SPAN_SCHEMA_VERSION,
        what=f"span {row['span_id']!r}",
        span_id=row["span_id"],
        run_id=row["run_id"],
    )
    return RunEvent(
        run_id=row["run_id"],
        span_id=row["span_id"],
        parent_id=row["parent_id"],
        kind=cast(EventKind, row["kind"]),
        name=row["name"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        status=row["status"],
        attributes=row["attributes"] or {},
    )
