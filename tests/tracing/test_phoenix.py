"""End to end against a real consumer: Arize Phoenix receives our OTLP and shows it back.

Phoenix runs from its own virtual environment (`scripts/phoenix_venv.sh` makes it; the
path is `$EARNED_PHOENIX_VENV`, default `~/.cache/earned/phoenix-venv`), on free loopback
ports with a temporary working directory. Real runs go through the durable Engine with an
`OTLPExporter` sink (live), and a stored trace is exported again after the fact; the test
then reads the spans back through Phoenix's REST API and checks their names, parentage
and GenAI attributes, and that a planted email never reached Phoenix unredacted.

Skipped when the venv is absent, unless EARNED_TEST_REQUIRE_PHOENIX=1 (CI sets it).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from earned.redaction import Redactor
from earned.runtime._events import RunEvent
from earned.store import Database
from earned.tracing import OTLPExporter, Trace, TraceStore, otel_trace_id, trace_spans
from tests.tracing.runs import CANARY_EMAIL, record_runs

pytestmark = pytest.mark.slow

VENV = Path(os.environ.get("EARNED_PHOENIX_VENV") or Path.home() / ".cache/earned/phoenix-venv")
LAUNCHER = Path(__file__).with_name("phoenix_launcher.py")
STARTUP_SECONDS = 180.0
ARRIVAL_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Phoenix:
    url: str
    log: Path

    def spans(self, project: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/v1/projects/{project}/spans", params={"limit": 1000})
        if response.status_code == 404:  # the project appears with its first span
            return []
        response.raise_for_status()
        return list(response.json()["data"])

    def wait_for(self, project: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + ARRIVAL_SECONDS
        spans = self.spans(project)
        while len(spans) < count and time.monotonic() < deadline:
            time.sleep(0.5)
            spans = self.spans(project)
        assert len(spans) == count, f"Phoenix has {len(spans)} of {count} spans in {project}"
        return spans


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Phoenix exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(
        f"Phoenix did not become healthy in {STARTUP_SECONDS:g}s:\n{log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phoenix]:
    python = VENV / "bin" / "python"
    if not python.exists():
        message = f"no Phoenix venv at {VENV}; create it with scripts/phoenix_venv.sh"
        if os.environ.get("EARNED_TEST_REQUIRE_PHOENIX") == "1":
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("phoenix")
    port, grpc_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = workdir / "phoenix.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(python), str(LAUNCHER), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Phoenix(url=url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def _expected(trace: Trace) -> dict[str, tuple[str, str | None]]:
    """span id (hex) -> (name, parent span id (hex) or None) as earned maps them."""
    return {
        _hex(s.span_id, 16): (
            s.name,
            None if s.parent_span_id is None else _hex(s.parent_span_id, 16),
        )
        for s in trace_spans(trace)
    }


def _received(spans: list[dict[str, Any]], trace_id: str) -> dict[str, tuple[str, str | None]]:
    return {
        s["context"]["span_id"]: (s["name"], s["parent_id"])
        for s in spans
        if s["context"]["trace_id"] == trace_id
    }


def test_phoenix_receives_names_parentage_and_genai_attributes(
    phoenix: Phoenix, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'earned.db'}"
    live = OTLPExporter(
        phoenix.url,
        include_content=True,
        redactor=Redactor(),
        resource_attributes={"openinference.project.name": "earned-live"},
    )
    runs = asyncio.run(record_runs(url, sinks=(live,)))
    live.close()
    with Database(url) as db:
        store = TraceStore(db)
        traces = {name: store.get(run_id) for name, run_id in runs.items()}
    expected = {name: _expected(trace) for name, trace in traces.items()}
    received = phoenix.wait_for("earned-live", sum(len(e) for e in expected.values()))
    for name, trace in traces.items():
        trace_id = _hex(otel_trace_id(trace.trace_id), 32)
        assert _received(received, trace_id) == expected[name], name

    spans = {
        s["name"]: s
        for s in received
        if s["context"]["trace_id"] == _hex(otel_trace_id(runs["completed"]), 32)
    }
    agent = spans["invoke_agent refunds"]
    assert agent["parent_id"] is None
    assert agent["attributes"]["gen_ai.operation.name"] == "invoke_agent"
    assert agent["attributes"]["gen_ai.agent.name"] == "refunds"
    assert agent["attributes"]["gen_ai.conversation.id"] == "conv-1"
    chat = spans["chat scripted"]
    assert chat["attributes"]["gen_ai.operation.name"] == "chat"
    assert chat["attributes"]["gen_ai.provider.name"] == "test"
    assert chat["attributes"]["gen_ai.request.model"] == "scripted"
    assert chat["attributes"]["gen_ai.usage.input_tokens"] == 120
    assert chat["attributes"]["gen_ai.usage.output_tokens"] == 30
    assert chat["span_kind"] == "LLM"  # Phoenix read our GenAI attributes as an LLM call
    tool = spans["execute_tool submit_refund"]
    assert tool["attributes"]["gen_ai.tool.name"] == "submit_refund"
    assert tool["attributes"]["gen_ai.tool.call.id"] == "call_submit_refund"
    assert tool["span_kind"] == "TOOL"
    assert json.loads(tool["attributes"]["gen_ai.tool.call.arguments"])["email"] == "<EMAIL_1>"

    failed = {
        s["name"]: s
        for s in received
        if s["context"]["trace_id"] == _hex(otel_trace_id(runs["failed"]), 32)
    }
    assert failed["execute_tool broken_lookup"]["status_code"] == "ERROR"

    # After the fact: runs that were never exported live, sent from the store.
    later = f"sqlite:///{tmp_path / 'later.db'}"
    later_runs = asyncio.run(record_runs(later))
    with Database(later) as db:
        stored = TraceStore(db).get(later_runs["completed"])
    judged = next(s for s in stored.spans if s.kind == "model_call")
    evaluation = RunEvent(
        run_id=stored.trace_id,
        span_id=f"{stored.trace_id}:09999",
        parent_id=judged.span_id,
        kind="evaluation",  # type: ignore[arg-type]
        name="groundedness",
        started_at=judged.ended_at or judged.started_at,
        ended_at=judged.ended_at,
        status="pass",
        attributes={"score": 0.9, "explanation": f"quotes {CANARY_EMAIL} correctly"},
    )
    after = Trace.build(stored.run, [*stored.spans, evaluation])
    with OTLPExporter(
        phoenix.url,
        include_content=True,
        redactor=Redactor(),
        resource_attributes={"openinference.project.name": "earned-stored"},
    ) as exporter:
        assert exporter.export(after) == 8
    again = phoenix.wait_for("earned-stored", 8)
    assert _received(again, _hex(otel_trace_id(stored.trace_id), 32)) == _expected(stored)
    (judged_span,) = [s for s in again if s["attributes"].get("earned.span_id") == judged.span_id]
    (result,) = judged_span["events"]
    assert result["name"] == "gen_ai.evaluation.result"
    assert result["attributes"]["gen_ai.evaluation.name"] == "groundedness"
    assert result["attributes"]["gen_ai.evaluation.score.value"] == 0.9
    assert result["attributes"]["gen_ai.evaluation.score.label"] == "pass"

    everything = json.dumps(received + again)
    assert CANARY_EMAIL not in everything  # the planted email never reached Phoenix
    assert "<EMAIL_1>" in everything  # content was exported, redacted
