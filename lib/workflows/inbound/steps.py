"""Bodies of the inbound-message steps: plain functions, each testable alone.

`gather` returns `Gathered` (the agent's context, and the route when the rules decided it),
`route_message` and `reason` the router's and the agent's pydantic models, `store_action` a
`StoredAction`, `create_draft` a `DraftRecord` and `auto_send` an `AutoSent` (the function reads
them back through `output_type`).

Each is safe to run twice (a step retried after it did its work but before its
result was stored runs again): writes are keyed on the run or the message.

A step's heavy dependencies (`lib.conversations` and the database with it, the Front client, the
trust scores) are imported inside its body (the rule: `lib/workflows/__init__.py`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from lib import audit
from lib.apps import AUTO_SEND_DELAY_SECONDS
from lib.drafts import DRAFT_CREATED, DRAFT_SENDING, DRAFT_SENT, DRAFT_SUPERSEDED, DraftRecord
from lib.fallback import best_effort
from lib.agent.models import AgentContext, AgentDecision, AppInfo
from lib.inngest.events import InboundReceived
from lib.routing import RouteDecision
from lib.trust.gate import Verdict, auto_send_verdict
from lib.workflows.inbound.models import AutoSent, Comment, FinishedAction, Gathered, NoReply, StoredAction

logger = logging.getLogger("support.workflows")


def gather(inbound: InboundReceived) -> Gathered:
    """The `gather-context` step: customer, Front messages and app record, each falling back to the event;
    then the route, when the rules decide it (`route_without_model`), recorded."""
    from lib.workflows.inbound.context import gather_context

    context = AgentContext.model_validate(gather_context(inbound))
    return Gathered(context=context, routed=_route_without_model(inbound, context))


def _route_without_model(inbound: InboundReceived, context: AgentContext) -> RouteDecision | None:
    """The rules' route, recorded; None leaves routing to the `route` step: when only the classifier can
    tell, or when the database (the loop guard's record, or recording the route) failed, so that
    gathering never fails on routing's account and the `route` step keeps its own retries."""
    from lib.db import get_db
    from lib.routing import route_without_model

    try:
        # After the fetches, not beside them: a read on a thread of its own held the GIL while the
        # Front request was leaving, and cost the step more than it saved. The loop guard's read and
        # the route's record share one transaction: the rules make no call, and on MySQL each
        # session is a pool checkout with its ping.
        with get_db().session() as session:
            since = _seconds_since_auto_send(inbound.conversation_id, session=session)
            decision = route_without_model(context, seconds_since_auto_send=since)
            if decision is not None:
                _record_route(inbound, context, decision, session=session)
        return decision
    except Exception as exc:  # noqa: BLE001 - the `route` step tries again, with its retries
        logger.warning("routing %s while gathering failed, the route step will: %s: %s",
                       inbound.conversation_id, type(exc).__name__, exc)
        return None


def route_message(inbound: InboundReceived, context: AgentContext) -> RouteDecision:
    """The `route` step, for what `gather-context` left unrouted: the router's decision (the classifier's,
    usually), stored on the conversation and audited."""
    from lib.routing import route

    decision = route(context, seconds_since_auto_send=_seconds_since_auto_send(inbound.conversation_id))
    _record_route(inbound, context, decision)
    return decision


def _seconds_since_auto_send(conversation_id: str, *, session: Any = None) -> float | None:
    """For the loop guard: how long ago we last auto-sent into this conversation (our drafts table)."""
    from lib import conversations
    from lib.db.models import utcnow

    sent_at = conversations.last_auto_send(conversation_id, session=session)
    return (utcnow() - sent_at).total_seconds() if sent_at is not None else None


def _record_route(inbound: InboundReceived, context: AgentContext, decision: RouteDecision, *, session: Any = None) -> None:
    from lib import conversations

    conversations.record_route(inbound.conversation_id, decision.route, decision.reason, session=session,
                               message_id=inbound.message_id, app_id=context.app.id, rule=decision.rule,
                               category=decision.category)


def settle_no_reply(conversation_id: str, routed: RouteDecision, app: AppInfo) -> NoReply:
    """Do what the app chose for mail that needs no answer: archive it, tag it, or leave it in the inbox.

    Best effort: a Front failure is logged and the conversation simply stays open, which is
    what "nothing" would have done anyway; it never fails the run.
    """
    from lib.front.client import get_front

    choice = app.no_reply_action or "none"
    if choice == "archive":
        done = best_effort(lambda: get_front().archive_conversation(conversation_id), what="archiving a no-reply conversation")
    elif choice == "tag" and app.no_reply_tag_id:
        tag = app.no_reply_tag_id
        done = best_effort(lambda: get_front().add_tags(conversation_id, [tag]), what="tagging a no-reply conversation")
    else:
        return NoReply(front_action="none", done=True)
    audit.record("workflow", "conversation.no_reply", conversation_id=conversation_id, front_action=choice, done=done,
                 reason=routed.reason)
    return NoReply(front_action=choice, done=done, reason=None if done else "Front refused; the conversation stays open")


def route_to_human(conversation_id: str, routed: RouteDecision) -> Comment:
    """The router sent this to a person: flag the conversation and say why in a Front comment. No agent, no draft."""
    from lib import conversations
    from lib.front.client import comment_best_effort

    reason = routed.reason or "routed to a person"
    conversations.mark_needs_human(conversation_id, f"routed: {reason}")
    text = f"Support AI did not draft a reply: this needs a person ({reason}). Please reply personally."
    return Comment(done=comment_best_effort(conversation_id, text, what="Front comment for a routed hand-over"), text=text)


def reason(context: AgentContext) -> AgentDecision:
    """The agent's decision. `AgentUnavailable` propagates so the step retries."""
    from lib.agent import decide

    return decide(context)


def hand_to_human(conversation_id: str, reason: str) -> Comment:
    """Flag the conversation and leave teammates a comment in Front (best effort)."""
    from lib import conversations
    from lib.front.client import comment_best_effort

    conversations.mark_needs_human(conversation_id, reason)
    text = f"Support AI could not prepare an answer ({reason}). Please reply personally."
    return Comment(done=comment_best_effort(conversation_id, text, what="Front comment for a hand-over"), text=text)


def store_action(inbound: InboundReceived, context: AgentContext, decision: AgentDecision) -> StoredAction:
    """Store the agent's proposed action (once per message: its id comes from the message) and audit the proposal."""
    from lib.actions.store import PROPOSED, action_id_for, create_action

    proposed = decision.action
    if proposed is None:
        raise ValueError("store-action needs a decision with an action")
    record = create_action(
        action_id=action_id_for(inbound.conversation_id, inbound.message_id),
        conversation_id=inbound.conversation_id,
        app_id=context.app.id,
        type=proposed.type,
        parameters=proposed.parameters,
        requires_approval=decision.requires_approval,
        agent_reasoning=decision.reasoning,
        customer_email=context.customer_email,
        status=PROPOSED,
        category=decision.category,
        confidence=decision.confidence,
    )
    audit.record(
        "agent",
        "action.proposed",
        action_id=record.id,
        conversation_id=inbound.conversation_id,
        type=record.type,
        requires_approval=record.requires_approval,
        approval_reason=decision.approval_reason,
        **_approval_brief(record.type, record.parameters, context, decision),
    )
    return StoredAction.model_validate(record.model_dump())


def _approval_brief(kind: str, parameters: dict[str, Any], context: AgentContext, decision: AgentDecision) -> dict[str, Any]:
    """What an approver needs next to the action: the message it answers, the drafted reply, the purchase refunded."""
    brief: dict[str, Any] = {
        "customer_message": context.latest_message.body,
        "draft_response": decision.draft_response,
    }
    purchase = context.customer.purchase(parameters.get("purchaseId")) if context.customer else None
    if kind == "refund" and purchase is not None:
        brief["purchase"] = {key: purchase.get(key) for key in ("id", "product", "amount", "currency", "purchased_at")}
    return brief


def auto_send_delay(app: AppInfo) -> timedelta:
    """How long the app's drafts wait before auto-send."""
    return timedelta(seconds=app.auto_send_delay_seconds or AUTO_SEND_DELAY_SECONDS)


def with_action_result(body: str, action: FinishedAction | None) -> str:
    """The reply, with what an action done in this run produced for the customer (a sign-in link)."""
    if action is None or action.type != "magic_link" or not action.done:
        return body
    url = (action.result or {}).get("url")
    return f"{body}\n\nYour sign-in link: {url}" if isinstance(url, str) else body


def auto_send_gate(
    app: AppInfo, *, category: str | None, confidence: float | None, route: str | None, action_failed: bool
) -> Verdict:
    """Whether this draft may go out without a teammate (lib.trust.gate), with the category's stored trust."""
    from lib.trust.scores import trust_for

    trust = trust_for(app.id, category) if app.auto_send else None  # an app without auto-send needs no database read
    return auto_send_verdict(app, category=category, confidence=confidence, route=route, action_failed=action_failed,
                             trust=trust)


def create_draft(
    conversation_id: str,
    run_id: str,
    body: str,
    app: AppInfo,
    category: str | None = None,
    confidence: float | None = None,
    route: str | None = "respond",
    action_failed: bool = False,
    received_at: datetime | None = None,
) -> DraftRecord:
    """Put the reply into Front as a draft, once per run; a send time only when the trust gate allows it.

    The gate's reason is stored with the draft and, for apps with auto-send on, told to
    teammates in a Front comment. The answer carries the draft's Front `version` (needed to
    delete it); a retried step whose draft already exists reads the version from Front. When
    Front had merged the conversation, the draft is recorded under the surviving one.
    `received_at` is when our webhook got the message (the inbound event's `ts`).
    """
    from lib import conversations
    from lib.db.models import utcnow
    from lib.front.client import FrontNotFound, comment_best_effort, get_front

    front = get_front()
    existing = conversations.run_draft(run_id)
    if existing is not None and existing.front_draft_id:
        try:
            existing.version = front.get_draft(existing.front_draft_id).get("version")
        except FrontNotFound:
            existing.version = None  # gone from Front (a teammate sent or deleted it); auto-send will see that
        return existing

    verdict = auto_send_gate(app, category=category, confidence=confidence, route=route, action_failed=action_failed)
    created = front.create_draft(conversation_id, body)
    landed = str(created.get("conversation_id") or conversation_id)
    if landed != conversation_id:
        audit.record("workflow", "conversation.merged", conversation_id=conversation_id, merged_into=landed)
    send_after = utcnow() + auto_send_delay(app) if verdict.auto_send else None
    draft = conversations.record_draft(
        conversation_id=landed,
        run_id=run_id,
        front_draft_id=str(created.get("id")) if created.get("id") else None,
        body=body,
        send_after=send_after,
        category=category,
        confidence=confidence,
        app_id=app.id,
        received_at=received_at,
        auto_send_reason=verdict.reason,
    )
    draft.version = created.get("version")
    audit.record("workflow", "draft.created", conversation_id=landed, front_draft_id=draft.front_draft_id,
                 auto_send=bool(send_after), auto_send_reason=verdict.reason)
    if app.auto_send:
        comment_best_effort(landed, auto_send_comment(verdict, send_after), what="Front comment on auto-send")
    return draft


def auto_send_comment(verdict: Verdict, send_after: datetime | None) -> str:
    """What teammates read next to the draft: whether it goes out by itself, and why."""
    if verdict.auto_send and send_after is not None:
        return (f"Support AI will send this draft automatically at {send_after:%H:%M} UTC unless a teammate edits, "
                f"sends or replies first ({verdict.reason}).")
    return f"Support AI will not send this draft automatically: {verdict.reason}. Please review and send it."


def auto_send(draft: DraftRecord) -> AutoSent:
    """Send the draft unless a teammate got there first; the status change is the guard against double sends.

    A teammate who edited, sent or deleted our draft in Front has taken it over
    (its version changed, or it is gone): nothing is sent. After sending, the
    draft is deleted with its version; a teammate edit in between (409) leaves it.
    The uid Front gives the sent message is kept, so its outbound webhook is known as ours.
    """
    from lib import conversations

    conversation_id = draft.conversation_id
    if not conversations.set_draft_status(draft.id, DRAFT_SENDING):
        return AutoSent(done=False, reason="a teammate replied or the draft was already handled")

    from lib.front.client import FrontNotFound, get_front

    front = get_front()
    front_draft_id = draft.front_draft_id
    version = draft.version
    try:
        if front_draft_id:
            try:
                current = front.get_draft(front_draft_id)
            except FrontNotFound:
                current = None
            if current is None or (version and current.get("version") != version):
                conversations.set_draft_status(draft.id, DRAFT_SUPERSEDED, only_from=DRAFT_SENDING)
                audit.record("workflow", "draft.taken_over", conversation_id=conversation_id, front_draft_id=front_draft_id)
                return AutoSent(done=False, reason="a teammate edited, sent or deleted the draft in Front")
            version = current.get("version")
        sent = front.send_reply(conversation_id, conversations.draft_body(draft.id))
    except Exception:
        conversations.set_draft_status(draft.id, DRAFT_CREATED, only_from=DRAFT_SENDING)
        raise
    conversations.record_sent_message(draft.id, sent.get("message_uid"))
    landed = str(sent.get("conversation_id") or conversation_id)
    if landed != conversation_id:
        conversations.move_draft(draft.id, landed)
    if front_draft_id:
        best_effort(lambda: front.delete_draft(front_draft_id, version), what="deleting the sent draft")
    conversations.set_draft_status(draft.id, DRAFT_SENT, only_from=DRAFT_SENDING)
    audit.record("workflow", "draft.auto_sent", conversation_id=landed, front_draft_id=front_draft_id)
    return AutoSent(done=True)
