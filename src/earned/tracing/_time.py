"""Durations (`30d`, `90m`, `1.5s`) and points in time (`7d` ago, ISO 8601) from the CLI."""

from __future__ import annotations

import datetime as dt
import re

from earned.errors import UserError

__all__ = ["parse_duration", "parse_time"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0, "w": 604_800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_EXAMPLES = "e.g. 500ms, 30s, 15m, 12h, 7d, 2w"


def parse_duration(text: str, *, what: str = "duration") -> float:
    """Seconds in `text`: a number and a unit (ms, s, m, h, d, w), e.g. `7d` or `1.5s`."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise UserError(
            f"cannot read {what} {text!r}: use a number and a unit ({_EXAMPLES})",
            value=text,
            fix=f"write the {what} as a number and a unit, {_EXAMPLES}",
        )
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_time(text: str, *, now: float, what: str = "time") -> float:
    """Epoch seconds for `text`: a duration ago (`7d`), `now`, or an ISO 8601 date or time.

    A date or time without a zone is read as UTC.
    """
    value = text.strip() if isinstance(text, str) else text
    if value == "now":
        return now
    if isinstance(value, str) and _DURATION.match(value):
        return now - parse_duration(value, what=what)
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise UserError(
            f"cannot read {what} {text!r}: use a duration ago ({_EXAMPLES}), 'now', or an "
            "ISO 8601 date or time such as 2026-11-01 or 2026-11-01T09:30:00+00:00",
            value=text,
            fix=f"write the {what} as 7d (seven days ago) or as 2026-11-01T09:30:00Z",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
