"""The `earned` command line."""

from __future__ import annotations

import sys

from earned.cli._app import build_app, main

__all__ = ["build_app", "main", "run"]


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
