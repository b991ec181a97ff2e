"""Values written for people: 95.0%, 5.20 s, $0.50, 50,000 tokens."""

from __future__ import annotations

__all__ = ["format_value"]


def format_value(value: float | None, unit: str) -> str:
    """`value` in its unit; `-` when there is none."""
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"
    if unit == "usd":
        return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"
    if unit == "tokens":
        return f"{value:,.0f}"
    if unit == "turns":
        return f"{value:.1f}"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
