"""The browser test harness: a real uvicorn server on a free port, and headless Chromium.

- `serve_console(database_url)` migrates and seeds a real database (a SQLite file or a
  PostgreSQL schema), issues tokens, and runs `create_app` under uvicorn in a thread; it
  yields a `LiveConsole` with the URL and the tokens.
- `chromium()` launches Debian's Chromium (`/usr/bin/chromium`, or EARNED_TEST_CHROMIUM)
  through Playwright's `executable_path`: `playwright install` is never run, nothing is
  downloaded. Without Chromium or Playwright the browser tests are skipped, unless
  EARNED_TEST_REQUIRE_CHROMIUM=1 (CI sets it), which makes that a failure.
- `shoot(page, name)` saves a full-page screenshot to test-artifacts/console/NAME.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from earned.server import TokenStore, create_app
from earned.store import AuditLog, Database
from tests.console.seed import seed_trace
from tests.review.seed import seed_approval, seed_run
from tests.server.conftest import TOKENS, Notices

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"
CHROMIUM = os.environ.get("EARNED_TEST_CHROMIUM", "/usr/bin/chromium")


@dataclass
class LiveConsole:
    """A console served over real HTTP: its URL, database and token secrets by name."""

    url: str
    db: Database
    secrets: dict[str, str]
    notices: Notices
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_story(db: Database, now: float) -> None:
    """A morning of the refund agent: approvals waiting, a draft, traces, audit entries."""
    seed_approval(db, "run_8f3a", arguments={"order_id": "ord_1042", "amount": 80.0},
                  created_at=now - 70 * 60)  # fmt: skip
    seed_approval(db, "run_8f3b", arguments={"order_id": "ord_1077", "amount": 240.0},
                  created_at=now - 25 * 60)  # fmt: skip
    seed_approval(db, "run_8f3c", arguments={"order_id": "ord_1090", "amount": 35.5},
                  created_at=now - 9 * 60)  # fmt: skip
    seed_approval(db, "run_7c11", risk="external_write", tool="send_reply",
                  arguments={"order_id": "ord_0995", "amount": 0.0}, created_at=now - 40 * 60)  # fmt: skip
    seed_approval(db, "run_g001", tenant="globex", created_at=now - 5 * 60,
                  arguments={"order_id": "ord_globex_secret", "amount": 999.0})  # fmt: skip
    seed_run(db, "run_d201", stage="assist", created_at=now - 15 * 60,
             output={"reply": "Hi Ana, we are sorry the kettle arrived damaged. A refund of "
                              "$80.00 is on its way (policy 3.2)."})  # fmt: skip
    for i, (status, tool, cost) in enumerate(
        [("completed", "get_order", 0.0031), ("completed", "submit_refund", 0.0112),
         ("failed", "get_order", 0.0009), ("escalated", "search_policy", 0.0204),
         ("completed", "search_policy", 0.0047), ("completed", "get_order", 0.0)]
    ):  # fmt: skip
        seed_trace(db, f"run_t{i:03d}", status=status, tool=tool, cost=cost,
                   created_at=now - (i + 1) * 11 * 60, seconds=0.8 + i * 0.35)  # fmt: skip
    seed_trace(db, "run_gx01", tenant="globex", tool="submit_refund", cost=1.5,
               created_at=now - 3 * 60)  # fmt: skip
    log = AuditLog(db, clock=lambda: now - 3 * 3600)
    log.record("earned", "rollout.stage", "refund_recommendation", None, "recommend",
               "declared in the matrix")  # fmt: skip
    log = AuditLog(db, clock=lambda: now - 2 * 3600)
    log.record("acme-owner", "rollout.stage", "draft_reply", "recommend", "assist",
               "gates passed: evals 0.94 >= 0.90, 212 approvals", {"evidence": {"evals": 0.94}})  # fmt: skip
    log = AuditLog(db, clock=lambda: now - 50 * 60)
    log.record("acme-owner", "rollout.flag", "submit_refund/enabled", True, False,
               "kill switch: duplicate refunds reported")  # fmt: skip


@contextmanager
def serve_console(database_url: str) -> Iterator[LiveConsole]:
    """Migrate and seed the database, and serve the app on 127.0.0.1 until the block ends."""
    db = Database(database_url)
    db.upgrade()
    seed_story(db, time.time())
    store = TokenStore(db)
    secrets = {name: store.create(name=name, role=role, tenant=tenant).secret
               for name, role, tenant in TOKENS}  # fmt: skip
    notices = Notices()
    app = create_app(database=db, notifier=notices)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    try:
        yield LiveConsole(url=f"http://127.0.0.1:{port}", db=db, secrets=secrets,
                          notices=notices)  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        db.close()


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's), driven by Playwright; skipped or failed when absent."""
    missing = _missing_browser()
    if missing is not None:
        if os.environ.get("EARNED_TEST_REQUIRE_CHROMIUM") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


def watch(page: Any, live: LiveConsole) -> None:
    """Record console errors (CSP violations, script errors) of `page` in `live.errors`."""
    page.on("console", lambda msg: live.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: live.errors.append(str(exc)))


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot at test-artifacts/console/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, live: LiveConsole, name: str, *, screenshot: str | None = None) -> None:
    """Log in through the login form with the token called `name`."""
    page.goto(f"{live.url}/console/login")
    page.fill("#token", live.secrets[name])
    if screenshot:
        shoot(page, screenshot)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/console/review")
