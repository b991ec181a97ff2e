"""The redaction interface content passes through before it leaves the process.

Exported content (run input and output, model output, tool arguments, custom event
attributes) is always given to a redactor first. The default is `earned.redaction`'s
`Redactor`: `Redactor().scope(trace_id).value(obj)` returns `obj` with PII replaced by
tokens that are stable within one trace.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from earned.errors import ConfigError

__all__ = ["ContentRedactor", "ScopedRedactor", "default_redactor", "redact"]


@runtime_checkable
class ScopedRedactor(Protocol):
    """A redactor bound to one trace (tokens are stable within it)."""

    def value(self, value: Any, /) -> Any:
        """`value` (a string or any JSON value) with sensitive values replaced."""
        ...


@runtime_checkable
class ContentRedactor(Protocol):
    """Makes a `ScopedRedactor` per trace."""

    def scope(self, trace_id: str) -> ScopedRedactor:
        """A redactor for the trace `trace_id`."""
        ...


def default_redactor() -> ContentRedactor:
    """`earned.redaction.Redactor()`; ConfigError when this earned does not ship it."""
    try:
        from earned.redaction import Redactor  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise ConfigError(
            "exporting content needs a redactor and earned.redaction is not available; "
            "pass redactor=... (an object with .scope(trace_id).value(obj)) or export "
            "without content (include_content=False)",
            missing="earned.redaction",
        ) from exc
    redactor: ContentRedactor = Redactor()
    return redactor


def redact(redactor: ContentRedactor, trace_id: str, obj: Any) -> Any:
    """`obj` passed through `redactor` scoped to `trace_id`."""
    return redactor.scope(trace_id).value(obj)
