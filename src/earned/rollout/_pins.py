"""Changing pins: pin, canary, promote, rollback; each checked, locked and audited.

Each change reads the pin row (locked on PostgreSQL), writes the new row and its audit
entry in one transaction. A rollback goes back to the pin before the current one, as the
audit log tells it: pins and promotions push a digest, rollbacks pop one, so rolling back
twice after pinning A, B, C lands on A (and rolling back the first pin removes it: the
capability runs what its code says again). While a canary runs, a rollback ends the canary.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from earned.errors import UserError
from earned.rollout._versions import (
    LAUNCH_MESSAGE,
    PYTHON_POLICY_KEY,
    Pin,
    Version,
    _pin,
    _pin_history,
    check_kind,
)
from earned.store._tables import ROLLOUT_SCHEMA_VERSION, pins

if TYPE_CHECKING:
    from earned.rollout._versions import VersionStore

__all__ = ["canary", "check_canary_key", "pin", "promote", "rollback"]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def check_canary_key(by: str) -> str:
    """`tenant`, `user`, or the name of a field of the run's input; UserError otherwise."""
    if not _KEY.match(by or ""):
        raise UserError(
            f"cannot keep a canary sticky by {by!r}; use tenant, user, or the name of a "
            "field of the run's input (e.g. queue, region, ticket_id)",
            by=by,
        )
    return by


def _locked_row(conn: sa.Connection, capability: str, kind: str) -> Pin | None:
    query = sa.select(pins).where(pins.c.capability == capability, pins.c.kind == kind)
    row = conn.execute(query.with_for_update()).mappings().first()
    return None if row is None else _pin(row)


def _write(
    store: VersionStore,
    conn: sa.Connection,
    before: Pin | None,
    after: Pin | None,
    *,
    action: str,
    capability: str,
    kind: str,
    actor: str,
    reason: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Replace the pin row with `after` (None deletes it) and audit the change."""
    where = (pins.c.capability == capability, pins.c.kind == kind)
    if after is None:
        conn.execute(sa.delete(pins).where(*where))
    else:
        values = {
            **after.state(),
            "updated_at": after.updated_at,
            "updated_by": actor,
            "schema_version": ROLLOUT_SCHEMA_VERSION,
        }
        if before is None:
            conn.execute(sa.insert(pins).values(capability=capability, kind=kind, **values))
        else:
            conn.execute(sa.update(pins).where(*where).values(values))
    store.audit.record(
        actor,
        action,
        f"{capability}/{kind}",
        None if before is None else before.state(),
        None if after is None else after.state(),
        reason,
        details,
        connection=conn,
    )


def check_usable(store: VersionStore, capability: str, version: Version) -> None:
    """Refuse a pin that could change nothing.

    Refused: an unknown capability, another capability's agent, an agent without that
    kind, a policy built in Python.
    """
    known = store.capabilities()
    if capability not in known:
        raise UserError(
            f"no capability {capability!r} is known; known: "
            f"{', '.join(sorted(known)) or '(none: launch an engine with your agents first)'}",
            capability=capability,
            fix="use one of the known capabilities, or launch an engine whose agent or "
            "matrix declares it",
        )
    agents = store.agents()
    agent = agents.get(version.name)
    serving = sorted(n for n, a in agents.items() if a.get("capability") == capability)
    if agent is None:
        raise UserError(
            f"{version.ref} belongs to {version.name!r}, and no agent of that name was seen "
            f"at launch; agents serving {capability}: {', '.join(serving) or '(none seen)'}",
            capability=capability,
            version=version.ref,
        )
    if agent.get("capability") not in (None, capability):
        raise UserError(
            f"{version.ref} belongs to agent {version.name!r}, which serves capability "
            f"{agent['capability']!r}, not {capability!r}; agents serving {capability}: "
            f"{', '.join(serving) or '(none seen)'}",
            capability=capability,
            version=version.ref,
        )
    if not agent.get("uses", {}).get(version.kind):
        raise UserError(
            f"agent {version.name!r} ({agent.get('pattern', 'agent')}) has no "
            f"{version.kind}: pinning one on {capability} would change nothing",
            capability=capability,
            kind=version.kind,
            agent=version.name,
        )
    if version.kind == "policy" and _is_python_policy(version.content):
        raise UserError(
            f"{version.ref} is a policy built in Python (recorded as its rules' fingerprint), "
            "which cannot be loaded back; pin policies loaded from YAML (Policy.from_file)",
            version=version.ref,
        )


def _is_python_policy(content: str) -> bool:
    try:
        data = json.loads(content)
    except ValueError:
        return False
    return isinstance(data, dict) and PYTHON_POLICY_KEY in data


def pin(
    store: VersionStore,
    capability: str,
    kind: str,
    ref: str,
    *,
    actor: str,
    reason: str | None,
    name: str | None = None,
    check: bool = True,
) -> Pin:
    """Pin the version `ref` of `kind` for `capability` (a canary on it is promoted)."""
    kind = check_kind(kind, pinnable=True)
    version = store.get(ref, kind=kind, name=name)
    if check:
        check_usable(store, capability, version)
    with store.db.engine.begin() as conn:
        before = _locked_row(conn, capability, kind)
        if before is not None and before.digest == version.digest:
            return before
        keep = (
            before is not None
            and before.name == version.name
            and before.canary_digest not in (None, version.digest)
        )
        after = Pin(
            capability=capability,
            kind=kind,
            name=version.name,
            digest=version.digest,
            canary_digest=before.canary_digest if keep and before else None,
            canary_percent=before.canary_percent if keep and before else None,
            canary_by=before.canary_by if keep and before else None,
            updated_at=store.clock(),
            updated_by=actor,
        )
        _write(
            store, conn, before, after,
            action="versions.pin", capability=capability, kind=kind, actor=actor, reason=reason,
        )  # fmt: skip
    return after


def _no_pin(store: VersionStore, capability: str, kind: str) -> UserError:
    seen = [v for v in store.list(kind=kind, limit=50) if v.message == LAUNCH_MESSAGE]
    fix = (
        f"earned versions pin {capability} {seen[0].short}  (the {kind} seen at launch)"
        if seen
        else f"earned versions pin {capability} DIGEST"
    )
    return UserError(
        f"{capability} has no {kind} pin: a canary runs beside a pinned version; pin the "
        "baseline first",
        capability=capability,
        kind=kind,
        fix=fix,
    )


def canary(
    store: VersionStore,
    capability: str,
    kind: str,
    ref: str,
    percent: float,
    *,
    actor: str,
    reason: str | None,
    by: str = "tenant",
) -> Pin:
    """Serve version `ref` to `percent`% of the capability's runs, sticky by `by`."""
    kind = check_kind(kind, pinnable=True)
    if not 0 < percent <= 100:
        raise UserError(
            f"a canary's share must be above 0 and at most 100 percent, got {percent:g}; "
            "to end a canary, roll it back or promote it",
            percent=percent,
        )
    by = check_canary_key(by)
    current = store.pin_of(capability, kind)
    if current is None:
        raise _no_pin(store, capability, kind)
    version = store.get(ref, kind=kind, name=current.name)
    check_usable(store, capability, version)
    with store.db.engine.begin() as conn:
        before = _locked_row(conn, capability, kind)
        if before is None:
            raise _no_pin(store, capability, kind)
        if version.digest == before.digest:
            raise UserError(
                f"{version.ref} is the pinned version of {capability}/{kind} already; a "
                "canary serves another version beside it",
                version=version.ref,
            )
        after = replace(before, updated_at=store.clock(), updated_by=actor)
        after = _with_canary(after, version.digest, percent, by)
        _write(
            store, conn, before, after,
            action="versions.canary", capability=capability, kind=kind, actor=actor,
            reason=reason,
        )  # fmt: skip
    return after


def _with_canary(pin: Pin, digest: str | None, percent: float | None, by: str | None) -> Pin:
    return replace(pin, canary_digest=digest, canary_percent=percent, canary_by=by)


def promote(
    store: VersionStore, capability: str, kind: str, *, actor: str, reason: str | None
) -> Pin:
    """Make the canary the pinned version, for all traffic."""
    kind = check_kind(kind, pinnable=True)
    with store.db.engine.begin() as conn:
        before = _locked_row(conn, capability, kind)
        if before is None or before.canary_digest is None:
            raise UserError(
                f"{capability}/{kind} has no canary to promote; start one with "
                f"`earned versions canary {capability} DIGEST --percent 5`",
                capability=capability,
                kind=kind,
            )
        after = Pin(
            capability=capability,
            kind=kind,
            name=before.name,
            digest=before.canary_digest,
            updated_at=store.clock(),
            updated_by=actor,
        )
        _write(
            store, conn, before, after,
            action="versions.promote", capability=capability, kind=kind, actor=actor,
            reason=reason,
        )  # fmt: skip
    return after


def rollback(
    store: VersionStore, capability: str, kind: str, *, actor: str, reason: str | None
) -> Pin | None:
    """End the canary, if one runs; else go back to the previous pin (None: unpinned)."""
    kind = check_kind(kind, pinnable=True)
    with store.db.engine.begin() as conn:
        before = _locked_row(conn, capability, kind)
        if before is None:
            raise UserError(
                f"{capability}/{kind} is not pinned: there is nothing to roll back",
                capability=capability,
                kind=kind,
            )
        now = store.clock()
        details: dict[str, Any]
        if before.canary_digest is not None:
            after: Pin | None = _with_canary(before, None, None, None)
            details = {"ended_canary": before.canary_digest}
        else:
            previous = _previous(_pin_history(conn, capability, kind), before.digest)
            after = None
            if previous is not None:
                after = replace(_with_canary(before, None, None, None), digest=previous)
            details = {"to": previous}
        if after is not None:
            after = replace(after, updated_at=now, updated_by=actor)
        _write(
            store, conn, before, after,
            action="versions.rollback", capability=capability, kind=kind, actor=actor,
            reason=reason, details=details,
        )  # fmt: skip
    return after


def _previous(history: list[Any], current: str) -> str | None:
    """The digest before `current` on the pin stack the audit log describes."""
    stack: list[str] = []
    for entry in history:
        after = entry.after or {}
        if entry.action in ("versions.pin", "versions.promote"):
            stack.append(after["digest"])
        elif entry.action == "versions.rollback" and not (entry.details or {}).get("ended_canary"):
            if stack:
                stack.pop()
            if after and (not stack or stack[-1] != after.get("digest")):
                stack.append(after["digest"])  # a history that began before the log did
    if not stack or stack[-1] != current:
        stack.append(current)  # the row was changed outside earned: trust the row
    return stack[-2] if len(stack) >= 2 else None
