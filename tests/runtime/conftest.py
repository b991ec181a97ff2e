from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime import agents


@pytest.fixture(autouse=True)
def _reset_tools() -> Iterator[None]:
    agents.reset()
    yield
    agents.reset()
