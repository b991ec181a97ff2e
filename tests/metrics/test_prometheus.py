"""The Prometheus endpoint: families and labels, caching, bounded cardinality, ASGI, and a
real Prometheus (Debian's `prometheus` binary) scraping it end to end."""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from earned.errors import ConfigError
from earned.metrics import MetricsCollector, MetricsReader, prometheus_app
from earned.store import Database
from tests.metrics.conftest import Clock
from tests.metrics.data import NOW, add_spans, build_user_signals, build_world, tool_call

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape_text(text: str) -> Samples:
    """Every sample as (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(collector: MetricsCollector) -> Samples:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return scrape_text(generate_latest(registry).decode())


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


@pytest.fixture
def world(db: Database) -> Database:
    build_world(db)
    build_user_signals(db)
    return db


def test_values_are_the_computed_metrics_with_agent_capability_and_tool_labels(
    world: Database, clock: Clock
) -> None:
    reader = MetricsReader(world, clock=clock)
    samples = scrape(MetricsCollector(reader, window="1h"))
    get_order = labels(agent="refunds", capability="refund", tool="get_order")
    assert samples[("earned_tool_success_ratio", get_order)] == pytest.approx(2 / 3)
    assert samples[("earned_tool_calls", get_order)] == 5
    assert samples[
        ("earned_tool_latency_seconds", get_order | {("quantile", "0.95")})
    ] == pytest.approx(3.0)
    assert samples[
        ("earned_tool_latency_seconds", get_order | {("quantile", "0.5")})
    ] == pytest.approx(0.4)
    assert samples[("earned_tool_errors", get_order | {("error_type", "TransientToolError")})] == 1
    refunds = labels(agent="refunds", capability="refund")
    assert samples[("earned_task_completion_ratio", refunds)] == pytest.approx(0.6)
    assert samples[("earned_cost_usd", refunds)] == pytest.approx(0.65)
    assert samples[("earned_cost_per_user_day_usd_max", refunds)] == pytest.approx(0.40)
    submit = labels(agent="refunds", capability="refund", tool="submit_refund")
    assert samples[("earned_approval_ratio", submit)] == pytest.approx(0.8)
    assert samples[("earned_negative_feedback_ratio", refunds)] == pytest.approx(0.25)
    assert samples[("earned_metrics_window_seconds", labels())] == 3600


def test_a_metric_without_samples_is_no_series_not_zero(db: Database, clock: Clock) -> None:
    samples = scrape(MetricsCollector(MetricsReader(db, clock=clock)))
    names = {name for name, _ in samples}
    assert "earned_tool_success_ratio" not in names
    assert "earned_approval_ratio" not in names
    assert names == {"earned_metrics_window_seconds", "earned_metrics_series_dropped"}


def test_values_are_cached_for_a_few_seconds(db: Database, clock: Clock) -> None:
    ticks = [0.0]
    collector = MetricsCollector(
        MetricsReader(db, clock=clock), cache_seconds=10, monotonic=lambda: ticks[0]
    )
    add_spans(db, tool_call("r1", "search", at=NOW - 10))
    key = ("earned_tool_calls", labels(agent="", capability="", tool="search"))
    assert scrape(collector)[key] == 1
    add_spans(db, tool_call("r2", "search", at=NOW - 10))
    ticks[0] = 9.9
    assert scrape(collector)[key] == 1
    ticks[0] = 10.0
    assert scrape(collector)[key] == 2


def test_cardinality_is_bounded_by_max_series(db: Database, clock: Clock) -> None:
    calls = [tool_call(f"r{i}", f"tool_{i % 5}", at=NOW - 10 - i) for i in range(5)]
    calls += [tool_call("busy", "tool_0", at=NOW - 20)]  # tool_0 has the most samples
    add_spans(db, *calls)
    collector = MetricsCollector(MetricsReader(db, clock=clock), max_series=1)
    samples = scrape(collector)
    kept = [dict(lbl)["tool"] for name, lbl in samples if name == "earned_tool_calls"]
    assert kept == ["tool_0"]
    assert samples[("earned_metrics_series_dropped", labels())] > 0


def test_tenant_is_a_label_only_when_asked(world: Database, clock: Clock) -> None:
    reader = MetricsReader(world, clock=clock)
    with_tenant = scrape(MetricsCollector(reader, window="1h", by_tenant=True))
    key = labels(agent="triage", capability="classify", tenant="globex")
    assert with_tenant[("earned_runs", key)] == 2


async def test_the_asgi_app_serves_text_openmetrics_and_gzip(world: Database, clock: Clock) -> None:
    app = prometheus_app(world, window="1h", clock=clock)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://earned") as client:
        plain = await client.get("/metrics", headers={"accept-encoding": "identity"})
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'earned_runs{agent="refunds",capability="refund"} 5.0' in plain.text
        openmetrics = await client.get(
            "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
        assert openmetrics.text.rstrip().endswith("# EOF")
        zipped = await client.get("/metrics", headers={"accept-encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.text == plain.text  # httpx undid the gzip


def test_without_prometheus_client_the_error_names_the_extra(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ConfigError, match=r"pip install 'earned\[prometheus\]'"):
        prometheus_app(db)


# -- a real Prometheus ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        message = "the prometheus binary is not installed (.ci/ensure-prometheus installs it)"
        if os.environ.get("EARNED_TEST_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def earned_endpoint(world: Database, clock: Clock) -> Iterator[int]:
    """earned's /metrics served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    app = prometheus_app(world, window="1h", clock=clock, cache_seconds=0.5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def prometheus(prometheus_binary: str, earned_endpoint: int, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping the endpoint every second; yields its base URL."""
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: earned\n    metrics_path: /metrics\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{earned_endpoint}']\n"
    )
    port = _free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            prometheus_binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _query(base: str, promql: str, *, timeout: float = 90.0) -> list[dict[str, Any]]:
    """Poll Prometheus's query API until the query returns series (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5)
            last = answer.json()
            if answer.status_code == 200 and last["data"]["result"]:
                return last["data"]["result"]
        except (httpx.HTTPError, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"Prometheus never returned {promql!r}; last answer: {last!r}")


def _series(result: list[dict[str, Any]], *keep: str) -> dict[tuple[str, ...], float]:
    return {tuple(r["metric"].get(k, "") for k in keep): float(r["value"][1]) for r in result}


@pytest.mark.slow
def test_a_real_prometheus_scrapes_the_values_earned_computes(
    prometheus: str, world: Database, clock: Clock
) -> None:
    assert _series(_query(prometheus, 'up{job="earned"} == 1'), "job") == {("earned",): 1.0}
    reader = MetricsReader(world, clock=clock)
    by_tool = reader.compute(window="1h", by=["agent", "capability", "tool"])
    expected = {
        (v.group["agent"], v.group["capability"], v.group["tool"]): v.value
        for v in by_tool.values
        if v.metric == "tool_success_rate" and v.value is not None
    }
    scraped = _series(_query(prometheus, "earned_tool_success_ratio"), "agent", "capability",
                      "tool")  # fmt: skip
    assert scraped == pytest.approx(expected)
    assert scraped[("refunds", "refund", "get_order")] == pytest.approx(2 / 3)
    p95 = _query(prometheus, 'earned_tool_latency_seconds{quantile="0.95",tool="get_order"}')
    assert float(p95[0]["value"][1]) == pytest.approx(3.0)
    by_agent = reader.compute(["task_completion_rate", "cost_total"], window="1h",
                              by=["agent", "capability"])  # fmt: skip
    completion = _series(_query(prometheus, "earned_task_completion_ratio"), "agent")
    expected_completion = {
        (v.group["agent"],): v.value for v in by_agent.values if v.metric == "task_completion_rate"
    }
    assert completion == pytest.approx(expected_completion)
    approvals = _series(_query(prometheus, "earned_approval_ratio"), "tool")
    assert approvals == pytest.approx({("submit_refund",): 0.8, ("send_email",): 0.0})
    errors = _series(_query(prometheus, "earned_tool_errors"), "tool", "error_type")
    assert errors[("lookup_kb", "SemanticToolError")] == 1


def test_gzip_body_is_valid(world: Database, clock: Clock) -> None:
    # The body Prometheus receives when it asks for gzip is a complete exposition.
    app = prometheus_app(world, window="1h", clock=clock)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip, deflate")]}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    body = gzip.decompress(sent[1]["body"]).decode()
    assert ("earned_runs", labels(agent="refunds", capability="refund")) in scrape_text(body)
