"""What changes by deploy is audited too: a new policy, a new matrix, new gates.

The engine writes `policy.changed` and `matrix.changed` at launch when they differ from the
last ones recorded; the eval store writes `manifest.changed` when a gate manifest version
is stored for the first time. Nothing in earned deletes an audit entry.
"""

from __future__ import annotations

import re
from pathlib import Path

from earned.evals import EvalStore, load_manifest
from earned.policy import Policy, Rule
from earned.runtime import Engine
from earned.store import AuditLog, Database
from tests.rollout.release_support import POLICY, shop_agent, write_matrix

SRC = Path(__file__).resolve().parents[2] / "src" / "earned"


async def test_policy_and_matrix_changes_are_audited_at_launch_once_each(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    log = AuditLog(db)
    for _ in range(2):  # the second launch changes nothing: nothing is recorded
        async with Engine([shop_agent()], database_url=db.url, matrix=matrix, monitor=False):
            pass
    (policy,) = log.list(action="policy.changed")
    assert (policy.actor, policy.target, policy.before, policy.after) == (
        "earned",
        "agent:shop",
        None,
        POLICY.version,
    )
    assert policy.details == {"digest": POLICY.digest, "source": None}
    (first,) = log.list(action="matrix.changed")
    assert (first.target, first.before, first.after) == ("matrix:shop", None, matrix.digest)
    assert first.details is not None
    assert sorted(first.details["rows"]) == ["notes", "orders", "payments"]

    stricter = Policy([*POLICY.rules, Rule.build("no-pay", "deny", tools=["pay"])], name="shop")
    edited = write_matrix(tmp_path, description="Notes, now with templates.")
    async with Engine(
        [shop_agent(policy=stricter)], database_url=db.url, matrix=edited, monitor=False
    ):
        pass
    changed = log.list(action="policy.changed")[0]
    assert (changed.before, changed.after) == (POLICY.version, stricter.version)
    moved = log.list(action="matrix.changed")[0]
    assert (moved.before, moved.after) == (matrix.digest, edited.digest)
    assert moved.details is not None
    assert moved.details["changed"] == ["notes"]
    assert [e.action for e in log.list(target="agent:shop")] == ["policy.changed"] * 2


def test_a_new_gate_manifest_version_is_audited_when_first_stored(
    db: Database, tmp_path: Path
) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "version: 1\ncapability: notes\nowner: ana\ngates:\n  - eval: tool_selection\n"
        "    minimum: 100%\n"
    )
    store, log = EvalStore(db), AuditLog(db)
    first = load_manifest(gates)
    store.save_manifest(first)
    store.save_manifest(first)  # the same version again: no entry
    gates.write_text(gates.read_text().replace("100%", "95%"))
    second = load_manifest(gates)
    store.save_manifest(second)
    entries = log.list(action="manifest.changed")
    assert [(e.target, e.before, e.after) for e in entries] == [
        ("manifest:notes", first.hash, second.hash),
        ("manifest:notes", None, first.hash),
    ]
    assert entries[0].actor == "earned"


def test_no_code_in_earned_deletes_or_updates_an_audit_entry() -> None:
    offending = []
    pattern = re.compile(
        r"(audit\.(delete|update)\(|sa\.(delete|update)\(audit\)|(DELETE FROM|UPDATE) earned_audit)"
    )
    for path in SRC.rglob("*.py"):
        if pattern.search(path.read_text()):
            offending.append(str(path.relative_to(SRC)))
    assert offending == []
