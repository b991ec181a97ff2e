"""Schemathesis against the real app in-process (ASGI), with a real Engine and a valid token.

Every operation in /openapi.json gets generated requests, valid and invalid (schemathesis'
positive and negative modes), on SQLite and on PostgreSQL. The checks are pinned:

- `not_a_server_error`: zero 5xx, whatever the input;
- `status_code_conformance`, `content_type_conformance`, `response_schema_conformance`:
  every answer is one the schema documents, in the documented shape (errors included);
- `negative_data_rejection`: input the schema forbids is refused with a 4xx;
- `ignored_auth`: every secured operation refuses a request without a valid token.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from earned.runtime import Engine
from earned.server import TokenStore, create_app
from tests.conftest import ENGINE_BACKENDS, POSTGRES_URL
from tests.review.seed import seed_approval, seed_run
from tests.server.agents import ECHO, REFUND

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
#: The matrix the engine runs under, so the rollout routes are fuzzed on real state.
FUZZ_MATRIX = """\
version: 1
name: fuzzed
owner: ops
capabilities:
  - {name: draft_reply, owner: ops, stage: autonomous, tools: [echo], max_risk: read,
     required_eval: gates.yaml, rollback: drafts off}
  - {name: submit_refund, owner: ops, stage: approval_required, tools: [submit_refund],
     max_risk: irreversible, required_eval: gates.yaml, rollback: approvals on}
"""
#: Generated cases per operation (times two backends).
EXAMPLES = int(os.environ.get("EARNED_FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module", params=ENGINE_BACKENDS)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The app on a fresh database, its schema loaded (which starts its lifespan), a token."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'earned.db'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"earned_fuzz_{uuid.uuid4().hex[:12]}"
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        drop = (server, name)
    matrix = tmp_path_factory.mktemp("matrix") / "capabilities.yaml"
    matrix.write_text(FUZZ_MATRIX)
    engine = Engine([ECHO, REFUND], database_url=url, matrix=matrix, monitor=False)
    app = create_app(engine=engine)
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        assert engine.db is not None  # the lifespan launched the engine
        seed_run(engine.db, "run_seeded", tenant="acme", stage="assist")
        seed_approval(engine.db, "run_waiting", tenant="acme")
        secret = TokenStore(engine.db).create(name="fuzzer", role="admin", tenant="acme").secret
        schema.config.generation.update(max_examples=EXAMPLES, allow_x00=True)
        yield {"schema": schema, "headers": {"Authorization": f"Bearer {secret}"}}
    finally:
        asgi.shutdown_lifespans()  # shuts the engine down
        if drop is not None:
            with drop[0].connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{drop[1]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def api_schema(fuzzed: dict[str, Any]) -> Any:
    return fuzzed["schema"]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_input_makes_the_server_fail(case: Any, fuzzed: dict[str, Any]) -> None:
    headers: dict[str, str] | None = fuzzed["headers"]
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    if negative_headers and "Authorization" not in (case.headers or {}):
        headers = None  # the negative part is the missing token: send it without one
    if case.query:  # a null query value is never sent, so it cannot make a case negative
        case.query = {k: v for k, v in case.query.items() if v is not None}
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_fuzzed_schema_covers_every_route(tmp_path: Path) -> None:
    from earned.store import Database

    db = Database(f"sqlite:///{tmp_path / 'e.db'}")
    db.upgrade()
    paths = create_app(database=db).openapi()["paths"]
    operations = sum(len(ops) for ops in paths.values())
    assert operations >= 36
