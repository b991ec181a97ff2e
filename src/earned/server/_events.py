"""A run's events as Server-Sent Events, read from the stored spans until the run ends.

`GET /v1/runs/{run_id}/events` sends each span once when it is first stored and again
when it changes (it ended, or its status changed), as `event: span` with the span's JSON
and the span id as the event id. When the run has ended and its run span is stored ended
(or `sse_end_grace` seconds after the run ended), it sends `event: end` with the run's
status and result, and closes. Comment lines keep an idle stream open. A client that
reconnects gets every span again; span ids let it drop the ones it has.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from earned.runtime import RunEvent
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx, Reader
from earned.server._runs import visible_run
from earned.server._schemas import IdPath

__all__ = ["router", "sse"]

router = APIRouter(prefix="/v1", tags=["runs"])


def sse(event: str, data: Any, *, event_id: str | None = None) -> str:
    """One Server-Sent Event."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, sort_keys=True, default=str))
    return "\n".join(lines) + "\n\n"


def _changed(sent: dict[str, tuple[Any, ...]], span: RunEvent) -> bool:
    key = (span.ended_at, span.status, len(span.attributes))
    if sent.get(span.span_id) == key:
        return False
    sent[span.span_id] = key
    return True


async def _stream(context: ApiContext, caller: Identity, run_id: str) -> AsyncIterator[str]:
    settings = context.settings
    sent: dict[str, tuple[Any, ...]] = {}
    quiet_since = ended_seen = None
    yield ": earned run events\n\n"
    while True:
        record = await asyncio.to_thread(visible_run, context, caller, run_id)
        spans = await asyncio.to_thread(context.spans.spans, run_id)
        fresh = [s for s in spans if _changed(sent, s)]
        for span in fresh:
            yield sse("span", span.to_dict(), event_id=span.span_id)
        now = time.monotonic()
        if fresh or quiet_since is None:
            quiet_since = now
        if record.finished:
            ended_seen = ended_seen or now
            run_span_ended = any(s.kind == "run" and s.ended_at is not None for s in spans)
            if run_span_ended or now - ended_seen >= settings.sse_end_grace:
                result = record.to_result().model_dump(mode="json")
                yield sse("end", {"run_id": run_id, "status": record.status, "result": result})
                return
        elif now - quiet_since >= settings.sse_keepalive:
            quiet_since = now
            yield f": still {record.status}\n\n"
        await asyncio.sleep(settings.sse_poll_interval)


@router.get(
    "/runs/{run_id}/events",
    summary="Stream a run's events (Server-Sent Events) until it ends",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream."}},
)
async def run_events(run_id: IdPath, caller: Reader, context: Ctx) -> StreamingResponse:
    """`event: span` per stored span (again when it changes), then `event: end`."""
    await asyncio.to_thread(visible_run, context, caller, run_id)  # 404 before streaming
    return StreamingResponse(
        _stream(context, caller, run_id),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )
