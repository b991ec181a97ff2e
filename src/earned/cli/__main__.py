"""`python -m earned.cli` runs the `earned` command."""

from earned.cli import run

run()
