"""Approvals with integrity, and the idempotency ledger.

- `Approvals`: list, show, approve (possibly with edited arguments), reject; every decision
  is checked (role, self-approval, tenant, expiry, digest) and recorded.
- `DurableApprovalGate`: what a run does when policy says `require_approval`: it waits
  durably for a decision bound to the call's argument digest, reserves it, and the tool
  step consumes it exactly once.
- `Ledger`: every side-effecting call is `intended` before it runs and `committed` after;
  an unknown outcome is reconciled, never blindly repeated.
"""

from earned.approvals._api import ApprovalRefused, Approvals, DecisionNotifier, arguments_digest
from earned.approvals._gate import (
    ApprovalSettings,
    DurableApprovalGate,
    PollingWaiter,
    Waiter,
    approval_id_for,
)
from earned.approvals._ledger import Ledger
from earned.approvals._records import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStats,
    ApprovalStatus,
    LedgerEntry,
    LedgerState,
)
from earned.approvals._store import ApprovalStore

__all__ = [
    "ApprovalEvent",
    "ApprovalRefused",
    "ApprovalRequest",
    "ApprovalSettings",
    "ApprovalStats",
    "ApprovalStatus",
    "ApprovalStore",
    "Approvals",
    "DecisionNotifier",
    "DurableApprovalGate",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "PollingWaiter",
    "Waiter",
    "approval_id_for",
    "arguments_digest",
]
