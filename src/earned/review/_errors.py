"""Review errors: an item that is not there, and a decision the queue refuses."""

from __future__ import annotations

from earned.errors import UserError

__all__ = ["ItemNotFound", "ReviewRefused"]


class ItemNotFound(UserError):
    """No queue item with this id (or not one the caller may see); `details['item_id']`."""


class ReviewRefused(UserError):
    """A review decision was refused; `details['check']` names the check that failed.

    Checks: `not_pending` (already decided), `kind` (the action does not fit the item, e.g.
    approving an audit sample), `self_approval`, `tenant`, `edit` (the edit is missing or
    changes nothing), `reason_code` and `note` (required for edits, rejections and failing
    scores).
    """
