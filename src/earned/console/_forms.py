"""Posted forms: read a URL-encoded body, check its CSRF token, and validate its fields.

The console posts plain HTML forms (`application/x-www-form-urlencoded`). They are read
here rather than through python-multipart: one small format, a bounded number of fields,
strict UTF-8, and a readable 400 for anything else. Field helpers (`text`, `choice`,
`json_object`, ...) raise `FormError`, which the pages show next to the form.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from earned.errors import UserError
from earned.server._schemas import MAX_DEPTH, check_json

__all__ = ["Form", "FormError", "check_filters", "number", "read_form"]

#: Most fields a console form may post.
MAX_FIELDS = 200
_FORM_TYPE = "application/x-www-form-urlencoded"


class FormError(UserError):
    """A form field is missing or invalid; the message says which and what to enter."""


@dataclass(frozen=True)
class Form:
    """The fields of a posted form (the last value wins for a field given twice)."""

    fields: dict[str, str]

    def get(self, name: str) -> str | None:
        """The field's value with surrounding spaces removed, or None when absent or empty."""
        value = self.fields.get(name, "").strip()
        return value or None

    def text(self, name: str, *, label: str, max_length: int = 4000, required: bool = True) -> str:
        """A text field of at most `max_length` characters (FormError when required and empty)."""
        value = self.get(name)
        if value is None:
            if required:
                raise FormError(f"{label} is required", field=name, fix=f"enter {label}")
            return ""
        if len(value) > max_length or "\x00" in value:
            raise FormError(
                f"{label} must be at most {max_length} characters",
                field=name,
                fix=f"shorten {label}",
            )
        return value

    def choice(self, name: str, options: tuple[str, ...], *, label: str) -> str:
        """One of `options` (FormError naming them otherwise)."""
        value = self.get(name)
        if value not in options:
            raise FormError(
                f"{label} must be one of {', '.join(options)}",
                field=name,
                fix=f"choose {label}",
            )
        return value

    def json_value(self, name: str, *, label: str) -> Any:
        """Any JSON value typed into a text area (FormError with the parser's position)."""
        raw = self.text(name, label=label, max_length=100_000)
        try:
            value = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise FormError(
                f"{label} is not valid JSON: {exc}",
                field=name,
                fix='enter JSON: a "quoted string", a number, or an object such as {"a": 1}',
            ) from exc
        try:
            return check_json(value)
        except ValueError as exc:
            raise FormError(
                f"{label} {exc} (nesting at most {MAX_DEPTH} levels)",
                field=name,
                fix="remove NUL characters and deep nesting",
            ) from exc

    def json_object(self, name: str, *, label: str) -> dict[str, Any]:
        """A JSON object typed into a text area (FormError otherwise)."""
        value = self.json_value(name, label=label)
        if not isinstance(value, dict):
            raise FormError(
                f"{label} must be a JSON object, got {type(value).__name__}",
                field=name,
                fix='enter a JSON object such as {"amount": 20.0}',
            )
        return value


def _no_constant(name: str) -> float:
    """Refuse NaN and Infinity, which JSON does not have."""
    raise ValueError(f"{name} is not a JSON number")


def number(value: str | None, *, label: str, minimum: float = 0.0) -> float | None:
    """A finite number >= `minimum` from a query or form field (None when empty)."""
    if value is None or not value.strip():
        return None
    try:
        found = float(value)
    except ValueError as exc:
        raise FormError(f"{label} must be a number, got {value!r}", fix="enter a number") from exc
    if not math.isfinite(found) or found < minimum:
        raise FormError(
            f"{label} must be a finite number of at least {minimum:g}, got {value!r}",
            fix=f"enter a number >= {minimum:g}",
        )
    return found


def check_filters(values: dict[str, str]) -> None:
    """UserError naming the first filter that holds a NUL character (no database takes it)."""
    for name, value in values.items():
        if "\x00" in value:
            raise FormError(
                f"{name} must not contain NUL characters", field=name, fix=f"retype {name}"
            )


async def read_form(request: Request) -> Form:
    """The posted form's fields; FormError for another content type or a malformed body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != _FORM_TYPE:
        raise FormError(
            f"the console accepts forms posted as {_FORM_TYPE}, not {kind or 'no content type'}",
            fix="submit the form from the console page",
        )
    body = await request.body()
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )  # fmt: skip
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError(
            f"the form could not be read: {exc}",
            fix=f"post UTF-8 form data with at most {MAX_FIELDS} fields",
        ) from exc
    return Form(dict(pairs))
