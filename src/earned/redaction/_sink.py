"""`RedactingSink`: redacts every run event before the sinks behind it see it."""

from __future__ import annotations

from dataclasses import replace

from earned.redaction._redactor import Redactor
from earned.runtime._events import EventSink, RunEvent

__all__ = ["RedactingSink"]


class RedactingSink:
    """Wraps a sink: each event's attributes and name are redacted in its run's scope.

    Put it in front of everything that stores or exports events (the span store, an
    OpenTelemetry exporter) so they all see the same pseudonyms:
    `RedactingSink(MultiSink([span_store, exporter]), redactor)`.
    """

    def __init__(self, inner: EventSink, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    def emit(self, event: RunEvent) -> None:
        """Redact `event` with the scope of its `run_id` and pass it on."""
        self.inner.emit(self.redact(event))

    def redact(self, event: RunEvent) -> RunEvent:
        """The redacted copy of `event` (the original is left as it was)."""
        scope = self.redactor.scope(event.run_id)
        return replace(event, name=scope.text(event.name), attributes=scope.value(event.attributes))

    def __getattr__(self, name: str) -> object:
        """Anything else (`flush`, `close`, ...) is the inner sink's."""
        return getattr(self.inner, name)
