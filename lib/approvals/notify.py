"""Telling approvers: Slack when configured, the web page always.

Notifying never fails the workflow: the web page lists every pending request, so
a Slack outage degrades to "web only" (recorded, with the reason) rather than
blocking the approval.
"""

from __future__ import annotations

from pydantic import BaseModel

from lib.approvals.slack import SlackMessage
from lib.fallback import with_fallback
from lib.inngest.events import CAMEL_CASE
from lib.workflows.results import StepResult


class Notified(BaseModel):
    """Where approvers were told: the web page always (`web_url`, when it could be signed), Slack when posted.

    Stored on the approval request (camelCase JSON) and `notify-approvers`' output; `note` says why web only.
    """

    model_config = CAMEL_CASE

    web: bool = True
    web_url: str | None = None
    slack: SlackMessage | None = None
    note: str | None = None


class SlackUpdate(StepResult):
    """`update-slack-message`: how the message was updated (`via`: chat.update | response_url), or why not."""

    via: str | None = None
    state: str | None = None


def notify_approvers(action_id: str) -> Notified:
    """Post the approval message where configured and record where it went."""
    from lib.approvals import links, slack, store

    view = store.get(action_id)
    if view is None:
        raise LookupError(f"no approval request for action {action_id!r}")
    web_url, _ = with_fallback(lambda: links.signed_link(action_id), None, what="signing the approval link")
    if not slack.configured():
        notified = Notified(web_url=web_url, note="web only: no Slack approver configured")
    else:
        posted, failed = with_fallback(lambda: slack.post_approval(view, web_url), None, what="posting the Slack approval message")
        notified = Notified(web_url=web_url, slack=posted, note="web only: the Slack message could not be posted" if failed else None)
    store.mark_notified(action_id, notified)
    return notified


def update_slack_message(action_id: str, response_url: str | None = None) -> SlackUpdate:
    """After a decision or expiry, replace the Slack buttons by the outcome; raises when Slack fails (the step retries).

    Bot messages are edited with `chat.update`; incoming-webhook messages have no
    id to edit, only the clicker's `response_url` (`replace_original`).
    """
    from lib.approvals import slack, store

    view = store.get(action_id)
    if view is None:
        return SlackUpdate(done=False, reason="no approval request")
    posted = view.notified.slack if view.notified else None
    if posted is not None and posted.channel and posted.ts:
        slack.update_decided(view, posted.channel, posted.ts)
        return SlackUpdate(done=True, via="chat.update", state=view.status)
    if response_url:
        slack.replace_through_response_url(view, response_url)
        return SlackUpdate(done=True, via="response_url", state=view.status)
    return SlackUpdate(done=False, reason="no Slack message this service can edit")
