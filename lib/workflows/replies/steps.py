"""Bodies of `record-human-reply`'s steps."""

from __future__ import annotations

from lib import audit, conversations
from lib.inngest.events import OutboundSent
from lib.workflows.replies.models import Superseded


def supersede(reply: OutboundSent) -> Superseded:
    """No pending auto-send for the conversation may go out now that a teammate answered."""
    superseded = conversations.supersede_pending_drafts(reply.conversation_id)
    audit.record(
        reply.author_email or "teammate",
        "conversation.human_replied",
        conversation_id=reply.conversation_id,
        message_id=reply.message_id,
        superseded_drafts=superseded,
    )
    return Superseded(superseded_drafts=superseded)
