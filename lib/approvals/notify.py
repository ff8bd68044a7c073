"""Telling approvers: Slack when configured, the web page always.

Notifying never fails the workflow: the web page lists every pending request, so
a Slack outage degrades to "web only" (recorded, with the reason) rather than
blocking the approval.
"""

from __future__ import annotations

from typing import Any

from lib.fallback import with_fallback


def notify_approvers(action_id: str) -> dict[str, Any]:
    """Post the approval message where configured and record where it went."""
    from lib.approvals import links, slack, store

    view = store.get(action_id)
    if view is None:
        raise LookupError(f"no approval request for action {action_id!r}")
    web_url, _ = with_fallback(lambda: links.signed_link(action_id), None, what="signing the approval link")
    notified: dict[str, Any] = {"web": True, "webUrl": web_url}
    if not slack.configured():
        notified["slack"] = None
        notified["note"] = "web only: no Slack approver configured"
    else:
        posted, failed = with_fallback(lambda: slack.post_approval(view, web_url), None, what="posting the Slack approval message")
        notified["slack"] = posted
        if failed:
            notified["note"] = "web only: the Slack message could not be posted"
    store.mark_notified(action_id, notified)
    return notified


def update_slack_message(action_id: str, response_url: str | None = None) -> dict[str, Any]:
    """After a decision or expiry, replace the Slack buttons by the outcome; raises when Slack fails (the step retries).

    Bot messages are edited with `chat.update`; incoming-webhook messages have no
    id to edit, only the clicker's `response_url` (`replace_original`).
    """
    from lib.approvals import slack, store

    view = store.get(action_id)
    if view is None:
        return {"updated": None, "why": "no approval request"}
    posted = (view.notified or {}).get("slack") or {}
    if posted.get("channel") and posted.get("ts"):
        slack.update_decided(view, posted["channel"], posted["ts"])
        return {"updated": "chat.update", "state": view.status}
    if response_url:
        slack.replace_through_response_url(view, response_url)
        return {"updated": "response_url", "state": view.status}
    return {"updated": None, "why": "no Slack message this service can edit"}
