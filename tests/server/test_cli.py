"""`earned tokens` and `earned serve`: tokens from the command line, the API on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli_runner import run


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EARNED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_tokens_create_list_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "tokens", "create", "--role", "reviewer", "--tenant", "acme")
    assert code == 0, err
    secret = out.splitlines()[1]
    assert secret.startswith("ern_")
    assert "not shown again" in err
    code, out, _ = run(capsys, "tokens", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["role"], listed["tenant"], listed["status"]) == ("reviewer", "acme", "active")
    assert secret not in out
    assert listed["prefix"] == secret[:10]
    code, out, _ = run(capsys, "tokens", "revoke", listed["token_id"], "--json")
    assert json.loads(out)["status"] == "revoked"
    code, out, _ = run(capsys, "tokens", "list", "--active", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "reviewer"], "say which tenant the token sees"),
        (["--role", "reviewer", "--tenant", "a", "--all-tenants"], "say which tenant"),
        (["--role", "operator", "--all-tenants"], "scoped to one tenant"),
        (["--role", "boss", "--tenant", "a"], "unknown role"),
        (["--role", "viewer", "--tenant", "a", "--expires", "soon"], "cannot read --expires"),
    ],
)
def test_tokens_create_says_what_is_wrong(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, _ = run(capsys, "tokens", "create", *args, "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert message in error["message"]
    assert error["fix"]


def test_a_token_that_never_expires_and_one_for_every_tenant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "tokens", "create", "--role", "viewer", "--all-tenants",
                       "--expires", "never", "--name", "prometheus", "--json")  # fmt: skip
    created = json.loads(out)
    assert (code, created["tenant"], created["expires_at"], created["name"]) == (
        0,
        None,
        None,
        "prometheus",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_loopback_with_a_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    _, out, _ = run(capsys, "tokens", "create", "--role", "viewer", "--tenant", "acme",
                    "--database", database, "--json")  # fmt: skip
    secret = json.loads(out)["secret"]
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    server = subprocess.Popen(
        [sys.executable, "-m", "earned.cli", "serve", "tests.server.agents:ECHO",
         "--port", str(port), "--database", database],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("earned serve did not answer")
        assert health.json() == {"status": "ok"}
        assert "server" not in health.headers
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert httpx.get(f"{base}/v1/runs").status_code == 401
        agents = httpx.get(f"{base}/v1/agents", headers={"Authorization": f"Bearer {secret}"})
        assert [a["name"] for a in agents.json()] == ["echo"]
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"earned API on http://127.0.0.1:{port}" in err
    assert secret not in out + err
