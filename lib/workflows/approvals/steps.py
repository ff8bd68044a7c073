"""Bodies of the approval workflow's steps (`function.py` wires them): the approval store, notifications, the Slack update."""

from __future__ import annotations

from lib.approvals import APPROVAL_TTL
from lib.inngest.events import ActionRejected, ApprovalDecided
from lib.workflows.approvals.models import Notified, OpenRequest, SlackUpdate, StoredDecision
from lib.workflows.results import Comment


def create_request(action_id: str) -> OpenRequest:
    """Open the approval request (a retry finds it open)."""
    from lib.approvals import store

    view = store.open_request(action_id, APPROVAL_TTL)
    return OpenRequest(action_id=view.action_id, status=view.status, expires_at=view.expires_at)


def notify_approvers(action_id: str) -> Notified:
    """Tell approvers: Slack when configured, the web page always."""
    from lib.approvals.notify import notify_approvers as notify

    return notify(action_id)


def _stored_decision(action_id: str) -> StoredDecision:
    from lib.approvals import store

    view = store.get(action_id)
    if view is None:
        return StoredDecision(outcome="unknown")
    if view.decided:
        return StoredDecision(outcome=view.status, decided_by=view.decided_by, decided_at=view.decided_at,
                              channel=view.decision_channel, reason=view.reason)
    return StoredDecision(outcome=view.status)


def record_decision(event: ApprovalDecided) -> StoredDecision:
    """Record the awaited decision (a no-op if the endpoint already did); the stored decision wins."""
    from lib.approvals import store

    result = store.decide(event.action_id, event.decision, event.decided_by, event.channel, event.reason, handed_over=True)
    if result.outcome == "expired":
        store.expire(event.action_id)
    return _stored_decision(event.action_id)


def handle_timeout(action_id: str) -> StoredDecision:
    """Nobody decided in time: expire the request, unless a decision landed just before."""
    from lib.approvals import store

    store.expire(action_id)
    return _stored_decision(action_id)


def update_slack(action_id: str, response_url: str | None, last_attempt: bool) -> SlackUpdate:
    """Show the outcome in the Slack message; Slack failures retry, except on the last attempt or a spent response URL."""
    from lib.approvals.notify import update_slack_message
    from lib.approvals.slack import SlackGone

    try:
        return update_slack_message(action_id, response_url)
    except SlackGone as exc:
        return SlackUpdate(done=False, reason=str(exc))
    except Exception as exc:
        if not last_attempt:
            raise
        return SlackUpdate(done=False, reason=f"{type(exc).__name__}: {exc}")


def comment_rejection(event: ActionRejected) -> Comment:
    """Tell teammates in Front that the action was turned down (best effort)."""
    from lib.actions.store import get_action
    from lib.front.client import comment_best_effort

    action = get_action(event.action_id)
    what = action.type if action else "the proposed action"
    text = f"Support AI: {what} was rejected by {event.decided_by}" + (f" ({event.reason})" if event.reason else "") + "."
    commented = comment_best_effort(event.conversation_id, text, what="Front comment for a rejected action")
    return Comment(done=commented, text=text)


