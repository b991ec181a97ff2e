"""The autonomy ladder: the stages a capability moves through, lowest first."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Stage"]


class Stage(StrEnum):
    """A capability's stage; policy rules may name the stages they apply to."""

    DISABLED = "disabled"
    SHADOW = "shadow"
    ASSIST = "assist"
    APPROVAL_REQUIRED = "approval_required"
    LIMITED = "limited"
    EXPANDED = "expanded"
    CONDITIONAL_AUTO = "conditional_auto"
    AUTONOMOUS = "autonomous"

    @property
    def rank(self) -> int:
        """Position on the ladder, 0 for disabled."""
        return list(Stage).index(self)
