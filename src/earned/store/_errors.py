"""Errors raised by the store (defined with the rest in `earned.errors`).

Configuration problems (a bad URL, an unreachable server, a missing driver) raise
`earned.errors.ConfigError`.
"""

from __future__ import annotations

from earned.errors import RunNotFoundError, SchemaVersionError, SpanWriteError

__all__ = ["RunNotFoundError", "SchemaVersionError", "SpanWriteError"]
