"""`record-human-reply`: a teammate answered in Front, so no pending auto-send for that conversation may go out.

The inbound run is also cancelled by the same event (its `cancel` option); this
function makes the outcome visible in the database and audit log, and protects
a send that was already past its sleep when the reply arrived.
"""

from __future__ import annotations

import inngest

from lib.inngest.client import get_client
from lib.inngest.events import FRONT_OUTBOUND_SENT
from lib.workflows.replies import steps
from lib.workflows.replies.models import Superseded


@get_client().create_function(
    fn_id="record-human-reply",
    name="Record a teammate's reply",
    trigger=inngest.TriggerEvent(event=FRONT_OUTBOUND_SENT.name),
    output_type=Superseded,
)
def record_human_reply(ctx: inngest.ContextSync) -> Superseded:
    reply = FRONT_OUTBOUND_SENT.parse(ctx.event.data)
    return ctx.step.run("supersede-drafts", steps.supersede, reply, output_type=Superseded)


FUNCTIONS = [record_human_reply]
