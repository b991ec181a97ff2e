"""OpenFeature both ways: earned's switches read through an OpenFeature client, and a flagd
flag file driving earned's switches in a running engine.

The flagd provider runs in its file mode (in-process evaluation of a real flag file that
the test edits), so no flagd server and no network are needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.event import ProviderEvent
from openfeature.exception import ErrorCode

from earned.rollout import RolloutStore, Stage, parse_matrix
from earned.rollout.openfeature import EarnedProvider, OpenFeatureFlags
from earned.runtime import Engine
from earned.store import Database
from tests.runtime.test_breakers_in_runs import FLOW, INVOKED

MATRIX = parse_matrix(
    """
version: 1
name: stock
owner: ops
capabilities:
  - name: stock_lookup
    owner: ops
    stage: expanded
    required_eval: gates.yaml
    tools: [inventory]
    max_risk: read
    rollback: Turn off stock lookups
"""
)


@pytest.fixture
def domain() -> Iterator[str]:
    """An OpenFeature domain of this test's own (the SDK's registry is process-wide)."""
    yield f"earned-test-{uuid.uuid4().hex[:8]}"
    api.clear_providers()


@pytest.fixture(autouse=True)
def _reset() -> None:
    INVOKED.clear()


# -- earned as an OpenFeature provider ----------------------------------------------------


def test_the_provider_resolves_live_flags_kill_switches_and_stages(
    db: Database, domain: str
) -> None:
    store = RolloutStore(db)
    store.ensure(MATRIX)
    api.set_provider(EarnedProvider(store), domain=domain)
    client = api.get_client(domain)
    assert client.get_boolean_value("agent_enabled", False) is True
    assert client.get_boolean_value("stock_lookup/enabled", False) is True
    assert client.get_string_value("stage/stock_lookup", "?") == "expanded"

    store.set_flag("*", "write_tools_enabled", False, actor="oncall", reason="incident 42")
    store.set_flag("stock_lookup", "enabled", False, actor="oncall", reason="incident 42")
    store.set_stage("stock_lookup", Stage.SHADOW, actor="oncall", reason="incident 42")
    details = client.get_boolean_details("write_tools_enabled", True)
    assert (details.value, details.variant) == (False, "off")
    assert details.flag_metadata["updated_by"] == "oncall"
    assert client.get_boolean_value("stock_lookup/enabled", True) is False
    assert client.get_string_value("stage/stock_lookup", "?") == "shadow"


def test_unknown_keys_and_wrong_types_get_the_default_with_an_error_code(
    db: Database, domain: str
) -> None:
    store = RolloutStore(db)
    store.ensure(MATRIX)
    api.set_provider(EarnedProvider(store), domain=domain)
    client = api.get_client(domain)
    missing = client.get_boolean_details("no_such_flag", True)
    assert (missing.value, missing.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)
    wrong = client.get_string_details("agent_enabled", "x")
    assert (wrong.value, wrong.error_code) == ("x", ErrorCode.TYPE_MISMATCH)
    assert client.get_integer_details("stage/stock_lookup", 3).error_code == (
        ErrorCode.TYPE_MISMATCH
    )


# -- a flagd flag file driving earned -----------------------------------------------------


def write_flags(path: Path, **flags: Any) -> None:
    """A flagd flag file; each value is on/off (a boolean flag) or any JSON (a variant)."""
    doc: dict[str, Any] = {"flags": {}}
    for key, value in flags.items():
        key = key.replace("__", "/")
        if isinstance(value, bool):
            variants: dict[str, Any] = {"on": True, "off": False}
            default = "on" if value else "off"
        else:
            variants, default = {"value": value}, "value"
        doc["flags"][key] = {"state": "ENABLED", "variants": variants, "defaultVariant": default}
    path.write_text(json.dumps(doc))
    stat = path.stat()  # a later mtime, whatever the file system's resolution
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


class Flagd:
    """The flagd provider in file mode, with a way to wait for it to reload the file."""

    def __init__(self, path: Path, domain: str) -> None:
        self.path = path
        self.changed = threading.Event()
        provider = FlagdProvider(
            resolver_type=ResolverType.FILE, offline_flag_source_path=str(path), deadline_ms=50
        )
        api.set_provider_and_wait(provider, domain=domain)
        self.client = api.get_client(domain)
        self.client.add_handler(
            ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, lambda _details: self.changed.set()
        )

    def write(self, **flags: Any) -> None:
        self.changed.clear()
        write_flags(self.path, **flags)
        # The provider polls the file; wait for its reload event (a guard, not a timing).
        assert self.changed.wait(60), "flagd did not reload the flag file"


@pytest.fixture
def flagd(tmp_path: Path, domain: str) -> Flagd:
    path = tmp_path / "flags.json"
    write_flags(path, stock_lookup__enabled=True)
    return Flagd(path, domain)


@pytest.mark.slow
async def test_a_flip_in_the_flagd_file_switches_a_capability_off_at_the_next_tool_call(
    database_url: str, flagd: Flagd
) -> None:
    async with Engine(
        [FLOW], database_url=database_url, matrix=MATRIX, flag_source=OpenFeatureFlags(flagd.client)
    ) as engine:
        assert (await engine.run(FLOW, "sku-1")).status == "completed"

        flagd.write(stock_lookup__enabled=False)
        off = await engine.run(FLOW, "sku-2")
        assert off.status == "denied"
        assert off.decisions[-1]["rule_id"] == "flag:stock_lookup/enabled"
        # earned's own switch is untouched: the external provider said off.
        [own] = [f for f in engine.rollout.store.flags("stock_lookup") if f.name == "enabled"]
        assert (own.enabled, own.reason) == (False, "off in the external flag source")
        assert RolloutStore(engine.db).flags("stock_lookup")[0].enabled is True  # type: ignore[arg-type]

        flagd.write(stock_lookup__enabled=True)
        assert (await engine.run(FLOW, "sku-3")).status == "completed"
    assert INVOKED == ["sku-1", "sku-3"]


def test_an_off_in_earned_wins_over_an_on_in_the_provider(db: Database, flagd: Flagd) -> None:
    from earned.rollout import Rollout

    store = RolloutStore(db)
    store.ensure(MATRIX)
    rollout = Rollout(MATRIX, store, flag_source=OpenFeatureFlags(flagd.client))
    assert rollout.flag("stock_lookup/enabled") is True
    store.set_flag("stock_lookup", "enabled", False, actor="oncall", reason="kill")
    assert rollout.flag("stock_lookup/enabled") is False  # flagd still says on


def test_unknown_flags_are_no_opinion_and_provider_errors_follow_on_error(flagd: Flagd) -> None:
    flagd.write(stock_lookup__enabled=True, agent_enabled="not a boolean")
    keep = OpenFeatureFlags(flagd.client)
    assert keep.flag("*", "planner_enabled") is None  # not in the file: earned decides
    assert keep.flag("stock_lookup", "enabled") is True
    assert keep.flag("*", "agent_enabled") is None  # a type mismatch: earned decides
    closed = OpenFeatureFlags(flagd.client, on_error="off")
    assert closed.flag("*", "agent_enabled") is False  # ... unless told to fail closed
    assert closed.flag("*", "planner_enabled") is None


def test_the_missing_extra_is_named() -> None:
    code = (
        "import sys; sys.modules['openfeature'] = None\n"
        "try:\n    import earned.rollout.openfeature\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'earned[openfeature]'" in out.stdout
