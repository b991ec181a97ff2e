"""Planted canaries (an e-mail, a card, an API key, an IBAN, an SSN, a phone number) go
through real durable runs: in the input, a tool argument, a tool result and the output.
Afterwards every table and every column of the database file is searched for them.

The Engine redacts run payloads (RunStore), events (a RedactingSink in front of every
sink), ledger results and approval requests. What the search finds:

- earned_* tables: no canary.
- DBOS's own tables keep workflow inputs, step outputs and workflow outputs exactly, for
  recovery: they are sealed at rest (AES-256-GCM, see earned.sealing), so no canary shows.
"""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

import pytest
import sqlalchemy as sa

from earned.redaction import Redactor
from earned.runtime import Engine
from tests.redaction.agents import CANARIES, ESCALATING, canary_agent


def _decoded(value: str) -> str:
    """DBOS's default serialisation (base64 of a pickle), decoded; "" when it is not that."""
    try:
        return repr(pickle.loads(base64.b64decode(value, validate=True)))
    except Exception:
        return ""


def scan(database_url: str) -> dict[tuple[str, str], list[str]]:
    """(table, column) -> the canaries found there, as stored or once decoded."""
    engine = sa.create_engine(database_url)
    found: dict[tuple[str, str], list[str]] = {}
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings().all()
                for row in rows:
                    for column, value in row.items():
                        if value is None:
                            continue
                        text = str(value)
                        if isinstance(value, str):
                            text += _decoded(value)
                        names = CANARIES.found_in(text)
                        if names:
                            hits = found.setdefault((table, column), [])
                            hits.extend(n for n in names if n not in hits)
    finally:
        engine.dispose()
    return found


@pytest.fixture(scope="module")
def canary_db(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[str]]:
    """Run the canary agents durably once; the scan of the database file afterwards."""
    import asyncio

    path: Path = tmp_path_factory.mktemp("canaries") / "earned.db"
    url = f"sqlite:///{path}"
    redactor = Redactor(sensitive_fields={"customer_note"})

    async def run() -> None:
        agent = canary_agent("canary_durable")
        async with Engine([agent, ESCALATING], database_url=url, redactor=redactor) as e:
            completed = await e.run(agent, CANARIES.ticket())
            escalated = await e.run(ESCALATING, CANARIES.ticket())
        assert completed.status == "completed", completed.error
        assert escalated.status == "escalated", escalated.error
        # The caller gets the real values back; only what is written is redacted.
        assert CANARIES.found_in(repr(completed.output)) == ["card", "email", "iban"]

    asyncio.run(run())
    return scan(url)


@pytest.mark.slow
def test_no_canary_in_earneds_run_and_span_tables(
    canary_db: dict[tuple[str, str], list[str]],
) -> None:
    leaks = {k: v for k, v in canary_db.items() if k[0] in ("earned_runs", "earned_spans")}
    assert leaks == {}


@pytest.mark.slow
def test_no_canary_in_any_earned_table(canary_db: dict[tuple[str, str], list[str]]) -> None:
    leaks = {k: v for k, v in canary_db.items() if k[0].startswith("earned_")}
    assert leaks == {}


@pytest.mark.slow
def test_no_canary_anywhere_in_the_database(canary_db: dict[tuple[str, str], list[str]]) -> None:
    """DBOS keeps exact inputs and step results for recovery: they are sealed at rest."""
    assert canary_db == {}


def test_dbos_payloads_are_sealed(tmp_path: Path) -> None:
    """The scan sees sealed payloads in DBOS's tables, and cannot read them."""
    from earned.sealing import Sealer, load_data_key

    url = f"sqlite:///{tmp_path / 'sealed.db'}"
    sealer = Sealer(load_data_key(url))
    sealed = sealer.seal({"k": CANARIES.iban})
    assert sealed.startswith("s1:")
    assert CANARIES.found_in(sealed + _decoded(sealed)) == []
    assert sealer.unseal(sealed) == {"k": CANARIES.iban}


def test_the_scan_finds_a_canary_wherever_it_is_stored(tmp_path: Path) -> None:
    """The scan itself can fail: a raw and a pickled canary are both found."""
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    engine = sa.create_engine(url)
    pickled = base64.b64encode(pickle.dumps({"k": CANARIES.iban})).decode()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (a TEXT, b TEXT)"))
        conn.execute(
            sa.text("INSERT INTO t VALUES (:a, :b)"), {"a": f"x {CANARIES.email}", "b": pickled}
        )
    engine.dispose()
    assert scan(url) == {("t", "a"): ["email"], ("t", "b"): ["iban"]}
