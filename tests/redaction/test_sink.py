"""RedactingSink: run events are redacted in their run's scope before any sink sees them."""

from __future__ import annotations

from earned.redaction import RedactingSink, Redactor
from earned.runtime import MemorySink, RunEvent
from earned.testing import run_inline
from tests.redaction.agents import CANARIES, canary_agent


def _event(run_id: str, seq: int, **attributes: object) -> RunEvent:
    return RunEvent(
        run_id=run_id,
        span_id=f"{run_id}:{seq}",
        parent_id=None,
        kind="tool_call",
        name="lookup ana@example.com",
        started_at=1.0,
        attributes=dict(attributes),
    )


def test_each_event_is_redacted_in_the_scope_of_its_run() -> None:
    memory = MemorySink()
    sink = RedactingSink(memory, Redactor(sensitive_fields={"note"}))
    original = _event("run_a", 0, arguments={"email": "bo@example.com"}, note="VIP")
    sink.emit(original)
    sink.emit(_event("run_b", 0, arguments={"email": "bo@example.com"}))
    a, b = memory.events()
    assert a.name == "lookup <EMAIL_1>"
    assert a.attributes == {"arguments": {"email": "<EMAIL_2>"}, "note": "<SENSITIVE:note_1>"}
    assert b.attributes == {"arguments": {"email": "<EMAIL_2>"}}
    assert original.attributes["note"] == "VIP"  # the caller's event is untouched
    assert (a.span_id, a.run_id, a.kind) == ("run_a:0", "run_a", "tool_call")


def test_other_attributes_of_the_inner_sink_stay_reachable() -> None:
    memory = MemorySink()
    sink = RedactingSink(memory, Redactor())
    sink.emit(_event("run_a", 0))
    sink.clear()  # MemorySink.clear, through the wrapper
    assert memory.events() == []


async def test_an_inline_run_leaves_no_canary_in_its_events() -> None:
    memory = MemorySink()
    redactor = Redactor(sensitive_fields={"customer_note"})
    result = await run_inline(
        canary_agent(), CANARIES.ticket(), sink=RedactingSink(memory, redactor)
    )
    assert result.status == "completed", result.error
    text = repr([e.to_dict() for e in memory.events()])
    assert CANARIES.found_in(text) == []
    assert "<EMAIL_1>" in text
