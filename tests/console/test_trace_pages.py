"""The trace explorer: filters, sorting, paging, the span tree, redaction and tenancy."""

from __future__ import annotations

from tests.console.conftest import Pages
from tests.console.seed import seed_trace
from tests.review.seed import HOUR, NOW
from tests.server.conftest import Api


def _seed(api: Api) -> None:
    seed_trace(api.db, "run_cheap", cost=0.001, created_at=NOW - 3 * HOUR)
    seed_trace(api.db, "run_dear", cost=0.25, created_at=NOW - 2 * HOUR, tool="submit_refund")
    seed_trace(api.db, "run_failed", status="failed", created_at=NOW - 30 * 3600,
               agent="triage", capability="classify")  # fmt: skip
    seed_trace(api.db, "run_globex", tenant="globex", cost=9.0, created_at=NOW - HOUR)


async def test_the_search_lists_only_the_tokens_tenant(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    page = await session.get("/console/traces")
    assert page.status_code == 200
    assert "3 traces of tenant acme" in page.text
    assert "run_globex" not in page.text
    sneaky = await session.get("/console/traces?tenant=globex")
    assert "run_globex" not in sneaky.text
    root = await pages.login("root")
    everyone = await root.get("/console/traces?tenant=globex")
    assert "run_globex" in everyone.text
    assert "run_cheap" not in everyone.text


async def test_filters_and_sorting(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    by_tool = await session.get("/console/traces?tool=submit_refund")
    assert "run_dear" in by_tool.text
    assert "run_cheap" not in by_tool.text
    failed = await session.get("/console/traces?status=failed&agent=triage")
    assert "run_failed" in failed.text
    assert "run_dear" not in failed.text
    recent = await session.get("/console/traces?since=24h")
    assert "run_failed" not in recent.text
    assert "run_cheap" in recent.text
    by_cost = await session.get("/console/traces?sort=cost&min_cost=0.0005")
    assert by_cost.text.index("run_dear") < by_cost.text.index("run_cheap")
    cheap_first = await session.get("/console/traces?sort=cost&order=asc")
    assert cheap_first.text.index("run_cheap") < cheap_first.text.index("run_dear")


async def test_a_bad_filter_is_explained_next_to_the_form(pages: Pages, api: Api) -> None:
    session = await pages.login("acme-viewer")
    for query, words in (
        ("since=yesterday", "cannot read since &#39;yesterday&#39;"),
        ("min_cost=cheap", "min cost ($) must be a number"),
        ("min_cost=-1", "must be a finite number of at least 0"),
        ("status=exploded", "status must be one of completed"),
        ("sort=vibes", "sort must be one of time, cost, latency"),
        ("since=1h&until=3h", "the time range is empty"),
    ):
        page = await session.get(f"/console/traces?{query}")
        assert page.status_code == 400, query
        assert words in page.text, query
        assert 'value="' in page.text  # the form is shown again
    unknown = await session.get("/console/traces?colour=red")
    assert unknown.status_code == 422
    assert "unknown query parameter" in unknown.text


async def test_paging_keeps_the_filters(pages: Pages, api: Api) -> None:
    for i in range(55):
        seed_trace(api.db, f"run_{i:03d}", created_at=NOW - HOUR - i)
    session = await pages.login("acme-viewer")
    first = await session.get("/console/traces?agent=refunds")
    assert "page 1 of 2" in first.text
    assert "page=2" in first.text
    assert "agent=refunds" in first.text
    second = await session.get("/console/traces?agent=refunds&page=2")
    assert "run_054" in second.text
    assert "run_000" not in second.text


async def test_a_trace_shows_its_span_tree_with_timings_tokens_cost_and_policy(
    pages: Pages, api: Api
) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    page = await session.get("/console/traces/run_dear")
    assert page.status_code == 200
    text = page.text
    for words in (
        "model_call", "classify", "812 in / 96 out", "$0.2500", "800 ms",
        "tool_call", "policy decision", "reads are allowed at every stage", "refunds@abc",
        "refunds@3f2a", "1.50 s",
    ):  # fmt: skip
        assert words in text, words
    assert "ana.lopez@example.com" not in text  # input and tool arguments are redacted
    assert 'data-width="' in text


async def test_another_tenants_trace_is_not_found(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    page = await session.get("/console/traces/run_globex")
    assert page.status_code == 404
    assert "$9" not in page.text
    missing = await session.get("/console/traces/run_nope")
    assert missing.status_code == 404
