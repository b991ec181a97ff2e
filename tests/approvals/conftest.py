from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _effects_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from tests.approvals import refund_agent

    path = tmp_path / "effects.jsonl"
    monkeypatch.setattr(refund_agent, "EFFECTS", path)
    monkeypatch.setenv("EARNED_TEST_EFFECTS", str(path))
    return path
