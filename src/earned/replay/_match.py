"""Comparing values across a recording and a rehearsal, where one side may be redacted.

Stored traces are redacted: an e-mail address reads `<EMAIL_1>`, a sensitive field
`<SENSITIVE:password_1>`. Pseudonym numbers depend on the order a run saw its values, so
two runs that saw the same values in another order number them differently. `comparable`
drops the numbers; `same_arguments` compares a recorded (maybe redacted) value with a live
(exact) one by redacting both the same way first.
"""

from __future__ import annotations

import re
from typing import Any

from earned.digest import canonical_json

__all__ = ["comparable", "has_pseudonyms", "same_arguments"]

#: One scope for every comparison (numbers are dropped, so sharing it changes nothing).
_SCOPE = "earned.replay.compare"
_PSEUDONYM = re.compile(r"<([A-Z]+|SENSITIVE:[A-Za-z0-9_.]+?)(?:_\d+)?>")


def _strip(text: str) -> str:
    return _PSEUDONYM.sub(r"<\1>", text)


def comparable(value: Any) -> Any:
    """`value` with every pseudonym's number dropped (`<EMAIL_2>` reads `<EMAIL>`)."""
    if isinstance(value, str):
        return _strip(value)
    if isinstance(value, dict):
        return {str(k): comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    return value


def has_pseudonyms(value: Any) -> bool:
    """True when a string inside `value` holds a redaction pseudonym."""
    return _PSEUDONYM.search(canonical_json(value)) is not None


def same_arguments(recorded: Any, live: Any, redactor: Any = None) -> bool:
    """True when two values are equal, or equal once both are redacted alike.

    One side may come from a stored (redacted) trace and the other from a live run: with a
    `redactor`, both are redacted and compared without pseudonym numbers.
    """
    if canonical_json(recorded) == canonical_json(live):
        return True
    if redactor is None:
        return False
    scope = redactor.scope(_SCOPE)
    return canonical_json(comparable(scope.value(recorded))) == canonical_json(
        comparable(scope.value(live))
    )
