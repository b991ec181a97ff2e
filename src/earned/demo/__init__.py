"""`earned demo`: a small offline support agent run durably under policy."""

from earned.demo._agent import build_agent, classify
from earned.demo._run import DemoSummary, run_demo

__all__ = ["DemoSummary", "build_agent", "classify", "run_demo"]
