"""The console in real headless Chromium over real HTTP (uvicorn on a SQLite file database).

Scenarios of issue 7: log in, approve an item, reject one with a reason, find a trace by
filter; plus the audit log, the tenant boundary and the CSP (no page logs a console error).
Each page is saved as a screenshot in test-artifacts/console/ for review.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from earned.approvals import ApprovalStore
from earned.review import ReviewQueue
from earned.store._tables import review_decisions
from tests.console.live import LiveConsole, chromium, log_in, serve_console, shoot, watch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    """The console on a SQLite file, served for this module's tests."""
    path = tmp_path_factory.mktemp("console") / "earned.db"
    with serve_console(f"sqlite:///{path}") as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, live: LiveConsole) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; fails the test on a console error."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    live.errors.clear()
    watch(opened, live)
    yield opened
    context.close()
    assert live.errors == [], f"the page logged errors: {live.errors}"


def test_log_in_and_see_the_review_queue(page: Any, live: LiveConsole) -> None:
    page.goto(f"{live.url}/console/review")
    assert page.url.startswith(f"{live.url}/console/login")
    log_in(page, live, "acme-reviewer", screenshot="login")
    assert page.locator("h1").inner_text() == "Review queue"
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 5  # 4 approvals and a draft of acme; globex's is not there
    ids = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert ids[0].startswith("apr_run_8f3a")  # overdue first
    assert "overdue" in ids[0]
    assert "ord_globex_secret" not in page.content()
    badge = page.locator(".who .badge").inner_text()
    assert badge == "acme-reviewer · reviewer · acme"
    shoot(page, "review-queue")


def test_approve_an_item(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-reviewer")
    page.click("text=apr_run_8f3b")
    page.wait_for_url(f"{live.url}/console/review/apr_run_8f3b")
    assert "submit_refund(order_id='ord_1077', amount=240.0)" in page.inner_text(".action")
    assert "the item arrived damaged" in page.content()
    shoot(page, "review-item")
    page.click("form.approve button[type=submit]")
    page.wait_for_url(f"{live.url}/console/review")
    assert page.locator(".flash").inner_text() == "apr_run_8f3b approved"
    assert page.locator("table.queue >> text=apr_run_8f3b").count() == 0
    approval = ApprovalStore(live.db).get("apr_run_8f3b")
    assert approval is not None
    assert approval.status == "approved"
    assert approval.decided_by == "acme-reviewer"
    assert ("run_8f3b", "apr_run_8f3b") in live.notices.sent


def test_reject_an_item_with_a_reason(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-reviewer")
    page.goto(f"{live.url}/console/review/apr_run_8f3c")
    page.on("dialog", lambda dialog: dialog.accept())  # "Reject apr_run_8f3c?"
    page.select_option("#reject-reason", "unsafe_action")
    page.fill("#reject-note", "the order was already refunded on 11-02")
    shoot(page, "review-reject")
    page.click("form.reject button[type=submit]")
    page.wait_for_url(f"{live.url}/console/review")
    assert page.locator(".flash").inner_text() == "apr_run_8f3c rejected (unsafe_action)"
    with live.db.engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(review_decisions).where(review_decisions.c.item_id == "apr_run_8f3c")
            )
            .mappings()
            .one()
        )
    assert (row["decision"], row["reason_code"]) == ("reject", "unsafe_action")
    assert row["note"] == "the order was already refunded on 11-02"
    assert ApprovalStore(live.db).get("apr_run_8f3c").status == "rejected"  # type: ignore[union-attr]


def test_approve_a_draft_with_edits(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-reviewer")
    page.goto(f"{live.url}/console/review/drf_run_d201")
    page.fill("#edited", "{not json")
    assert "not valid JSON" in page.inner_text("#edited-check")  # the script checks as you type
    page.fill("#edited", '{"reply": "Hi Ana, your refund of $80.00 is on its way."}')
    assert page.inner_text("#edited-check") == "valid JSON object"
    page.select_option("#edit-reason", "bad_tone")
    page.fill("#edit-note", "shorter and warmer")
    shoot(page, "review-draft")
    page.click("form.edit button[type=submit]")
    page.wait_for_url(f"{live.url}/console/review")
    decision = ReviewQueue(live.db).history("drf_run_d201")[0]
    assert decision.final == {"reply": "Hi Ana, your refund of $80.00 is on its way."}


def test_find_a_trace_by_filter(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-viewer")
    page.click("nav >> text=Traces")
    page.wait_for_url(f"{live.url}/console/traces")
    assert page.locator("table.traces tbody tr").count() >= 6
    page.fill("input[name=tool]", "search_policy")
    page.select_option("select[name=status]", "escalated")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.traces tbody tr")
    assert rows.count() == 1
    assert "run_t003" in rows.first.inner_text()
    assert "run_gx01" not in page.content()
    shoot(page, "traces")
    page.click("text=run_t003")
    page.wait_for_url(f"{live.url}/console/traces/run_t003")
    tree = page.locator(".tree")
    assert "classify" in tree.first.inner_text()
    assert "812 in / 96 out" in tree.first.inner_text()
    assert "reads are allowed at every stage" in page.content()
    assert "ana.lopez@example.com" not in page.content()
    width = page.locator(".bar > span").first.evaluate("el => el.style.width")
    assert width.endswith("%")  # console.js ran under the CSP
    shoot(page, "trace")


def test_a_bad_filter_is_explained(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-viewer")
    page.goto(f"{live.url}/console/traces?since=yesterday")
    assert "cannot read since 'yesterday'" in page.inner_text(".error")
    assert page.input_value("input[name=since]") == "yesterday"
    assert live.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    live.errors.clear()  # the page itself is the 400; nothing else failed


def test_the_audit_log(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-owner")
    page.click("nav >> text=Audit")
    page.wait_for_url(f"{live.url}/console/audit")
    text = page.inner_text("table.audit")
    assert text.index("kill switch: duplicate refunds reported") < text.index("gates passed")
    shoot(page, "audit")


def test_logging_out(page: Any, live: LiveConsole) -> None:
    log_in(page, live, "acme-viewer")
    page.click("text=Log out")
    page.wait_for_url(f"{live.url}/console/login")
    page.goto(f"{live.url}/console/traces")
    assert page.url.startswith(f"{live.url}/console/login")


def test_the_login_link_of_earned_demo(page: Any, live: LiveConsole) -> None:
    page.goto(f"{live.url}/console/login?token={live.secrets['root']}")
    assert page.url == f"{live.url}/console/review"
    assert "apr_run_g001" in page.content()  # an all-tenant admin sees every tenant


@pytest.mark.postgres
def test_approve_on_postgresql(browser: Any, postgres_url: str) -> None:
    with serve_console(postgres_url) as served:
        context = browser.new_context()
        page = context.new_page()
        watch(page, served)
        log_in(page, served, "acme-reviewer")
        page.goto(f"{served.url}/console/review/apr_run_8f3a")
        page.click("form.approve button[type=submit]")
        page.wait_for_url(f"{served.url}/console/review")
        assert page.locator(".flash").inner_text() == "apr_run_8f3a approved"
        context.close()
        assert served.errors == []
        assert ApprovalStore(served.db).get("apr_run_8f3a").status == "approved"  # type: ignore[union-attr]
