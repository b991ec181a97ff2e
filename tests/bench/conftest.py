"""Load the benchmark scripts (bench/ is not a package) and find the anchors' venv."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str) -> ModuleType:
    """Import bench/<name>.py as a module (registered, so its worker processes match)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench_venv() -> Path:
    """The anchors' venv (scripts/bench_venv.sh); skipped when absent.

    Under EARNED_TEST_REQUIRE_BENCH_VENV=1 a missing venv is a failure, not a skip.
    """
    venv = Path(
        os.environ.get("EARNED_BENCH_VENV", Path.home() / ".cache" / "earned" / "bench-venv")
    )
    if not (venv / "bin" / "python").exists():
        message = (
            f"the anchors' venv is not at {venv}: run scripts/bench_venv.sh (or set "
            "EARNED_BENCH_VENV) to benchmark against PydanticAI+DBOS and LangGraph"
        )
        if os.environ.get("EARNED_TEST_REQUIRE_BENCH_VENV") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return venv


@pytest.fixture
def postgres_server_url(postgres_server: sa.Engine) -> str:
    """The server's maintenance-database URL; the benchmarks create their databases on it."""
    return postgres_server.url.render_as_string(hide_password=False)
