"""`request-approval` and `notify-rejection`: a human decides before the action runs.

create-request -> notify-approvers -> wait-for-decision (support/approval.decided,
same actionId, 24 h) -> record-decision -> send-outcome (action/approved|rejected)
-> update-slack-message, or on timeout handle-timeout (expired; a late decision is
refused with 409) -> update-slack-message.

The Slack message is updated here, not by the endpoint that took the click: Slack
gives that endpoint 3 s, and a step is retried. The update comes after the outcome,
so a Slack outage never holds an approved action back; on the last attempt (or
when the click's response URL is spent) it gives up and says so in its output.

The approver endpoints record the decision first (so duplicates get a clear 409);
`record-decision` records it again idempotently and takes the stored decision as
the truth, so whichever path got there first, one outcome is sent, once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import inngest

from lib.inngest.client import get_client
from lib.inngest.events import (
    ACTION_APPROVED,
    ACTION_REJECTED,
    APPROVAL_DECIDED,
    APPROVAL_DECISION_MATCH,
    APPROVAL_REQUESTED,
    ActionApproved,
    ActionRejected,
    ApprovalDecided,
)

APPROVAL_TIMEOUT = timedelta(hours=24)
RETRIES = 3


def create_request(action_id: str) -> dict[str, Any]:
    from lib.approvals import store

    view = store.open_request(action_id, APPROVAL_TIMEOUT)
    return {"actionId": view.action_id, "status": view.status, "expiresAt": view.expires_at.isoformat()}


def notify_approvers(action_id: str) -> dict[str, Any]:
    from lib.approvals.notify import notify_approvers as notify

    return notify(action_id)


def _stored_outcome(action_id: str) -> dict[str, Any]:
    from lib.approvals import store

    view = store.get(action_id)
    if view is None:
        return {"outcome": "unknown"}
    if view.decided:
        return {"outcome": view.status, "decidedBy": view.decided_by,
                "decidedAt": view.decided_at.isoformat() if view.decided_at else None,
                "channel": view.decision_channel, "reason": view.reason}
    return {"outcome": view.status}


def record_decision(decided: dict[str, Any]) -> dict[str, Any]:
    """Record the awaited decision (a no-op if the endpoint already did); the stored decision wins."""
    from lib.approvals import store

    event = ApprovalDecided.model_validate(decided)
    result = store.decide(event.action_id, event.decision, event.decided_by, event.channel, event.reason, handed_over=True)
    if result.outcome == "expired":
        store.expire(event.action_id)
    return _stored_outcome(event.action_id)


def handle_timeout(action_id: str) -> dict[str, Any]:
    """Nobody decided in time: expire the request, unless a decision landed just before."""
    from lib.approvals import store

    store.expire(action_id)
    return _stored_outcome(action_id)


def update_slack(action_id: str, response_url: str | None, last_attempt: bool) -> dict[str, Any]:
    """Show the outcome in the Slack message; Slack failures retry, except on the last attempt or a spent response URL."""
    from lib.approvals.notify import update_slack_message
    from lib.approvals.slack import SlackGone

    try:
        return update_slack_message(action_id, response_url)
    except SlackGone as exc:
        return {"updated": False, "error": str(exc)}
    except Exception as exc:
        if not last_attempt:
            raise
        return {"updated": False, "error": f"{type(exc).__name__}: {exc}"}


@get_client().create_function(
    fn_id="request-approval",
    name="Request human approval",
    trigger=inngest.TriggerEvent(event=APPROVAL_REQUESTED.name),
    retries=RETRIES,
)
def request_approval(ctx: inngest.ContextSync) -> dict[str, Any]:
    requested = APPROVAL_REQUESTED.parse(ctx.event.data)
    action_id = requested.action_id

    ctx.step.run("create-request", create_request, action_id)
    notified = ctx.step.run("notify-approvers", notify_approvers, action_id)
    decided = ctx.step.wait_for_event(
        "wait-for-decision",
        event=APPROVAL_DECIDED.name,
        if_exp=APPROVAL_DECISION_MATCH.expression,
        timeout=APPROVAL_TIMEOUT,
    )
    response_url = None
    if decided is None:
        outcome = ctx.step.run("handle-timeout", handle_timeout, action_id)
    else:
        outcome = ctx.step.run("record-decision", record_decision, dict(decided.data))
        response_url = APPROVAL_DECIDED.parse(decided.data).response_url

    if outcome["outcome"] == "approved":
        approved = ActionApproved(action_id=action_id, conversation_id=requested.conversation_id,
                                  app_id=requested.app_id, decided_by=outcome["decidedBy"])
        ctx.step.send_event("send-outcome", ACTION_APPROVED.build(approved, id=f"action-approved-{action_id}"))
    elif outcome["outcome"] == "rejected":
        rejected = ActionRejected(action_id=action_id, conversation_id=requested.conversation_id,
                                  app_id=requested.app_id, decided_by=outcome["decidedBy"], reason=outcome.get("reason"))
        ctx.step.send_event("send-outcome", ACTION_REJECTED.build(rejected, id=f"action-rejected-{action_id}"))
    if notified.get("slack") and outcome["outcome"] in ("approved", "rejected", "expired"):
        slack = ctx.step.run("update-slack-message", update_slack, action_id, response_url, ctx.attempt >= RETRIES)
        return {"actionId": action_id, "notified": notified, **outcome, "slackUpdate": slack}
    return {"actionId": action_id, "notified": notified, **outcome}


def comment_rejection(rejected: dict[str, Any]) -> dict[str, Any]:
    """Tell teammates in Front that the action was turned down (best effort)."""
    from lib.actions.store import get_action
    from lib.front.client import comment_best_effort

    event = ActionRejected.model_validate(rejected)
    action = get_action(event.action_id)
    what = action.type if action else "the proposed action"
    text = f"Support AI: {what} was rejected by {event.decided_by}" + (f" ({event.reason})" if event.reason else "") + "."
    commented = comment_best_effort(event.conversation_id, text, what="Front comment for a rejected action")
    return {"commented": commented, "text": text}


@get_client().create_function(
    fn_id="notify-rejection",
    name="Comment on a rejected action",
    trigger=inngest.TriggerEvent(event=ACTION_REJECTED.name),
    retries=3,
)
def notify_rejection(ctx: inngest.ContextSync) -> dict[str, Any]:
    return ctx.step.run("comment-in-front", comment_rejection, dict(ctx.event.data))


FUNCTIONS = [request_approval, notify_rejection]
