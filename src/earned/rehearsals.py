"""How shadow and replay runs (rehearsals) are told apart from live traffic.

Every run `earned.replay` starts is a *rehearsal*: it acts on nothing, and it must not count
as live traffic. Each is marked where every reader can see it:

- its run id starts with `shadow_` or `replay_`. Every table keyed by run id (runs, spans,
  approvals, the ledger, review items, feedback) therefore tells rehearsals apart without a
  join: `live_runs(table.c.run_id)` is the SQL condition that keeps live runs only;
- a shadow run's stage is `shadow` (the enforcement point simulates its writes); a replay
  keeps the recorded run's stage, so policy judges its calls as it judged the original;
- `correlation_id` names what it rehearses: the recorded run, or `dataset:NAME#CASE`;
- `request_id` names the shadow session or the replay batch it belongs to.

This module imports nothing of earned, so metrics, stop conditions and samplers can use
`live_runs` without importing the replay machinery.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

import sqlalchemy as sa

__all__ = [
    "REPLAY_PREFIX",
    "SHADOW_PREFIX",
    "RehearsalKind",
    "is_rehearsal",
    "live_runs",
    "new_rehearsal_id",
    "rehearsal_kind",
]

RehearsalKind = Literal["shadow", "replay"]
#: Run ids of shadow runs start with this.
SHADOW_PREFIX = "shadow_"
#: Run ids of replayed runs start with this.
REPLAY_PREFIX = "replay_"
_PREFIXES: dict[RehearsalKind, str] = {"shadow": SHADOW_PREFIX, "replay": REPLAY_PREFIX}


def new_rehearsal_id(kind: RehearsalKind) -> str:
    """A fresh run id for a shadow or replay run (`shadow_...`, `replay_...`)."""
    return f"{_PREFIXES[kind]}{int(time.time()):08x}{uuid.uuid4().hex[:18]}"


def rehearsal_kind(run_id: str) -> RehearsalKind | None:
    """`shadow` or `replay` for a rehearsal's run id; None for a live run."""
    for kind, prefix in _PREFIXES.items():
        if run_id.startswith(prefix):
            return kind
    return None


def is_rehearsal(run_id: str) -> bool:
    """True for the run id of a shadow or replay run."""
    return rehearsal_kind(run_id) is not None


def live_runs(run_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The SQL condition keeping live runs only: `run_id` is no shadow or replay run's."""
    return sa.and_(
        *(sa.not_(run_id.startswith(prefix, autoescape=True)) for prefix in _PREFIXES.values())
    )
