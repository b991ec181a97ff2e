"""Policy: the one enforcement point every tool call passes before it runs and after it returns."""

from earned.policy._decision import CallRequest, Decision, Effect, ResultDecision
from earned.policy._loader import SCHEMA_VERSION
from earned.policy._policy import DEFAULT_APPROVERS, Policy, PolicyEngine
from earned.policy._rules import OPERATORS, Condition, Predicate, ResultPredicate, Rule

__all__ = [
    "DEFAULT_APPROVERS",
    "OPERATORS",
    "SCHEMA_VERSION",
    "CallRequest",
    "Condition",
    "Decision",
    "Effect",
    "Policy",
    "PolicyEngine",
    "Predicate",
    "ResultDecision",
    "ResultPredicate",
    "Rule",
]
