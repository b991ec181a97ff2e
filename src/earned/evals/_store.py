"""The eval tables: datasets by content hash, every manifest version, eval runs, case results.

Datasets and manifests are keyed by their content hash and written once: the first time a
manifest version is seen is kept (`first_seen_at`), so an edit after an eval run's results
is visible. Case results are written in batches by the runner; an interrupted eval run is
resumed by skipping the cases already stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from earned.evals._dataset import Dataset
from earned.evals._manifest import GateManifest
from earned.evals._records import CaseResult, EvalRunRecord, EvalRunStatus, ManifestVersion
from earned.evals._scenario import Scenario
from earned.store import AuditLog, Database
from earned.store._runs import check_schema_version
from earned.store._tables import (
    EVAL_SCHEMA_VERSION,
    eval_case_results,
    eval_datasets,
    eval_manifests,
    eval_runs,
)
from earned.store._upsert import insert_for

__all__ = ["EvalStore"]

#: Largest page `EvalStore.runs` returns.
MAX_LIMIT = 1000


class EvalStore:
    """Reads and writes the eval tables of the project database."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self._clock = clock

    # -- datasets and manifests -------------------------------------------------------------

    def save_dataset(self, dataset: Dataset) -> None:
        """Store the dataset under its hash (a no-op when that version is stored)."""
        stmt = insert_for(self.db.dialect, eval_datasets).values(
            dataset_hash=dataset.hash,
            name=dataset.name,
            source=dataset.source,
            cases=len(dataset),
            scenarios=[s.to_dict() for s in dataset],
            created_at=self._clock(),
            schema_version=EVAL_SCHEMA_VERSION,
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["dataset_hash"]))

    def dataset(self, dataset_hash: str) -> Dataset | None:
        """The stored dataset with this hash, or None."""
        query = sa.select(eval_datasets).where(eval_datasets.c.dataset_hash == dataset_hash)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        _check(row, "eval dataset", dataset_hash)
        scenarios = tuple(Scenario.model_validate(s) for s in row["scenarios"])
        return Dataset(name=row["name"], scenarios=scenarios, source=row["source"])

    def save_manifest(self, manifest: GateManifest) -> ManifestVersion:
        """Store this manifest version if it is new; return it with its first-seen time."""
        stmt = insert_for(self.db.dialect, eval_manifests).values(
            manifest_hash=manifest.hash,
            capability=manifest.capability,
            source=manifest.source,
            text=manifest.text,
            data=manifest.data,
            first_seen_at=self._clock(),
            schema_version=EVAL_SCHEMA_VERSION,
        )
        with self.db.engine.begin() as conn:
            new = stmt.on_conflict_do_nothing(index_elements=["manifest_hash"]).returning(
                eval_manifests.c.manifest_hash
            )
            if conn.execute(new).first() is not None:  # new gates: an audited change
                _audit_manifest(self.db, conn, manifest, self._clock)
        found = self.manifest(manifest.hash)
        assert found is not None
        return found

    def manifest(self, manifest_hash: str) -> ManifestVersion | None:
        """The stored manifest version with this hash, or None."""
        query = sa.select(eval_manifests).where(eval_manifests.c.manifest_hash == manifest_hash)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _manifest(row)

    def manifest_versions(self, capability: str | None = None) -> list[ManifestVersion]:
        """Every stored manifest version (of one capability), oldest first."""
        query = sa.select(eval_manifests).order_by(
            eval_manifests.c.first_seen_at, eval_manifests.c.manifest_hash
        )
        if capability is not None:
            query = query.where(eval_manifests.c.capability == capability)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_manifest(r) for r in rows]

    # -- eval runs --------------------------------------------------------------------------

    def create_run(self, record: EvalRunRecord) -> None:
        """Store a new eval run."""
        values = record.to_dict()
        values["schema_version"] = EVAL_SCHEMA_VERSION
        with self.db.engine.begin() as conn:
            conn.execute(sa.insert(eval_runs).values(**values))

    def get_run(self, eval_run_id: str) -> EvalRunRecord | None:
        """The eval run with this id, or None."""
        query = sa.select(eval_runs).where(eval_runs.c.eval_run_id == eval_run_id)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _run(row)

    def find_resumable(
        self,
        *,
        suite: str,
        capability: str,
        manifest_hash: str,
        dataset_hash: str,
        target_hash: str,
    ) -> EvalRunRecord | None:
        """The newest unfinished eval run with exactly this suite, gates, data and target."""
        query = (
            sa.select(eval_runs)
            .where(
                eval_runs.c.target_hash == target_hash,
                eval_runs.c.status.in_(["running", "interrupted"]),
                eval_runs.c.suite == suite,
                eval_runs.c.capability == capability,
                eval_runs.c.manifest_hash == manifest_hash,
                eval_runs.c.dataset_hash == dataset_hash,
            )
            .order_by(eval_runs.c.started_at.desc())
            .limit(1)
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _run(row)

    def runs(
        self,
        *,
        suite: str | None = None,
        capability: str | None = None,
        project: str | None = None,
        status: EvalRunStatus | None = None,
        limit: int = 50,
    ) -> list[EvalRunRecord]:
        """Eval runs, newest first, optionally of one suite, capability or project."""
        query = sa.select(eval_runs).order_by(
            eval_runs.c.started_at.desc(), eval_runs.c.eval_run_id.desc()
        )
        for column, value in (
            (eval_runs.c.suite, suite),
            (eval_runs.c.capability, capability),
            (eval_runs.c.project, project),
            (eval_runs.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(max(1, min(limit, MAX_LIMIT)))).mappings().all()
        return [_run(r) for r in rows]

    def set_run_status(self, eval_run_id: str, status: EvalRunStatus, *, cases_done: int) -> None:
        """Record progress (or an interruption) of an eval run."""
        stmt = (
            sa.update(eval_runs)
            .where(eval_runs.c.eval_run_id == eval_run_id)
            .values(status=status, cases_done=cases_done, updated_at=self._clock())
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def finish_run(
        self, eval_run_id: str, *, verdict: str, summary: dict[str, Any], cases_done: int
    ) -> None:
        """Store the judged result of a completed eval run."""
        now = self._clock()
        stmt = (
            sa.update(eval_runs)
            .where(eval_runs.c.eval_run_id == eval_run_id)
            .values(
                status="completed",
                verdict=verdict,
                summary=summary,
                cases_done=cases_done,
                ended_at=now,
                updated_at=now,
            )
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    # -- case results -----------------------------------------------------------------------

    def add_case_results(self, eval_run_id: str, results: Sequence[CaseResult]) -> None:
        """Store case results in one transaction (a case already stored is kept as is)."""
        if not results:
            return
        now = self._clock()
        rows = [
            {
                **{k: v for k, v in r.to_dict().items() if k != "passed"},
                "passed": r.passed,
                "eval_run_id": eval_run_id,
                "created_at": now,
                "schema_version": EVAL_SCHEMA_VERSION,
            }
            for r in results
        ]
        stmt = insert_for(self.db.dialect, eval_case_results).on_conflict_do_nothing(
            index_elements=["eval_run_id", "case_id"]
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    def done_case_ids(self, eval_run_id: str) -> set[str]:
        """Ids of the cases of this eval run that have a stored result."""
        query = sa.select(eval_case_results.c.case_id).where(
            eval_case_results.c.eval_run_id == eval_run_id
        )
        with self.db.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def case_results(
        self, eval_run_id: str, *, traces: bool = False, failed_only: bool = False
    ) -> list[CaseResult]:
        """The stored case results of an eval run, in dataset order."""
        columns = [c for c in eval_case_results.columns if traces or c.name != "trace"]
        query = (
            sa.select(*columns)
            .where(eval_case_results.c.eval_run_id == eval_run_id)
            .order_by(eval_case_results.c.position)
        )
        if failed_only:
            query = query.where(eval_case_results.c.passed.is_(False))
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        for row in rows:
            _check(row, "eval case result", f"{eval_run_id}/{row['case_id']}")
        return [CaseResult.from_dict(dict(row)) for row in rows]


def _audit_manifest(
    db: Database, conn: sa.Connection, manifest: GateManifest, clock: Callable[[], float]
) -> None:
    """Write `manifest.changed` (previous version -> this one) in the caller's transaction."""
    previous = conn.execute(
        sa.select(eval_manifests.c.manifest_hash)
        .where(
            eval_manifests.c.capability == manifest.capability,
            eval_manifests.c.manifest_hash != manifest.hash,
        )
        .order_by(eval_manifests.c.first_seen_at.desc())
        .limit(1)
    ).scalar()
    AuditLog(db, clock=clock).record(
        "earned",
        "manifest.changed",
        f"manifest:{manifest.capability}",
        previous,
        manifest.hash,
        "a new version of the gate manifest was stored (before any result judged against it)",
        {"source": manifest.source},
        connection=conn,
    )


def _check(row: Any, what: str, key: str) -> None:
    check_schema_version(row["schema_version"], EVAL_SCHEMA_VERSION, what=f"{what} {key!r}")


def _manifest(row: Any) -> ManifestVersion:
    _check(row, "eval manifest", row["manifest_hash"])
    return ManifestVersion(
        manifest_hash=row["manifest_hash"],
        capability=row["capability"],
        source=row["source"],
        first_seen_at=row["first_seen_at"],
        text=row["text"],
        data=row["data"] or {},
    )


def _run(row: Any) -> EvalRunRecord:
    _check(row, "eval run", row["eval_run_id"])
    fields = {k: v for k, v in dict(row).items() if k != "schema_version"}
    fields["versions"] = fields.get("versions") or {}
    fields["settings"] = fields.get("settings") or {}
    return EvalRunRecord(**fields)
