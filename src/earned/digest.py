"""Canonical JSON and content digests: the one way earned hashes arguments and versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic_core import to_jsonable_python

__all__ = ["canonical_json", "digest"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values give equal text."""
    return json.dumps(
        to_jsonable_python(value, fallback=repr),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def digest(value: Any) -> str:
    """The SHA-256 hex digest of `value`'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
