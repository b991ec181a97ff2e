"""Versions of what an agent is made of, and the pins that choose them per capability.

A version is content-addressed: `(kind, name, digest)`, where the digest is earned's
content hash (`earned.digest.digest`) of the content text. Kinds:

=========  ===================================================  ===========================
kind       content                                              name
=========  ===================================================  ===========================
prompt     the instructions text                                the agent's name
model      a `provider:model` string (resolved by the registry)  the agent's name
tools      the tool set's definitions, as sorted JSON            the agent's name
policy     the policy file's YAML                                the agent's name
matrix     the capability matrix's YAML                          the matrix's name
agent      what the engine saw an agent made of at launch       the agent's name
=========  ===================================================  ===========================

A pin says which version of a kind a capability's runs use; a canary serves another
version of the same name to a sticky share of them. Pins are read when a run starts, so a
pin, a canary, a promotion or a rollback takes effect on the next run, without a deploy.

Every change (a new version, a pin, a canary, a promotion, a rollback) is written with its
audit entry in one transaction: actions `versions.record`, `versions.pin`,
`versions.canary`, `versions.promote` and `versions.rollback`, target `kind/name` for a
version and `capability/kind` for a pin, before and after the pin's row.
"""

from __future__ import annotations

import builtins
import difflib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import sqlalchemy as sa
from pydantic_core import to_jsonable_python

from earned.digest import digest
from earned.errors import UserError
from earned.store import AuditLog, Database
from earned.store._tables import (
    ROLLOUT_SCHEMA_VERSION,
    audit,
    capability_states,
    pins,
    versions,
)
from earned.store._upsert import insert_for

__all__ = [
    "KINDS",
    "PINNABLE_KINDS",
    "Pin",
    "Version",
    "VersionKind",
    "VersionNotFound",
    "VersionStore",
]

#: What can be versioned.
VersionKind = Literal["prompt", "model", "tools", "policy", "matrix", "agent"]
KINDS: tuple[VersionKind, ...] = get_args(VersionKind)
#: What a capability can pin (a matrix is not per capability; an agent record is a record).
PINNABLE_KINDS: tuple[VersionKind, ...] = ("prompt", "model", "tools", "policy")
#: Hex digits shown for a digest.
SHORT = 12
#: The author of what the engine records at launch.
LAUNCH_AUTHOR = "earned"
LAUNCH_MESSAGE = "seen at launch"
#: The key a policy's content carries when it was built in Python (not loadable YAML).
PYTHON_POLICY_KEY = "built_in_python"

_HEX = re.compile(r"^[0-9a-f]{4,64}$")


class VersionNotFound(UserError):
    """No version matches a reference (the error lists close matches)."""


@dataclass(frozen=True, kw_only=True)
class Version:
    """One recorded version: its content, who recorded it, when and why."""

    kind: VersionKind
    name: str
    digest: str
    content: str
    author: str
    message: str | None
    created_at: float

    @property
    def short(self) -> str:
        """The first 12 hex digits of the digest."""
        return self.digest[:SHORT]

    @property
    def ref(self) -> str:
        """`kind/name@short`, how the CLI names it."""
        return f"{self.kind}/{self.name}@{self.short}"

    @property
    def summary(self) -> str:
        """The content's first line with a letter or digit, cut to 80 characters."""
        lines = (s.strip() for s in self.content.splitlines())
        line = next((s for s in lines if any(c.isalnum() for c in s)), "")
        return line if len(line) <= 80 else line[:77] + "..."

    def to_dict(self, *, content: bool = True) -> dict[str, Any]:
        """The JSON form (without the content when `content=False`)."""
        data = dict(self.__dict__)
        data["short"] = self.short
        if not content:
            data.pop("content")
            data["summary"] = self.summary
        return data


@dataclass(frozen=True, kw_only=True)
class Pin:
    """Which version of one kind a capability's runs use, and its canary, if any."""

    capability: str
    kind: VersionKind
    name: str
    digest: str
    canary_digest: str | None = None
    canary_percent: float | None = None
    canary_by: str | None = None
    updated_at: float = 0.0
    updated_by: str = ""

    @property
    def has_canary(self) -> bool:
        """True while a canary serves part of the traffic."""
        return self.canary_digest is not None and bool(self.canary_percent)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)

    def state(self) -> dict[str, Any]:
        """What the audit log records as before/after."""
        return {
            "name": self.name,
            "digest": self.digest,
            "canary_digest": self.canary_digest,
            "canary_percent": self.canary_percent,
            "canary_by": self.canary_by,
        }


def canonical_content(content: Any) -> str:
    """Text content as given; anything else as sorted, indented JSON (diffs read well)."""
    if isinstance(content, str):
        return content
    data = to_jsonable_python(content, fallback=str)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _version(row: sa.RowMapping) -> Version:
    return Version(
        kind=cast(VersionKind, row["kind"]),
        name=row["name"],
        digest=row["digest"],
        content=row["content"],
        author=row["author"],
        message=row["message"],
        created_at=row["created_at"],
    )


def _pin(row: sa.RowMapping) -> Pin:
    return Pin(
        capability=row["capability"],
        kind=cast(VersionKind, row["kind"]),
        name=row["name"],
        digest=row["digest"],
        canary_digest=row["canary_digest"],
        canary_percent=row["canary_percent"],
        canary_by=row["canary_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


def check_kind(kind: str, *, pinnable: bool = False) -> VersionKind:
    """`kind` as a VersionKind, or a UserError naming the valid ones."""
    allowed = PINNABLE_KINDS if pinnable else KINDS
    if kind not in allowed:
        why = ""
        if pinnable and kind == "matrix":
            why = (
                " (the matrix is agent-wide: its live state is each capability's stage and "
                "flags, changed with `earned rollout` and `earned flags`)"
            )
        raise UserError(
            f"unknown {'pinnable ' if pinnable else ''}kind {kind!r}{why}; "
            f"use one of {', '.join(allowed)}",
            kind=kind,
        )
    return kind


def _normalise_ref(ref: str) -> str:
    text = ref.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    return text.removeprefix("sha256:")


def unified_diff(a: Version, b: Version) -> str:
    """A unified diff of two versions' contents ('' when they are equal)."""
    lines = difflib.unified_diff(
        a.content.splitlines(keepends=True),
        b.content.splitlines(keepends=True),
        fromfile=a.ref,
        tofile=b.ref,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class VersionStore:
    """Versions and pins in the project database; every change audited."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    # -- versions -------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        name: str,
        content: Any,
        *,
        author: str,
        message: str | None = None,
        touch: bool = False,
    ) -> Version:
        """Store a version (text, or a value stored as sorted JSON) and return it.

        The same content is stored once: recording it again returns the first version.

        `touch=True` moves an existing version's time to now (agent records use it, so the
        newest one is what the engine saw last).
        """
        kind = check_kind(kind)
        if not name or not isinstance(name, str):
            raise UserError(f"a version needs a name, got {name!r}", kind=kind)
        text = canonical_content(content)
        found = digest(text)
        now = self.clock()
        with self.db.engine.begin() as conn:
            row = {
                "kind": kind,
                "name": name,
                "digest": found,
                "content": text,
                "author": author,
                "message": message,
                "created_at": now,
                "schema_version": ROLLOUT_SCHEMA_VERSION,
            }
            stmt = insert_for(self.db.dialect, versions).values(row)
            keys = ["kind", "name", "digest"]
            stmt = stmt.on_conflict_do_nothing(index_elements=keys).returning(versions.c.digest)
            inserted = conn.execute(stmt).first() is not None
            if not inserted and touch:
                conn.execute(
                    sa.update(versions)
                    .where(
                        versions.c.kind == kind,
                        versions.c.name == name,
                        versions.c.digest == found,
                    )
                    .values(created_at=now)
                )
            if inserted:
                self.audit.record(
                    author,
                    "versions.record",
                    f"{kind}/{name}",
                    None,
                    found,
                    message,
                    connection=conn,
                )
        return self.get(found, kind=kind, name=name)

    def list(
        self,
        *,
        kind: str | None = None,
        name: str | None = None,
        limit: int = 50,
    ) -> builtins.list[Version]:
        """Versions, newest first (of one kind or name, when given)."""
        query = sa.select(versions).order_by(versions.c.created_at.desc(), versions.c.digest)
        if kind is not None:
            query = query.where(versions.c.kind == check_kind(kind))
        if name is not None:
            query = query.where(versions.c.name == name)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).mappings().all()
        return [_version(row) for row in rows]

    def get(self, ref: str, *, kind: str | None = None, name: str | None = None) -> Version:
        """The version a digest (or a prefix of 4+ hex digits) names.

        VersionNotFound lists close matches; an ambiguous prefix lists what it matches.
        """
        wanted = _normalise_ref(ref)
        if not _HEX.match(wanted):
            raise VersionNotFound(
                f"{ref!r} is not a version digest; give 4 to 64 hex digits (as `earned "
                "versions list` shows them)",
                ref=ref,
            )
        query = sa.select(versions).where(versions.c.digest.startswith(wanted, autoescape=True))
        if kind is not None:
            query = query.where(versions.c.kind == check_kind(kind))
        if name is not None:
            query = query.where(versions.c.name == name)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(20)).mappings().all()
        found = [_version(row) for row in rows]
        if len(found) == 1:
            return found[0]
        if found:
            raise UserError(
                f"{ref!r} matches {len(found)} versions: "
                f"{', '.join(v.ref for v in found)}; give more digits, or the kind and name",
                ref=ref,
                matches=[v.ref for v in found],
            )
        raise self._not_found(ref, wanted, kind=kind, name=name)

    def _not_found(
        self, ref: str, wanted: str, *, kind: str | None, name: str | None
    ) -> VersionNotFound:
        known = self.list(kind=kind, name=name, limit=200)
        shorts = {v.short: v for v in known}
        close = difflib.get_close_matches(wanted[:SHORT], list(shorts), n=5, cutoff=0.4)
        suggestions = [shorts[s].ref for s in close] or [v.ref for v in known[:5]]
        scope = "/".join(x for x in (kind, name) if x) or "any kind"
        hint = (
            f"close matches: {', '.join(suggestions)}"
            if suggestions
            else "no versions are recorded yet: launch an engine (it records what each "
            "agent is made of) or `earned versions record`"
        )
        return VersionNotFound(
            f"no version {ref!r} ({scope}); {hint}",
            ref=ref,
            kind=kind,
            name=name,
            close_matches=suggestions,
        )

    def diff(self, a: str | Version, b: str | Version) -> str:
        """A unified diff of two versions' contents (references or Version objects)."""
        first = a if isinstance(a, Version) else self.get(a)
        second = b if isinstance(b, Version) else self.get(b, kind=first.kind)
        return unified_diff(first, second)

    # -- pins -----------------------------------------------------------------------------

    def pins(self, capability: str | None = None) -> builtins.list[Pin]:
        """Every pin (of one capability, when given), by capability and kind."""
        query = sa.select(pins).order_by(pins.c.capability, pins.c.kind)
        if capability is not None:
            query = query.where(pins.c.capability == capability)
        with self.db.engine.connect() as conn:
            return [_pin(row) for row in conn.execute(query).mappings()]

    def pin_of(self, capability: str, kind: str) -> Pin | None:
        """The capability's pin of `kind`, or None."""
        kind = check_kind(kind)
        return next((p for p in self.pins(capability) if p.kind == kind), None)

    def agents(self) -> dict[str, dict[str, Any]]:
        """What the engine last saw each agent made of at launch: name -> its record."""
        found: dict[str, dict[str, Any]] = {}
        for version in reversed(self.list(kind="agent", limit=10_000)):
            found[version.name] = json.loads(version.content)
        return found

    def capabilities(self) -> builtins.set[str]:
        """Capabilities earned knows: set up from a matrix, or served by a launched agent."""
        with self.db.engine.connect() as conn:
            known = {r[0] for r in conn.execute(sa.select(capability_states.c.capability))}
        known |= {a["capability"] for a in self.agents().values() if a.get("capability")}
        return known

    def pin(
        self,
        capability: str,
        kind: str,
        ref: str,
        *,
        actor: str,
        reason: str | None = None,
        name: str | None = None,
        check: bool = True,
    ) -> Pin:
        """Pin version `ref` (a digest or prefix) of `kind` for `capability`; audited.

        Refused when it could change nothing (see `check_usable`; `check=False` skips
        that). Pinning the version already pinned changes nothing and is not audited.
        """
        from earned.rollout._pins import pin

        return pin(self, capability, kind, ref, actor=actor, reason=reason, name=name, check=check)

    def canary(
        self,
        capability: str,
        kind: str,
        ref: str,
        percent: float,
        *,
        actor: str,
        reason: str | None = None,
        by: str = "tenant",
    ) -> Pin:
        """Serve `ref` to `percent`% of the capability's runs beside the pin; audited.

        Sticky by `by` (`tenant`, `user`, or a field of the run's input); call it again to
        change the share (the keys already in stay in when it grows).
        """
        from earned.rollout._pins import canary

        return canary(self, capability, kind, ref, percent, actor=actor, reason=reason, by=by)

    def promote_canary(
        self, capability: str, kind: str, *, actor: str, reason: str | None = None
    ) -> Pin:
        """Pin the canary for all traffic; audited."""
        from earned.rollout._pins import promote

        return promote(self, capability, kind, actor=actor, reason=reason)

    def rollback(
        self, capability: str, kind: str, *, actor: str, reason: str | None = None
    ) -> Pin | None:
        """End the canary if one runs, else return to the previous pin; audited.

        Returns the pin now in force, or None when the capability is unpinned again (its
        runs use what the agent's code says).
        """
        from earned.rollout._pins import rollback

        return rollback(self, capability, kind, actor=actor, reason=reason)

    def history(self, capability: str, kind: str) -> builtins.list[Any]:
        """The audit entries of this pin, oldest first."""
        with self.db.engine.connect() as conn:
            return _pin_history(conn, capability, check_kind(kind))


def _pin_history(conn: sa.Connection, capability: str, kind: str) -> builtins.list[Any]:
    from earned.store import AuditEntry

    query = (
        sa.select(audit)
        .where(audit.c.target == f"{capability}/{kind}", audit.c.action.startswith("versions."))
        .order_by(audit.c.at, audit.c.audit_id)
    )
    return [AuditEntry.from_row(row) for row in conn.execute(query).mappings()]
