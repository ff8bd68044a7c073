"""`record-human-reply`: a teammate answered in Front, so no pending auto-send for that conversation may go out.

The inbound run is also cancelled by the same event (its `cancel` option); this
function makes the outcome visible in the database and audit log, and protects
a send that was already past its sleep when the reply arrived.
"""

from __future__ import annotations

from typing import Any

import inngest

from lib import audit, conversations
from lib.inngest.client import get_client
from lib.inngest.events import FRONT_OUTBOUND_SENT


@get_client().create_function(
    fn_id="record-human-reply",
    name="Record a teammate's reply",
    trigger=inngest.TriggerEvent(event=FRONT_OUTBOUND_SENT.name),
)
def record_human_reply(ctx: inngest.ContextSync) -> dict[str, Any]:
    reply = FRONT_OUTBOUND_SENT.parse(ctx.event.data)

    def supersede() -> dict[str, Any]:
        superseded = conversations.supersede_pending_drafts(reply.conversation_id)
        audit.record(
            reply.author_email or "teammate",
            "conversation.human_replied",
            conversation_id=reply.conversation_id,
            message_id=reply.message_id,
            superseded_drafts=superseded,
        )
        return {"supersededDrafts": superseded}

    return ctx.step.run("supersede-drafts", supersede)


FUNCTIONS = [record_human_reply]
