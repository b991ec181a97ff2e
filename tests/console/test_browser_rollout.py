"""The rollout pages in real headless Chromium, against the server `earned demo` starts.

`earned demo` runs the refund agent's story on a SQLite file and serves the console with the
refund agent's engine under its capability matrix. In Chromium: log in with the printed
link, read the matrix and the gates, pull submit_refund's kill switch, and see the next run
respect it (its refund call denied by the switch); the eval history and the metrics
dashboard show real charts. Screenshots go to test-artifacts/console/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.live import ARTIFACTS, LiveConsole, chromium, shoot, watch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "examples" / "refund_agent" / "datasets" / "golden.jsonl"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refund_ticket() -> dict[str, Any]:
    """A historical ticket whose refund the policy approves (so the agent calls submit_refund)."""
    for line in GOLDEN.read_text().splitlines():
        case = json.loads(line)
        if (
            case["split"] == "test"
            and case["expected_decision"] == "approve"
            and ("submit_refund" in case["expected_tools"])
        ):
            return case["input"]
    raise AssertionError("no approvable refund in the golden test split")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`earned demo` serving on a free port; its JSON summary, with `url` and the process."""
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("EARNED_DATABASE_URL", None)
    command = [sys.executable, "-m", "earned.cli", "demo", "--json", "--port", str(port),
               "--sample", "8", "--shadow", "10", "--tickets", "12"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        text, line = "", ""
        while line != "}\n":  # the summary's closing brace, at the start of a line
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"the demo ended early: {process.stderr.read()}")  # type: ignore[union-attr]
            text += line
        summary = json.loads(text)
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield {**summary, "url": url, "folder": folder}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, demo: dict[str, Any]) -> Iterator[Any]:
    """A logged-in page (through the demo's login link); fails on a console error."""
    errors = LiveConsole(url=demo["url"], db=None, secrets={}, notices=None)  # type: ignore[arg-type]
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    watch(opened, errors)
    opened.on("dialog", lambda dialog: dialog.accept())
    opened.goto(demo["login_url"])
    assert "token=" not in opened.url
    yield opened
    context.close()
    assert errors.errors == [], f"the page logged errors: {errors.errors}"


def run_ticket(demo: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{demo['url']}/v1/runs",
        headers={"Authorization": f"Bearer {demo['token']}"},
        json={"agent": "refund_agent", "input": ticket, "timeout": 60},
        timeout=90,
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_the_matrix_shows_a_ladder_and_the_gates_of_every_capability(
    page: Any, demo: dict[str, Any]
) -> None:
    page.goto(f"{demo['url']}/console/capabilities")
    assert page.locator("h1").inner_text().startswith("Capabilities")
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == 5
    assert page.locator("td.ladder-cell svg").count() == 5
    assert "autonomous" in page.locator("#cap-classify_ticket").inner_text()
    shoot(page, "capabilities")
    page.click("text=submit_refund")
    page.wait_for_url(f"{demo['url']}/console/capabilities/submit_refund")
    gates = page.locator("table.gates")
    assert "FAIL" in page.locator("#gate-time_at_stage").inner_text()
    assert "pass" in page.locator("#gate-eval").inner_text()
    assert "approval-rate" in page.content()
    assert gates.count() == 1
    shoot(page, "capability")


def test_pull_a_kill_switch_and_the_next_run_respects_it(page: Any, demo: dict[str, Any]) -> None:
    ticket = refund_ticket()
    before = run_ticket(demo, {**ticket, "ticket_id": "TCK-KILL-1"})
    assert [d["rule_id"] for d in before["decisions"]][-1] == "stage:shadow"  # simulated
    page.goto(f"{demo['url']}/console/capabilities")
    form = page.locator("#cap-submit_refund form.switch")
    form.locator("input[name=reason]").fill("incident 42: duplicate refunds")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{demo['url']}/console/capabilities")
    assert "submit_refund/enabled is now OFF (incident 42: duplicate refunds)" in page.inner_text(
        ".flash"
    )
    assert "KILLED" in page.locator("#cap-submit_refund").inner_text()
    shoot(page, "kill-switch")
    after = run_ticket(demo, {**ticket, "ticket_id": "TCK-KILL-2"})
    refund = [d for d in after["decisions"] if d["tool"] == "submit_refund"]
    assert refund, after
    assert (refund[0]["effect"], refund[0]["rule_id"]) == ("deny", "flag:submit_refund/enabled")
    page.goto(f"{demo['url']}/console/traces/{after['run_id']}")
    assert "flag:submit_refund/enabled" in page.content()
    shoot(page, "kill-switch-run")
    page.goto(f"{demo['url']}/console/capabilities/submit_refund")
    assert "incident 42" in page.locator("table.history").inner_text()
    page.locator("form:has(input[name=value][value=on]) input[name=reason]").fill("fixed")
    page.locator("form:has(input[name=value][value=on]) button[type=submit]").click()
    page.wait_for_url(f"{demo['url']}/console/capabilities/submit_refund")
    assert "is now on" in page.inner_text(".flash")


def test_eval_history_and_the_metrics_dashboard_are_pictures(
    page: Any, demo: dict[str, Any]
) -> None:
    page.goto(f"{demo['url']}/console/evals")
    assert page.locator(".chart-panel svg").count() == 5  # one per (capability, suite)
    assert "recommend_refund · adversarial" in page.content()
    shoot(page, "evals")
    page.click("table.evals tbody tr >> nth=0 >> a")
    page.wait_for_load_state()
    assert page.locator("table.gates tbody tr").count() >= 1
    shoot(page, "eval-report")
    page.goto(f"{demo['url']}/console/metrics?window=1h")
    assert page.locator(".chart-panel svg").count() == 5
    assert page.locator("svg circle").count() >= 3  # the demo's runs: latency, approvals, cost
    assert page.locator("table.runbook tbody tr").count() >= 6
    shoot(page, "metrics")
    page.screenshot(path=str(ARTIFACTS / "metrics-top.png"))  # the charts, for the README
