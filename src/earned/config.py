"""Project settings: where the database lives and which environment this is.

Read from keyword arguments first, then environment variables, then defaults:

==================  ========================  ====================================
setting             environment variable      default
==================  ========================  ====================================
``database_url``    ``EARNED_DATABASE_URL``   ``sqlite:///./.earned/earned.db``
``environment``     ``EARNED_ENV``            ``dev``
==================  ========================  ====================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///./.earned/earned.db"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where runs are stored and the environment policy rules are matched against."""

    database_url: str = DEFAULT_DATABASE_URL
    environment: str = "dev"

    @classmethod
    def load(
        cls,
        *,
        database_url: str | None = None,
        environment: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from arguments, then `env` (default: os.environ), then defaults."""
        source = os.environ if env is None else env
        return cls(
            database_url=database_url or source.get("EARNED_DATABASE_URL") or DEFAULT_DATABASE_URL,
            environment=environment or source.get("EARNED_ENV") or "dev",
        )
