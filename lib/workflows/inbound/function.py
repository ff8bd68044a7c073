"""`handle-inbound-message`: one durable run per inbound customer message.

gather-context -> [route] -> agent-reasoning -> (store-action -> request approval | execute) -> create-draft
-> (when the trust gate allows: lib.trust.gate) wait-for-send -> auto-send

Routing (lib.routing) runs on what gather-context gathered, not on the event alone: the event's
body may be cut (`bodyTruncated`) or missing (previews), and the loop guard and the rules want the
whole latest message. gather-context applies the rules itself (pure, no model call), so the
`route` step runs only for what they leave open: the classifier's model call, retried alone.
`no_reply` ends the run there (the app's `no_reply_action` may archive or tag it in Front),
`human` ends it with a Front comment saying why; neither calls the agent nor writes a draft.

Throttled to one run per conversation per 10 s, so a customer writing three times
in a row does not get three agents racing over one conversation. A teammate's
reply (`front/outbound_sent` for the conversation) cancels the run: whatever it
was about to send is no longer wanted.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import inngest

from lib.agent.models import AgentContext, AgentDecision
from lib.drafts import DraftRecord
from lib.inngest.client import get_client
from lib.inngest.events import (
    APPROVAL_REQUESTED,
    FRONT_INBOUND_RECEIVED,
    FRONT_OUTBOUND_SENT,
    HUMAN_REPLY_CANCELS_AUTO_SEND,
    ActionApproved,
    ActionSpec,
    ApprovalRequested,
    InboundReceived,
)
from lib.workflows.inbound import steps
from lib.workflows.actions import POLICY, execute_approved_action
from lib.routing import RouteDecision
from lib.workflows.inbound.models import AutoSent, Comment, FinishedAction, Gathered, NoReply, StoredAction

THROTTLE = inngest.Throttle(key="event.data.conversationId", limit=1, period=timedelta(seconds=10))


@get_client().create_function(
    fn_id="handle-inbound-message",
    name="Handle inbound customer message",
    trigger=inngest.TriggerEvent(event=FRONT_INBOUND_RECEIVED.name),
    throttle=THROTTLE,
    cancel=[inngest.Cancel(event=FRONT_OUTBOUND_SENT.name, if_exp=HUMAN_REPLY_CANCELS_AUTO_SEND.expression)],
    retries=3,
)
def handle_inbound_message(ctx: inngest.ContextSync) -> dict[str, Any]:
    inbound = FRONT_INBOUND_RECEIVED.parse(ctx.event.data)

    gathered = ctx.step.run("gather-context", steps.gather, inbound, output_type=Gathered)
    context, routed = gathered.context, gathered.routed
    if routed is None:  # the rules left it to the classifier
        try:
            routed = ctx.step.run("route", steps.route_message, inbound, context, output_type=RouteDecision)
        except inngest.StepError as exc:
            # The classifier stayed unavailable through every retry: a person routes this one.
            _hand_to_human(ctx, inbound.conversation_id, f"routing failed: {exc}")
            return {"processed": False, "action": None, "needsHuman": True, "route": None}
    route = routed.model_dump(mode="json")
    if routed.route == "no_reply":
        settled = ctx.step.run("no-reply", steps.settle_no_reply, inbound.conversation_id, routed, context.app,
                               output_type=NoReply)
        return {"processed": True, "route": route, "noReply": settled.model_dump(mode="json"), "action": None, "draft": None,
                "agentMode": None}
    if routed.route == "human":
        handed = ctx.step.run("route-to-human", steps.route_to_human, inbound.conversation_id, routed, output_type=Comment)
        return {"processed": True, "route": route, "needsHuman": True, "handOver": handed.model_dump(mode="json"), "action": None,
                "draft": None, "agentMode": None}
    try:
        decision = ctx.step.run("agent-reasoning", steps.reason, context, output_type=AgentDecision)
    except inngest.StepError as exc:
        # The agent stayed unavailable through every retry: a human answers this one.
        _hand_to_human(ctx, inbound.conversation_id, f"agent failed: {exc}")
        return {"processed": False, "action": None, "needsHuman": True}

    finished = _handle_action(ctx, inbound, context, decision)
    action = finished.model_dump(mode="json") if finished else None
    app = context.app
    action_failed = finished is not None and finished.status == "failed"  # the gate keeps such a reply for a human

    draft = None
    if decision.draft_response:
        body = steps.with_action_result(decision.draft_response, finished)
        try:
            draft = ctx.step.run("create-draft", steps.create_draft, inbound.conversation_id, ctx.run_id, body, app,
                                 decision.category, decision.confidence, routed.route, action_failed,
                                 _received_at(ctx.event.ts), output_type=DraftRecord)
        except inngest.StepError as exc:
            # Front kept refusing, or a setting is missing (failed at once): a human writes the reply.
            _hand_to_human(ctx, inbound.conversation_id, f"the draft could not be written: {exc}")
            return {"processed": False, "action": action, "draft": None, "needsHuman": True}
    else:
        _hand_to_human(ctx, inbound.conversation_id, "the agent wrote no reply")

    sent = None
    if draft and draft.send_after:
        ctx.step.sleep("wait-for-send", steps.auto_send_delay(app))
        sent = ctx.step.run("auto-send", steps.auto_send, draft, output_type=AutoSent)

    return {
        "processed": True,
        "action": action,
        "draft": draft.model_dump(mode="json") if draft else None,
        "autoSend": sent.model_dump(mode="json", exclude_none=True) if sent else None,
        "fallbacks": context.fallbacks,
        "agentMode": decision.mode,
        "route": route,
        "category": decision.category,
        "confidence": decision.confidence,
    }


def _received_at(ts_ms: int) -> datetime | None:
    """When our webhook received the message: the inbound event's `ts` (ms since the epoch; 0 when unknown), naive UTC."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc).replace(tzinfo=None) if ts_ms > 0 else None


def _hand_to_human(ctx: inngest.ContextSync, conversation_id: str, reason: str) -> Comment:
    """Flag the conversation for a person and say why in Front."""
    return ctx.step.run("hand-to-human", steps.hand_to_human, conversation_id, reason, output_type=Comment)


def _handle_action(
    ctx: inngest.ContextSync, inbound: InboundReceived, context: AgentContext, decision: AgentDecision
) -> FinishedAction | None:
    """The proposed action, stored: waiting for approval, or carried out under the app's policy."""
    if decision.action is None:
        return None
    stored = ctx.step.run("store-action", steps.store_action, inbound, context, decision, output_type=StoredAction)
    if decision.requires_approval:
        request = ApprovalRequested(
            action_id=stored.id,
            conversation_id=inbound.conversation_id,
            app_id=inbound.app_id,
            action=ActionSpec(type=stored.type, parameters=stored.parameters),
            agent_reasoning=decision.reasoning or "",
            customer_email=stored.customer_email,
        )
        ctx.step.send_event("request-approval", APPROVAL_REQUESTED.build(request, id=f"approval-requested-{stored.id}"))
        return FinishedAction(done=False, reason="waiting for approval", id=stored.id, type=stored.type,
                              status="pending_approval")

    # The app's policy approves it: run it as its own (invoked) run, which a teammate's reply
    # cancelling this one cannot cut short, and use its result in the reply.
    approved = ActionApproved(action_id=stored.id, conversation_id=inbound.conversation_id,
                              app_id=inbound.app_id, decided_by=POLICY)
    try:
        finished = ctx.step.invoke("execute-action", function=execute_approved_action, data=approved.wire())
    except inngest.StepError as exc:
        return FinishedAction(done=False, reason=f"execute-approved-action failed: {exc}", id=stored.id, type=stored.type,
                              status="failed")
    return finished.model_copy(update={"id": stored.id, "type": stored.type})  # a skipped run does not know the type


FUNCTIONS = [handle_inbound_message]
