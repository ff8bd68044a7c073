"""Bodies of `record-human-reply`'s steps; each imports the database, Front client and trust modules inside itself
(the rule: `lib/workflows/__init__.py`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from lib import audit
from lib.inngest.events import OutboundSent
from lib.workflows.replies.models import Superseded, SignalRecorded


class OurSendInFlight(RuntimeError):
    """One of our auto-sends in this conversation is still going out: retry, then this message can be told apart."""


def supersede(reply: OutboundSent) -> Superseded:
    """No pending auto-send for the conversation may go out now that a teammate answered."""
    from lib import conversations

    superseded = conversations.supersede_pending_drafts(reply.conversation_id)
    audit.record(
        reply.author_email or "teammate",
        "conversation.human_replied",
        conversation_id=reply.conversation_id,
        message_id=reply.message_id,
        superseded_drafts=superseded,
    )
    return Superseded(superseded_drafts=superseded)


def record_signal(reply: OutboundSent) -> SignalRecorded:
    """Compare the sent message with the agent's latest draft in the conversation and store the signal, once per message.

    Our own auto-send comes back as an outbound message too: it is recognised by the uid Front
    gave it when we sent it (resolved to its id here) and never counts as a teammate's reply.
    """
    from lib import conversations
    from lib.front import messages
    from lib.front.client import FrontNotFound, get_front
    from lib.trust import signals, store

    if store.already_recorded(reply.message_id):
        return SignalRecorded(done=False, reason="already recorded")
    front = get_front()
    try:
        message = front.get_message(reply.message_id)
    except FrontNotFound:
        return SignalRecorded(done=False, reason="Front no longer has the message")
    if _is_our_send(front, reply):
        return SignalRecorded(done=False, reason="our own auto-send")

    draft = conversations.draft_to_judge(reply.conversation_id)
    sent_text = messages.text_of(message)
    comparison = signals.compare(signals.draft_text(draft.body) if draft else None, sent_text)
    app_id = draft.app_id if draft and draft.app_id is not None else _app_id(reply.app_id)
    category = draft.category if draft else None
    recorded = store.record(store.NewSignal(
        message_id=reply.message_id,
        conversation_id=reply.conversation_id,
        kind=comparison.kind,
        sent_at=_sent_at(message),
        app_id=app_id,
        draft_id=draft.id if draft else None,
        category=category,
        similarity=comparison.similarity,
        draft_text=draft.body if draft else None,
        sent_text=sent_text,
        author=reply.author_email,
    ))
    if not recorded:
        return SignalRecorded(done=False, reason="already recorded")
    return SignalRecorded(done=True, kind=comparison.kind, similarity=comparison.similarity, category=category,
                          draft_id=draft.id if draft else None)


def _is_our_send(front: Any, reply: OutboundSent) -> bool:
    """Whether the message is one our auto-send sent (resolving the uids of our sends in the conversation first)."""
    from lib import conversations
    from lib.front.client import FrontNotFound

    if conversations.sending_in(reply.conversation_id):
        raise OurSendInFlight(f"an auto-send in {reply.conversation_id} is still going out")
    for draft_id, uid in conversations.unresolved_sends(reply.conversation_id):
        try:
            sent = front.get_message(f"alt:uid:{uid}")
        except FrontNotFound as exc:  # Front creates a sent message asynchronously
            raise OurSendInFlight(f"Front does not show our sent message {uid} yet") from exc
        if sent.get("id"):
            conversations.resolve_sent_message(draft_id, str(sent["id"]))
    return conversations.is_our_send(reply.message_id)


def _app_id(slug: str | None) -> int | None:
    """The app's database id from the event's slug (a reply in a conversation we never drafted in)."""
    if not slug:
        return None
    from lib.apps.registry import UnknownApp, get_app

    try:
        return get_app(slug).id
    except UnknownApp:
        return None


def _sent_at(message: Mapping[str, Any]) -> datetime:
    """When Front says the message was sent (`created_at`, seconds since the epoch), naive UTC; now if it does not say."""
    from lib.db.models import utcnow

    created = message.get("created_at")
    if isinstance(created, (int, float)) and not isinstance(created, bool) and created > 0:
        return datetime.fromtimestamp(created, tz=timezone.utc).replace(tzinfo=None)
    return utcnow()
