"""scikit-learn is an optional dependency: fail with the extra to install when it is missing."""

from __future__ import annotations

import importlib
from typing import Any

from earned.errors import UserError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(UserError):
    """An optional dependency of the refund example is not installed."""


def require(module: str) -> Any:
    """Import `module` (e.g. `sklearn.pipeline`) or raise MissingExtraError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"the refund agent's offline brain needs scikit-learn ({module} could not be "
            f"imported: {exc}); install it with: pip install 'earned[refund]'",
            module=module,
            extra="refund",
            fix="pip install 'earned[refund]'",
        ) from None
