"""Types shared by the API's request models: ids, names and JSON values a database accepts.

Every string a request carries is checked before it reaches SQL: no NUL characters
(PostgreSQL refuses them), bounded lengths, ids from a safe alphabet. JSON values (run
input, edited outputs, tool arguments) must be finite and nested at most `MAX_DEPTH`
levels. A request that breaks these rules is a 422, never a server error.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

__all__ = [
    "ID_PATTERN",
    "MAX_DEPTH",
    "MAX_OFFSET",
    "Body",
    "Id",
    "IdPath",
    "JsonValue",
    "Limit",
    "Name",
    "NameQuery",
    "Note",
    "Offset",
    "check_json",
]

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,200}$"
#: Deepest JSON nesting accepted in a request body value.
MAX_DEPTH = 64
#: Largest list offset (beyond it, page with filters instead).
MAX_OFFSET = 1_000_000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def check_json(value: Any, depth: int = 0) -> Any:
    """`value` if it is JSON a database stores as is: finite numbers, no NUL, not too deep."""
    if depth > MAX_DEPTH:
        raise ValueError(f"is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must not contain NaN or Infinity")
    elif isinstance(value, dict):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            _no_nul(str(key))  # pyright: ignore[reportUnknownArgumentType]
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:  # pyright: ignore[reportUnknownVariableType]
            check_json(item, depth + 1)
    return value


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Note = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_no_nul)]
JsonValue = Annotated[Any, AfterValidator(check_json)]
IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="An id, as the API returned it.")]
NameQuery = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many.")]


class Body(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
