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

import inngest

from lib.approvals import APPROVAL_TTL
from lib.inngest.client import get_client
from lib.inngest.events import (
    ACTION_APPROVED,
    ACTION_REJECTED,
    APPROVAL_DECIDED,
    APPROVAL_DECISION_MATCH,
    APPROVAL_REQUESTED,
    ActionApproved,
    ActionRejected,
)
from lib.workflows.approvals import steps
from lib.workflows.approvals.models import ApprovalOutcome, Notified, OpenRequest, SlackUpdate, StoredDecision
from lib.workflows.results import Comment

RETRIES = 3


@get_client().create_function(
    fn_id="request-approval",
    name="Request human approval",
    trigger=inngest.TriggerEvent(event=APPROVAL_REQUESTED.name),
    retries=RETRIES,
    output_type=ApprovalOutcome,
)
def request_approval(ctx: inngest.ContextSync) -> ApprovalOutcome:
    requested = APPROVAL_REQUESTED.parse(ctx.event.data)
    action_id = requested.action_id

    ctx.step.run("create-request", steps.create_request, action_id, output_type=OpenRequest)
    notified = ctx.step.run("notify-approvers", steps.notify_approvers, action_id, output_type=Notified)
    decided = ctx.step.wait_for_event(
        "wait-for-decision",
        event=APPROVAL_DECIDED.name,
        if_exp=APPROVAL_DECISION_MATCH.expression,
        timeout=APPROVAL_TTL,
    )
    response_url = None
    if decided is None:
        outcome = ctx.step.run("handle-timeout", steps.handle_timeout, action_id, output_type=StoredDecision)
    else:
        decision = APPROVAL_DECIDED.parse(decided.data)
        outcome = ctx.step.run("record-decision", steps.record_decision, decision, output_type=StoredDecision)
        response_url = decision.response_url

    decided_by = outcome.decided_by or "unknown"
    if outcome.outcome == "approved":
        approved = ActionApproved(action_id=action_id, conversation_id=requested.conversation_id,
                                  app_id=requested.app_id, decided_by=decided_by)
        ctx.step.send_event("send-outcome", ACTION_APPROVED.build(approved, id=f"action-approved-{action_id}"))
    elif outcome.outcome == "rejected":
        rejected = ActionRejected(action_id=action_id, conversation_id=requested.conversation_id,
                                  app_id=requested.app_id, decided_by=decided_by, reason=outcome.reason)
        ctx.step.send_event("send-outcome", ACTION_REJECTED.build(rejected, id=f"action-rejected-{action_id}"))
    slack = None
    if notified.slack and outcome.outcome in ("approved", "rejected", "expired"):
        slack = ctx.step.run("update-slack-message", steps.update_slack, action_id, response_url, ctx.attempt >= RETRIES,
                             output_type=SlackUpdate)
    return ApprovalOutcome(action_id=action_id, notified=notified, slack_update=slack, **outcome.model_dump())


@get_client().create_function(
    fn_id="notify-rejection",
    name="Comment on a rejected action",
    trigger=inngest.TriggerEvent(event=ACTION_REJECTED.name),
    retries=3,
    output_type=Comment,
)
def notify_rejection(ctx: inngest.ContextSync) -> Comment:
    return ctx.step.run("comment-in-front", steps.comment_rejection, ACTION_REJECTED.parse(ctx.event.data), output_type=Comment)


FUNCTIONS = [request_approval, notify_rejection]
