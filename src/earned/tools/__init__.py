"""Tools: typed functions with a risk class, an argument schema and a returned-field allowlist."""

from earned.tools._projection import FieldAllowlist, Projection
from earned.tools._risk import RateLimit, RetryPolicy, RiskClass
from earned.tools._tool import Tool, ToolContext, ToolSpec, tool

__all__ = [
    "FieldAllowlist",
    "Projection",
    "RateLimit",
    "RetryPolicy",
    "RiskClass",
    "Tool",
    "ToolContext",
    "ToolSpec",
    "tool",
]
