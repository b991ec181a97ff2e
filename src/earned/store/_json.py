"""The JSON encoder the store's engines use for JSON columns.

Attributes of a span or the output of a run may hold values `json` cannot encode
(Pydantic models, dataclasses, sets, bytes, datetimes). Writing must never fail because
of one such value, so they are converted: models and dataclasses to their JSON form,
sets to sorted lists, anything else to its `repr`. PostgreSQL's JSONB also refuses NaN,
infinities and the NUL character: those become null and U+FFFD.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from typing import Any

from pydantic import BaseModel

__all__ = ["dumps", "jsonable"]


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return repr(value)


def jsonable(value: Any) -> Any:
    """`value` with non-finite floats as None and NUL characters as U+FFFD, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, BaseModel | set | frozenset | bytes) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        return jsonable(_default(value))
    if isinstance(value, dict):
        return {jsonable(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Encode `value` as JSON text, converting what `json` or PostgreSQL cannot take."""
    try:
        text = json.dumps(value, default=_default, allow_nan=False)
        if "\\u0000" not in text:
            return text
    except ValueError:  # a NaN or infinity somewhere, or a circular reference
        pass
    try:
        return json.dumps(jsonable(value), default=_default, allow_nan=False)
    except ValueError:
        return json.dumps(repr(value))
