"""External flag sources: flagd, Unleash or any OpenFeature provider driving earned's flags.

A source answers `flag(scope, name)` with True, False, or None for "no opinion" (the flag
is unknown there, or the provider cannot answer). earned combines it with its own store:

    a flag is on  ==  the store says on  AND  the source does not say off

Off anywhere is off: an on-call engineer's `earned flags kill` cannot be overridden by a
provider, and a team that runs its switches in flagd can still turn earned off from
there. Values are read fresh on every read, like the store's, so a flip in the provider
applies at the next tool or model call of every running run.

`Rollout(matrix, store, flag_source=...)` wraps its store in a `SourcedStore`, which is a
`RolloutStore` whose two flag reads (`flags`, `snapshot`) also ask the source; everything
else (stages, changes, audit) is the store's own.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import replace
from typing import Protocol, runtime_checkable

from earned.rollout._state import AGENT_SCOPE, Flag, RolloutStore
from earned.stages import Stage

__all__ = ["FlagSource", "SourcedStore"]

_log = logging.getLogger("earned.rollout")


@runtime_checkable
class FlagSource(Protocol):
    """An external provider of earned's flags (see `earned.rollout.openfeature`)."""

    def flag(self, scope: str, name: str) -> bool | None:
        """The flag's value there: True, False, or None for no opinion.

        `scope` is `*` for agent-wide flags (`agent_enabled`, ...) or a capability's name
        (its kill switch is `enabled`).
        """
        ...


class SourcedStore(RolloutStore):
    """A RolloutStore whose flags are also switched off by an external source."""

    def __init__(self, store: RolloutStore, source: FlagSource) -> None:
        super().__init__(store.db, clock=store.clock)
        self.source = source

    def _off_there(self, scope: str, name: str) -> bool:
        try:
            return self.source.flag(scope, name) is False
        except Exception:  # a source that cannot answer has no opinion; the store decides
            _log.exception("flag source %r failed on %s/%s", self.source, scope, name)
            return False

    def flags(self, scope: str | None = None) -> builtins.list[Flag]:
        """The store's flags, each off when the source says off."""
        found = super().flags(scope)
        return [
            replace(flag, enabled=False, reason="off in the external flag source")
            if flag.enabled and self._off_there(flag.scope, flag.name)
            else flag
            for flag in found
        ]

    def snapshot(self, capability: str) -> tuple[Stage | None, dict[str, bool]]:
        """The store's snapshot, each flag off when the source says off."""
        stage, values = super().snapshot(capability)
        for key, enabled in values.items():
            scope, name = key.split("/", 1) if "/" in key else (AGENT_SCOPE, key)
            if enabled and self._off_there(scope, name):
                values[key] = False
        return stage, values
