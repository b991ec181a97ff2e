"""A `logging.Filter` that redacts log records before any handler formats them.

Install it on a handler to cover every logger whose records reach that handler::

    handler.addFilter(redacting_log_filter(redactor))

A filter added to a logger applies only to records logged on that very logger, not to
records propagated from its children, so prefer handlers (or add it to each logger).
"""

from __future__ import annotations

import logging
from typing import Any

from earned.redaction._redactor import RedactionScope, Redactor

__all__ = ["RedactingLogFilter", "redacting_log_filter"]


class RedactingLogFilter(logging.Filter):
    """Redacts a record's message, arguments, exception text and stack text, in place.

    A record logged with `extra={"run_id": ...}` is redacted in that run's scope, so its
    pseudonyms match the run's trace; other records share the scope named `scope`.
    """

    def __init__(self, redactor: Redactor, *, scope: str = "log") -> None:
        super().__init__()
        self.redactor = redactor
        self.scope_name = scope

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` and let it through (a redacting filter never drops a record)."""
        run_id = getattr(record, "run_id", None)
        scope = self.redactor.scope(run_id if isinstance(run_id, str) else self.scope_name)
        msg, args = record.msg, record.args
        record.msg = scope.text(msg if isinstance(msg, str) else str(msg))
        if args:
            record.args = _redact_args(scope, args)
            try:
                record.getMessage()
            except (TypeError, ValueError, KeyError):
                # A redacted argument no longer fits its placeholder (`%d` given a
                # pseudonym): format with the originals, then redact the whole message.
                record.msg, record.args = scope.text(_format(msg, args)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scope.text(record.exc_text)
        if record.stack_info:
            record.stack_info = scope.text(record.stack_info)
        return True


def _format(msg: Any, args: Any) -> str:
    try:
        return str(msg) % args
    except (TypeError, ValueError, KeyError):
        return f"{msg} {args!r}"


def _redact_args(scope: RedactionScope, args: Any) -> Any:
    if isinstance(args, dict):  # one mapping argument: `%(name)s` or `%r` of the dict
        return scope.value(args)
    return tuple(_redact_arg(scope, value) for value in args)


def _redact_arg(scope: RedactionScope, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list | tuple):
        return scope.value(value)
    return scope.text(str(value))


def redacting_log_filter(redactor: Redactor, *, scope: str = "log") -> RedactingLogFilter:
    """A filter that redacts every record it sees; add it to a handler or a logger."""
    return RedactingLogFilter(redactor, scope=scope)
