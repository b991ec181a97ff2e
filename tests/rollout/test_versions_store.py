"""Versions and pins in the project database (SQLite file and PostgreSQL): content-addressed
versions, diffs, pins that refuse what could change nothing, rollbacks that walk back the
pin history, canaries that are sticky and keep their keys as they grow, all audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from earned.digest import digest
from earned.errors import UserError
from earned.policy import Policy, Rule
from earned.rollout import VersionNotFound, VersionResolver, VersionStore
from earned.rollout._resolve import record_agent
from earned.runtime import Principal, ReActAgent, RunContext, Workflow
from earned.store import AuditLog, Database
from earned.tools import tool
from tests.rollout.versions_agents import CAPABILITY, PROMPT_V1, PROMPT_V2, triage_agent


@tool(risk="read")
def lookup(order_id: str) -> dict[str, str]:
    """Read an order's status."""
    return {"order_id": order_id, "status": "shipped"}


@tool(risk="internal_write")
def add_note(order_id: str, text: str) -> dict[str, str]:
    """Add an internal note to an order."""
    return {"note": text}


async def echo(ctx: RunContext, value: object) -> object:
    return value


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> VersionStore:
    """A store that has seen the triage agent launch (prompt v1, model test:small)."""
    versions = VersionStore(db)
    record_agent(versions, triage_agent())
    return versions


def _v2(store: VersionStore) -> str:
    return store.record("prompt", "triage_bot", PROMPT_V2, author="alice", message="v2").digest


def test_a_version_is_its_content_hash_and_recording_it_again_changes_nothing(
    store: VersionStore, db: Database
) -> None:
    first = store.record("prompt", "triage_bot", PROMPT_V2, author="alice", message="cite")
    again = store.record("prompt", "triage_bot", PROMPT_V2, author="bob", message="same")
    assert first.digest == digest(PROMPT_V2) == again.digest
    assert (again.author, again.message) == ("alice", "cite")
    listed = store.list(kind="prompt", name="triage_bot")
    assert [v.content for v in listed] == [PROMPT_V2, PROMPT_V1]  # newest first
    records = AuditLog(db).list(action="versions.record", target="prompt/triage_bot")
    assert [(e.actor, e.after) for e in records] == [
        ("alice", first.digest),
        ("earned", listed[1].digest),
    ]


def test_structured_contents_are_stored_as_sorted_json_and_diff_line_by_line(
    store: VersionStore,
) -> None:
    a = store.record("tools", "desk", [{"name": "lookup", "risk": "read"}], author="a")
    b = store.record(
        "tools",
        "desk",
        [{"risk": "read", "name": "lookup"}, {"name": "add_note", "risk": "internal_write"}],
        author="a",
    )
    assert (
        a.digest
        == store.record("tools", "desk", [{"risk": "read", "name": "lookup"}], author="b").digest
    )
    diff = store.diff(a.short, b.short)
    assert diff.startswith(f"--- tools/desk@{a.short}\n+++ tools/desk@{b.short}\n")
    assert '+    "name": "add_note",' in diff
    assert store.diff(a, a) == ""


def test_a_reference_is_a_digest_prefix_and_a_miss_lists_close_matches(
    store: VersionStore,
) -> None:
    v2 = _v2(store)
    assert store.get(v2[:6]).digest == v2
    assert store.get(f"sha256:{v2[:12]}").digest == v2
    assert store.get(f"prompt/triage_bot@{v2[:8]}").digest == v2
    with pytest.raises(VersionNotFound, match=r"close matches: .*prompt/triage_bot@") as caught:
        store.get(v2[:10][::-1], kind="prompt")
    assert caught.value.details["close_matches"]
    with pytest.raises(VersionNotFound, match="not a version digest"):
        store.get("v2")


def test_pins_roll_back_through_their_history_and_every_change_is_audited(
    store: VersionStore, db: Database
) -> None:
    v1 = store.list(kind="prompt")[0].digest
    v2 = _v2(store)
    v3 = store.record("prompt", "triage_bot", "v3", author="alice").digest
    for ref in (v1, v2, v3):
        store.pin(CAPABILITY, "prompt", ref, actor="alice", reason=f"try {ref[:6]}")
    assert store.pin(CAPABILITY, "prompt", v3, actor="alice").digest == v3  # no change

    back = store.rollback(CAPABILITY, "prompt", actor="bob", reason="v3 is rude")
    assert back is not None
    assert back.digest == v2
    back = store.rollback(CAPABILITY, "prompt", actor="bob", reason="v2 too")
    assert back is not None
    assert back.digest == v1
    assert store.rollback(CAPABILITY, "prompt", actor="bob", reason="unpin") is None
    assert store.pin_of(CAPABILITY, "prompt") is None
    with pytest.raises(UserError, match="nothing to roll back"):
        store.rollback(CAPABILITY, "prompt", actor="bob")

    entries = list(reversed(AuditLog(db).list(target=f"{CAPABILITY}/prompt")))
    assert [e.action for e in entries] == ["versions.pin"] * 3 + ["versions.rollback"] * 3
    assert [(e.before or {}).get("digest") for e in entries] == [None, v1, v2, v3, v2, v1]
    assert [(e.after or {}).get("digest") for e in entries] == [v1, v2, v3, v2, v1, None]
    assert entries[3].actor == "bob"
    assert entries[3].reason == "v3 is rude"


def test_a_pin_that_could_change_nothing_is_refused_with_the_reason(
    store: VersionStore,
) -> None:
    v2 = _v2(store)
    with pytest.raises(UserError, match="no capability 'triag' is known; known: triage"):
        store.pin("triag", "prompt", v2, actor="alice")
    other = ReActAgent("billing_bot", model="test:small", instructions="x", capability="billing")
    record_agent(store, other)
    billing = store.list(kind="prompt", name="billing_bot")[0]
    with pytest.raises(UserError, match="serves capability 'billing', not 'triage'"):
        store.pin(CAPABILITY, "prompt", billing.digest, actor="alice")
    flow = Workflow("flow_bot", echo, capability=CAPABILITY)  # no model
    record_agent(store, flow)
    store.record("model", "flow_bot", "test:large", author="alice")
    with pytest.raises(UserError, match="'flow_bot' \\(Workflow\\) has no model"):
        store.pin(
            CAPABILITY, "model", store.list(kind="model", name="flow_bot")[0].digest, actor="a"
        )
    policy = store.list(kind="policy", name="triage_bot")[0]
    with pytest.raises(UserError, match="policy built in Python"):
        store.pin(CAPABILITY, "policy", policy.digest, actor="alice")
    with pytest.raises(UserError, match="the matrix is agent-wide"):
        store.pin(CAPABILITY, "matrix", v2, actor="alice")
    assert store.pins() == []


def test_a_canary_needs_a_baseline_and_ends_by_promotion_or_rollback(
    store: VersionStore, db: Database
) -> None:
    v1 = store.list(kind="prompt")[0]
    v2 = _v2(store)
    with pytest.raises(UserError, match="pin the baseline first") as caught:
        store.canary(CAPABILITY, "prompt", v2, 5, actor="alice")
    assert (
        caught.value.details["fix"]
        == f"earned versions pin {CAPABILITY} {v1.short}  (the prompt seen at launch)"
    )
    store.pin(CAPABILITY, "prompt", v1.digest, actor="alice")
    with pytest.raises(UserError, match="is the pinned version"):
        store.canary(CAPABILITY, "prompt", v1.digest, 5, actor="alice")
    with pytest.raises(UserError, match="above 0 and at most 100"):
        store.canary(CAPABILITY, "prompt", v2, 0, actor="alice")
    with pytest.raises(UserError, match="cannot keep a canary sticky"):
        store.canary(CAPABILITY, "prompt", v2, 5, actor="alice", by="tenant id")

    pin = store.canary(CAPABILITY, "prompt", v2, 5, actor="alice", reason="5% of tenants")
    assert (pin.digest, pin.canary_digest, pin.canary_percent, pin.canary_by) == (
        v1.digest,
        v2,
        5,
        "tenant",
    )
    ended = store.rollback(CAPABILITY, "prompt", actor="bob", reason="refusals up")
    assert ended is not None
    assert (ended.digest, ended.canary_digest) == (v1.digest, None)

    store.canary(CAPABILITY, "prompt", v2, 20, actor="alice", by="user")
    promoted = store.promote_canary(CAPABILITY, "prompt", actor="carol", reason="it wins")
    assert (promoted.digest, promoted.canary_digest) == (v2, None)
    with pytest.raises(UserError, match="no canary to promote"):
        store.promote_canary(CAPABILITY, "prompt", actor="carol")
    # After a promotion, rolling back returns to the version before it, not to the canary.
    back = store.rollback(CAPABILITY, "prompt", actor="bob")
    assert back is not None
    assert back.digest == v1.digest
    actions = [e.action for e in AuditLog(db).list(target=f"{CAPABILITY}/prompt")]
    assert actions == [
        "versions.rollback",
        "versions.promote",
        "versions.canary",
        "versions.rollback",
        "versions.canary",
        "versions.pin",
    ]


def _share(resolver: VersionResolver, keys: list[str], **principal: str) -> set[str]:
    found = set()
    for key in keys:
        who = Principal(**{k: v.format(key=key) for k, v in principal.items()})
        choice = resolver.load(resolver.choose(CAPABILITY, who, {"ticket_id": key}))
        assert choice is not None
        if choice.variant == "canary":
            found.add(key)
    return found


def test_a_canary_serves_a_sticky_share_that_keeps_its_keys_as_it_grows(
    store: VersionStore,
) -> None:
    v1 = store.list(kind="prompt")[0].digest
    v2 = _v2(store)
    store.pin(CAPABILITY, "prompt", v1, actor="alice")
    store.canary(CAPABILITY, "prompt", v2, 5, actor="alice")
    resolver = VersionResolver(store)
    tenants = [f"tenant-{i}" for i in range(1000)]

    at5 = _share(resolver, tenants, tenant="{key}")
    assert 35 <= len(at5) <= 65, len(at5)
    assert _share(resolver, tenants, tenant="{key}") == at5  # sticky: same tenants again

    store.canary(CAPABILITY, "prompt", v2, 20, actor="alice", reason="grow")
    at20 = _share(resolver, tenants, tenant="{key}")
    assert at5 <= at20  # growing keeps every tenant already in
    assert 170 <= len(at20) <= 230, len(at20)
    print(f"canary share of 1000 tenants: {len(at5) / 10:.1f}% at 5%, {len(at20) / 10:.1f}% at 20%")

    store.canary(CAPABILITY, "prompt", v2, 20, actor="alice", by="ticket_id")
    by_ticket = _share(resolver, tenants, tenant="one-big-tenant")
    assert 170 <= len(by_ticket) <= 230  # keyed by an input field: a share of tickets
    assert _share(resolver, tenants) == by_ticket  # no tenant needed


def test_runs_without_the_key_get_the_pinned_version_and_capabilities_draw_apart(
    store: VersionStore,
) -> None:
    v1 = store.list(kind="prompt")[0].digest
    store.pin(CAPABILITY, "prompt", v1, actor="alice")
    store.canary(CAPABILITY, "prompt", _v2(store), 50, actor="alice")
    resolver = VersionResolver(store)
    assert _share(resolver, [str(i) for i in range(50)]) == set()  # no tenant: pinned
    other = ReActAgent("billing_bot", model="test:small", instructions="b1", capability="billing")
    record_agent(store, other)
    b1 = store.list(kind="prompt", name="billing_bot")[0].digest
    b2 = store.record("prompt", "billing_bot", "b2", author="alice").digest
    store.pin("billing", "prompt", b1, actor="alice")
    store.canary("billing", "prompt", b2, 50, actor="alice")
    tenants = [f"t{i}" for i in range(400)]
    triage = _share(resolver, tenants, tenant="{key}")
    billing = {
        t
        for t in tenants
        if resolver.load(resolver.choose("billing", Principal(tenant=t), None)).variant == "canary"  # type: ignore[union-attr]
    }
    assert triage != billing  # each capability salts its buckets: not always the same tenants


def test_pins_are_read_fresh_by_default_or_at_most_ttl_seconds_old(store: VersionStore) -> None:
    v1 = store.list(kind="prompt")[0].digest
    v2 = _v2(store)
    store.pin(CAPABILITY, "prompt", v1, actor="alice")
    now = [0.0]
    fresh, cached = VersionResolver(store), VersionResolver(store, ttl=30, clock=lambda: now[0])
    for resolver in (fresh, cached):
        assert (
            resolver.load(resolver.choose(CAPABILITY, Principal(), None)).chosen["prompt"].digest
            == v1
        )  # type: ignore[union-attr]
    store.pin(CAPABILITY, "prompt", v2, actor="alice")
    assert fresh.load(fresh.choose(CAPABILITY, Principal(), None)).chosen["prompt"].digest == v2  # type: ignore[union-attr]
    now[0] = 29.0
    assert cached.load(cached.choose(CAPABILITY, Principal(), None)).chosen["prompt"].digest == v1  # type: ignore[union-attr]
    now[0] = 30.0
    assert cached.load(cached.choose(CAPABILITY, Principal(), None)).chosen["prompt"].digest == v2  # type: ignore[union-attr]


def test_a_pinned_policy_and_tool_set_replace_the_agents_for_the_run(
    store: VersionStore, tmp_path: object
) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    strict = tmp_path / "policy.yaml"
    strict.write_text(
        "version: 1\nname: desk\nrules:\n  - id: reads\n    effect: allow\n    tools: [lookup]\n"
        "  - id: notes\n    effect: allow\n    tools: [add_note]\n"
    )
    agent = ReActAgent(
        "desk_bot",
        model="test:small",
        instructions="x",
        tools=[lookup, add_note],
        policy=Policy.from_file(strict, tools=[lookup, add_note]),
        capability=CAPABILITY,
    )
    record_agent(store, agent)
    reads_only = store.record(
        "policy", "desk_bot",
        "version: 1\nname: desk\nrules:\n  - id: reads\n    effect: allow\n    tools: [lookup]\n",
        author="alice",
    )  # fmt: skip
    store.pin(CAPABILITY, "policy", reads_only.digest, actor="alice", reason="notes misbehave")
    one_tool = store.record("tools", "desk_bot", [{"name": "lookup"}], author="alice")
    store.pin(CAPABILITY, "tools", one_tool.digest, actor="alice", reason="remove add_note")

    resolver = VersionResolver(store)
    chosen = resolver.load(resolver.choose(CAPABILITY, Principal(), None))
    assert chosen is not None
    policy = resolver.policy(chosen, agent)
    assert policy is not None
    assert policy.version.startswith("desk@")
    assert [r.id for r in policy.rules] == ["reads"]
    tools = resolver.tools(chosen, agent)
    assert tools is not None
    assert [t.name for t in tools] == ["lookup"]
    assert resolver.policy(chosen, agent) is policy  # loaded once per digest
    assert resolver.prompt(chosen, agent) is None  # no prompt pin: the agent's own


def test_a_python_rule_set_is_recorded_as_its_fingerprint(store: VersionStore) -> None:
    agent = ReActAgent(
        "py_bot",
        model="test:small",
        instructions="x",
        tools=[lookup],
        policy=Policy([Rule.build("reads", "allow", tools=["lookup"])], name="py"),
        capability=CAPABILITY,
    )
    record = record_agent(store, agent)
    policy = store.get(record["uses"]["policy"], kind="policy")
    assert '"built_in_python": true' in policy.content
    assert '"id": "reads"' in policy.content
