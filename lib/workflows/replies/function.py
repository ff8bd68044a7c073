"""`record-human-reply`: a teammate answered in Front, so no pending auto-send for that conversation may go out,
and the reply tells us how good the agent's draft was.

The inbound run is also cancelled by the same event (its `cancel` option); the first step
makes the outcome visible in the database and audit log, and protects a send that was
already past its sleep when the reply arrived. The second compares what was sent with the
agent's latest draft and moves the category's trust (lib.trust).
"""

from __future__ import annotations

import inngest

from lib.inngest.client import get_client
from lib.inngest.events import FRONT_OUTBOUND_SENT
from lib.workflows.replies import steps
from lib.workflows.replies.models import ReplyRecorded, SignalRecorded, Superseded


@get_client().create_function(
    fn_id="record-human-reply",
    name="Record a teammate's reply",
    trigger=inngest.TriggerEvent(event=FRONT_OUTBOUND_SENT.name),
    output_type=ReplyRecorded,
)
def record_human_reply(ctx: inngest.ContextSync) -> ReplyRecorded:
    reply = FRONT_OUTBOUND_SENT.parse(ctx.event.data)
    superseded = ctx.step.run("supersede-drafts", steps.supersede, reply, output_type=Superseded)
    signal = ctx.step.run("record-signal", steps.record_signal, reply, output_type=SignalRecorded)
    return ReplyRecorded(superseded_drafts=superseded.superseded_drafts, signal=signal)


FUNCTIONS = [record_human_reply]
