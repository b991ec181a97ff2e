"""`Breakers`: every circuit breaker of an engine, one per tool and one per model.

    Breakers()                                   # defaults for every tool and model
    Breakers(BreakerSettings(cooldown=60),       # other defaults
             tools={"search": BreakerSettings(failure_rate=0.2), "audit_log": False},
             models={"openai:gpt-4.1": BreakerSettings(minimum_calls=20)},
             shared=True)                        # state in the project database

Settings of a tool, first found: `tools[name]` here (the operator's word), the tool's own
`@tool(breaker=...)`, the defaults. `False` turns a breaker off.

Per process by default: decisions come from memory; when an engine binds the registry to
its database, state changes are also published there (for `earned breakers` and the
Prometheus gauge) and `earned breakers reset` reaches open breakers. With `shared=True`
the database row *is* the state: a breaker opened by one worker fails fast in all of
them, and exactly one worker probes it after the cool-down.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from earned.errors import ConfigError
from earned.guards._breaker import BreakerBackend, BreakerSettings, CircuitBreaker, MemoryBackend

__all__ = ["Breakers"]

BreakerOption = BreakerSettings | bool


def process_name() -> str:
    """`host:pid`: who changed a breaker, in stored records."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _settings(value: Any, *, where: str, defaults: BreakerSettings) -> BreakerSettings | None:
    if value is None or value is True:
        return defaults
    if value is False:
        return None
    if isinstance(value, BreakerSettings):
        return value if value.enabled else None
    raise ConfigError(
        f"{where}: a breaker setting must be BreakerSettings(...), True or False, got "
        f"{type(value).__name__}",
        where=where,
    )


class Breakers:
    """The breakers of one engine, made on first use (thread-safe)."""

    def __init__(
        self,
        defaults: BreakerSettings | None = None,
        *,
        tools: Mapping[str, BreakerOption] | None = None,
        models: Mapping[str, BreakerOption] | None = None,
        shared: bool = False,
        clock: Callable[[], float] = time.time,
        backend: BreakerBackend | None = None,
        actor: str | None = None,
    ) -> None:
        self.defaults = defaults or BreakerSettings()
        self.tools = dict(tools or {})
        self.models = dict(models or {})
        self.shared = shared
        self.clock = clock
        self.actor = actor or process_name()
        self.backend: BreakerBackend = backend or MemoryBackend()
        self.scope = "shared" if shared else "local"
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}
        for kind, table in (("tools", self.tools), ("models", self.models)):
            for name, value in table.items():
                _settings(
                    value, where=f"Breakers({kind}={{{name!r}: ...}})", defaults=self.defaults
                )

    def __repr__(self) -> str:
        return f"Breakers({self.scope}, {len(self._breakers)} in use)"

    @property
    def blocking(self) -> bool:
        """True when breaker calls touch the database (run them off the event loop)."""
        return self.backend.blocking

    def bind(self, db: Any) -> Breakers:
        """Keep state in `db`: shared rows, or (per process) published state changes.

        Called by the engine at launch (again at a relaunch: every breaker moves to `db`).
        """
        from earned.guards._breaker_db import DatabaseBackend

        if self.shared:
            self.backend = DatabaseBackend(db, scope="shared", clock=self.clock)
        else:
            mirror = DatabaseBackend(db, scope="local", clock=self.clock)
            self.backend = MemoryBackend(mirror=mirror)
        with self._lock:
            for breaker in self._breakers.values():
                breaker.backend = self.backend
        return self

    # -- lookups --------------------------------------------------------------------------

    def for_tool(self, tool: Any) -> CircuitBreaker | None:
        """The breaker of `tool` (a Tool or a name), or None when it has none."""
        name = tool if isinstance(tool, str) else tool.name
        own = None if isinstance(tool, str) else getattr(tool, "breaker", None)
        chosen = self.tools.get(name, own)
        settings = _settings(chosen, where=f"tool {name!r}", defaults=self.defaults)
        return None if settings is None else self.get(f"tool:{name}", settings)

    def for_model(self, name: str) -> CircuitBreaker | None:
        """The breaker of the model `name` (`provider:model`), or None when it has none."""
        settings = _settings(self.models.get(name), where=f"model {name!r}", defaults=self.defaults)
        return None if settings is None else self.get(f"model:{name}", settings)

    def get(self, name: str, settings: BreakerSettings | None = None) -> CircuitBreaker:
        """The breaker called `name` (`tool:X`, `model:Y`), made with `settings` if new."""
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                breaker = CircuitBreaker(
                    name,
                    settings or self.defaults,
                    backend=self.backend,
                    clock=self.clock,
                    actor=self.actor,
                    scope=self.scope,
                )
                self._breakers[name] = breaker
            return breaker

    def in_use(self) -> list[CircuitBreaker]:
        """The breakers made so far, by name."""
        with self._lock:
            return [self._breakers[name] for name in sorted(self._breakers)]
