"""Configuration changes in the audit log: a policy or a matrix that differs from the last one.

Stage moves and flag flips are audited where they happen (`RolloutStore`). A policy or a
capability matrix changes by deploy, not by command, so the engine records them when it
launches: for each agent whose policy digest differs from the last `policy.changed` entry
of that agent, a `policy.changed` entry (before/after version, actor `earned`); for a matrix
whose digest differs from the last `matrix.changed` entry of that matrix, a
`matrix.changed` entry with the digest of each capability's row, so a release check can
tell when one capability's row last changed (`row_changed_at`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from earned.digest import digest
from earned.rollout._matrix import CapabilityMatrix, CapabilitySpec
from earned.store import AuditEntry, AuditLog, Database

__all__ = [
    "LAUNCH_ACTOR",
    "MATRIX_CHANGED",
    "POLICY_CHANGED",
    "audit_launch",
    "matrix_target",
    "row_changed_at",
    "row_digest",
]

#: Who the entries written at launch name: the engine itself.
LAUNCH_ACTOR = "earned"
POLICY_CHANGED = "policy.changed"
MATRIX_CHANGED = "matrix.changed"
#: How far back `row_changed_at` looks (matrix deploys, newest first).
_HISTORY = 500


def matrix_target(matrix: CapabilityMatrix) -> str:
    """The audit target of a matrix: `matrix:NAME`."""
    return f"matrix:{matrix.name}"


def row_digest(spec: CapabilitySpec) -> str:
    """The content hash of one capability's row of the matrix."""
    return digest(spec.model_dump(mode="json"))


def audit_launch(db: Database, agents: Iterable[Any], matrix: CapabilityMatrix | None) -> None:
    """Record each policy and the matrix that differ from their last audited version."""
    log = AuditLog(db)
    for agent in agents:
        policy = agent.policy
        version = str(policy.version)
        target = f"agent:{agent.name}"
        last = _last(log, POLICY_CHANGED, target)
        if last is not None and last.after == version:
            continue
        log.record(
            LAUNCH_ACTOR,
            POLICY_CHANGED,
            target,
            None if last is None else last.after,
            version,
            "the agent launched with a policy that differs from the last one recorded",
            {
                "digest": getattr(policy, "digest", None),
                "source": getattr(policy, "source", None),
            },
        )
    if matrix is not None:
        _audit_matrix(log, matrix)


def _audit_matrix(log: AuditLog, matrix: CapabilityMatrix) -> None:
    target = matrix_target(matrix)
    last = _last(log, MATRIX_CHANGED, target)
    if last is not None and last.after == matrix.digest:
        return
    rows = {name: row_digest(spec) for name, spec in matrix.capabilities.items()}
    before_rows = (last.details or {}).get("rows", {}) if last is not None else {}
    changed = sorted(n for n in rows if before_rows.get(n) != rows[n])
    removed = sorted(n for n in before_rows if n not in rows)
    log.record(
        LAUNCH_ACTOR,
        MATRIX_CHANGED,
        target,
        None if last is None else last.after,
        matrix.digest,
        "the engine launched with a matrix that differs from the last one recorded",
        {
            "version": matrix.version,
            "source": matrix.source,
            "rows": rows,
            "changed": changed,
            "removed": removed,
        },
    )


def _last(log: AuditLog, action: str, target: str) -> AuditEntry | None:
    found = log.list(action=action, target=target, limit=1)
    return found[0] if found else None


def row_changed_at(
    db: Database, matrix: CapabilityMatrix, capability: str
) -> tuple[AuditEntry | None, float | None]:
    """The latest `matrix.changed` entry, and when `capability`'s row took its current form.

    The time is that of the oldest entry in the unbroken run of newest entries whose row
    digest for `capability` equals the latest one's (None when the row is not in it).
    """
    entries = AuditLog(db).list(action=MATRIX_CHANGED, target=matrix_target(matrix), limit=_HISTORY)
    if not entries:
        return None, None
    current = (entries[0].details or {}).get("rows", {}).get(capability)
    if current is None:
        return entries[0], None
    since = entries[0].at
    for entry in entries[1:]:
        if (entry.details or {}).get("rows", {}).get(capability) != current:
            break
        since = entry.at
    return entries[0], since
