"""What the approval workflow's steps return (see `lib.workflows.results`).

`Notified` and `SlackUpdate` are `lib.approvals.notify`'s, which makes them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from lib.approvals.notify import Notified, SlackUpdate
from lib.inngest.events import CAMEL_CASE

__all__ = ["ApprovalOutcome", "Notified", "OpenRequest", "SlackUpdate", "StoredDecision"]


class OpenRequest(BaseModel):
    """`create-request`: the approval request as opened (or found open by a retry)."""

    model_config = CAMEL_CASE

    action_id: str
    status: str
    expires_at: datetime


class StoredDecision(BaseModel):
    """`record-decision` / `handle-timeout`: the request as stored, which is the truth whoever decided first."""

    model_config = CAMEL_CASE

    outcome: str  # approved | rejected | expired | pending | unknown (no request)
    decided_by: str | None = None
    decided_at: datetime | None = None
    channel: str | None = None
    reason: str | None = None


class ApprovalOutcome(StoredDecision):
    """`request-approval`'s output: the stored decision, where approvers were told, and the Slack update."""

    action_id: str
    notified: Notified
    slack_update: SlackUpdate | None = None
