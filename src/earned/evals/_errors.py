"""Errors of the eval suite: files that cannot be loaded, runs that cannot be started.

All are `earned.errors.UserError`s, so the CLI prints them without a stack trace::

    UserError
     └── EvalFileError        a dataset, manifest or evals.yaml with a mistake (path, line, fix)
          ├── DatasetError    a JSONL dataset line that is not a valid scenario
          └── ManifestError   a gate manifest that cannot be loaded
"""

from __future__ import annotations

from earned.errors import UserError

__all__ = ["DatasetError", "EvalFileError", "ManifestError"]


class EvalFileError(UserError):
    """A file of the eval suite that cannot be used; `details` has `path`, `line` and `fix`."""

    def headline(self) -> str:
        """`path:line: message`."""
        where = self.details.get("path") or "<eval file>"
        line = self.details.get("line")
        return f"{where}:{line}: {self.message}" if line else f"{where}: {self.message}"

    def __str__(self) -> str:
        fix = self.details.get("fix")
        return self.headline() + (f"\n  fix: {fix}" if fix else "")


class DatasetError(EvalFileError):
    """A dataset line that is not valid JSON or not a valid scenario."""


class ManifestError(EvalFileError):
    """A gate manifest that cannot be loaded (unknown eval, flag, key, or a bad minimum)."""
