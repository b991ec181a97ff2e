"""The earned pytest plugin: real model requests are blocked in test sessions by default.

Set EARNED_ALLOW_MODEL_REQUESTS=1 before running pytest to lift the block for a session,
or use `earned.models.allow_model_requests()` around a call to a local test server.
"""

from __future__ import annotations

import os

import pytest

_ENV = "EARNED_ALLOW_MODEL_REQUESTS"


def pytest_configure(config: pytest.Config) -> None:
    """Block real model requests unless the environment already says otherwise."""
    del config
    os.environ.setdefault(_ENV, "0")
