"""The errors of the metrics package: a rule or runbook file that cannot be loaded."""

from __future__ import annotations

from earned.errors import UserError

__all__ = ["RuleFileError"]


class RuleFileError(UserError):
    """An alert-rule or runbook file that cannot be loaded; `details` has `path`, `line`, `fix`."""

    def headline(self) -> str:
        """`path:line: message`."""
        where = self.details.get("path") or "<rules>"
        line = self.details.get("line")
        return f"{where}:{line}: {self.message}" if line else f"{where}: {self.message}"

    def __str__(self) -> str:
        fix = self.details.get("fix")
        return self.headline() + (f"\n  fix: {fix}" if fix else "")
