"""The audit log page: entries newest first, filters, paging, readable errors."""

from __future__ import annotations

from earned.store import AuditLog
from tests.console.conftest import Pages
from tests.review.seed import HOUR, NOW, Clock
from tests.server.conftest import Api


def _seed(api: Api) -> None:
    clock = Clock(NOW - 3 * HOUR)
    log = AuditLog(api.db, clock=clock)
    log.record("alice", "rollout.stage", "submit_refund", "recommend", "approval_required",
               "gates passed", {"evidence": {"evals": "pass"}})  # fmt: skip
    clock.now = NOW - HOUR
    log.record("bob", "rollout.flag", "agent/enabled", True, False, "kill switch: bad refunds")
    clock.now = NOW - 30 * HOUR
    log.record("earned:scheduler", "retention.prune", "traces", {"rows": 120}, {"rows": 20})


async def test_the_log_lists_entries_newest_first_with_before_and_after(
    pages: Pages, api: Api
) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    page = await session.get("/console/audit")
    assert page.status_code == 200
    text = page.text
    assert text.index("kill switch: bad refunds") < text.index("gates passed")
    assert text.index("gates passed") < text.index("retention.prune")
    assert "true → false" in text
    assert '"recommend" → "approval_required"' in text
    assert "evidence" in text


async def test_filters_narrow_the_log(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    rollout = await session.get("/console/audit?action=rollout.*")
    assert "retention.prune" not in rollout.text
    assert "rollout.flag" in rollout.text
    bob = await session.get("/console/audit?actor=bob&since=2h")
    assert "kill switch" in bob.text
    assert "gates passed" not in bob.text
    bad = await session.get("/console/audit?since=last+tuesday")
    assert bad.status_code == 400
    assert "cannot read since" in bad.text


async def test_paging(pages: Pages, api: Api) -> None:
    log = AuditLog(api.db, clock=Clock(NOW))
    for i in range(51):
        log.record("alice", "versions.record", f"prompt/p{i:02d}", None, "abc")
    session = await pages.login("acme-viewer")
    first = await session.get("/console/audit?action=versions.record")
    assert "page=2" in first.text
    assert "action=versions.record" in first.text
    second = await session.get("/console/audit?action=versions.record&page=2")
    assert second.text.count("prompt/p") == 1
