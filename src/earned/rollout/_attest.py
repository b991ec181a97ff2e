"""Attestations: a person's word for a checklist item no query can check (who, when, note).

Each attestation is appended to `earned_attestations` with its `release.attest` audit
entry in one transaction; none is ever updated or deleted. The newest one of an item
counts, until the capability changes stage or it grows older than its maximum age.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from earned.errors import UserError
from earned.store import AuditLog, Database
from earned.store._tables import ROLLOUT_SCHEMA_VERSION, attestations

__all__ = ["ATTEST_ACTION", "Attestation", "AttestationStore"]

#: The audit action of an attestation.
ATTEST_ACTION = "release.attest"


@dataclass(frozen=True, kw_only=True)
class Attestation:
    """One person's statement that a checklist item holds for a capability."""

    attestation_id: int
    capability: str
    item: str
    attested_by: str
    attested_at: float
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


def _attestation(row: sa.RowMapping) -> Attestation:
    return Attestation(
        attestation_id=row["attestation_id"],
        capability=row["capability"],
        item=row["item"],
        attested_by=row["attested_by"],
        attested_at=row["attested_at"],
        note=row["note"],
    )


class AttestationStore:
    """Append and read attestations (no update, no delete)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    def record(self, capability: str, item: str, *, note: str, actor: str) -> Attestation:
        """Append an attestation and its audit entry, together or not at all."""
        note, actor = (note or "").strip(), (actor or "").strip()
        if not note or not actor:
            raise UserError(
                "an attestation needs who attests and a note saying what was checked, got "
                f"actor={actor!r} note={note!r}",
                fix='pass --note "what you checked" (and --as WHO, or set EARNED_USER)',
                capability=capability,
                item=item,
            )
        now = self.clock()
        with self.db.engine.begin() as conn:
            attestation_id = conn.execute(
                sa.insert(attestations)
                .values(
                    capability=capability,
                    item=item,
                    attested_by=actor,
                    attested_at=now,
                    note=note,
                    schema_version=ROLLOUT_SCHEMA_VERSION,
                )
                .returning(attestations.c.attestation_id)
            ).scalar_one()
            self.audit.record(
                actor,
                ATTEST_ACTION,
                capability,
                None,
                {"item": item, "note": note},
                note,
                {"item": item, "attestation_id": attestation_id},
                connection=conn,
            )
        return Attestation(
            attestation_id=attestation_id,
            capability=capability,
            item=item,
            attested_by=actor,
            attested_at=now,
            note=note,
        )

    def latest(self, capability: str) -> dict[str, Attestation]:
        """The newest attestation of each item of `capability`."""
        found: dict[str, Attestation] = {}
        for attestation in self.list(capability=capability, limit=1000):
            found.setdefault(attestation.item, attestation)  # newest first
        return found

    def list(
        self, *, capability: str | None = None, item: str | None = None, limit: int = 100
    ) -> builtins.list[Attestation]:
        """Attestations, newest first, of one capability and item when given."""
        query = sa.select(attestations).order_by(
            attestations.c.attested_at.desc(), attestations.c.attestation_id.desc()
        )
        if capability is not None:
            query = query.where(attestations.c.capability == capability)
        if item is not None:
            query = query.where(attestations.c.item == item)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(max(1, min(limit, 1000)))).mappings().all()
        return [_attestation(row) for row in rows]
