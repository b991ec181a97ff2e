"""`earned demo`: the refund agent's story offline, and a small support agent for examples."""

from earned.demo._agent import build_agent, classify
from earned.demo._run import DemoSummary, run_demo
from earned.demo._story import (
    DEMO_PRINCIPAL,
    DemoOptions,
    DemoStory,
    StoryProgress,
    live_tickets,
    locate_example,
    tell_story,
)

__all__ = [
    "DEMO_PRINCIPAL",
    "DemoOptions",
    "DemoStory",
    "DemoSummary",
    "StoryProgress",
    "build_agent",
    "classify",
    "live_tickets",
    "locate_example",
    "run_demo",
    "tell_story",
]
