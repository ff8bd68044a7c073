"""Every event the service sends or waits for: its name and the schema of its data, once.

Names follow `{source}/{entity}.{action}`; Front's own event types keep Front's
spelling after the source (`front/inbound_received`). Data fields are snake_case
in Python and camelCase on the wire (`action_id` <-> `actionId`), because the
wire names are what Inngest expressions such as
`async.data.actionId == event.data.actionId` refer to.

`MATCHES` lists every place one event is matched against another (waits and
cancellations), so a test can prove the matched field exists on both sides.

Size. Inngest refuses an event larger than the plan allows ("Single event size":
256 KiB on the free plan, 512 KiB Basic, 3 MiB Pro; Inngest docs, "Usage limits"),
and a refused send is retried for ever by whoever sent it. So every free text an
event carries is cut, UTF-8 safe, when the event data is built: long texts (an
e-mail body, a reason) to `MAX_TEXT_BYTES`, short ones (subjects, names,
addresses) to `MAX_SHORT_TEXT_BYTES`. An inbound body that was cut says so in
`bodyTruncated`, and the workflow reads the whole message from Front. `build`
refuses anything still over `MAX_EVENT_BYTES` with `EventTooLarge`.
This module imports pydantic only; the Inngest SDK is imported when an event is
actually built, so the webhook function stays light.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, Mapping, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:
    import inngest

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*/[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")

MAX_EVENT_BYTES = 256 * 1024  # Inngest's free plan; the smallest limit any plan has
MAX_TEXT_BYTES = 16 * 1024  # a long free text in an event (UTF-8 bytes)
MAX_SHORT_TEXT_BYTES = 1024  # a subject, a name, an address


class EventTooLarge(ValueError):
    """An event Inngest would refuse for its size; raised before sending."""


def truncate_utf8(text: str, max_bytes: int) -> tuple[str, bool]:
    """`text` cut to at most `max_bytes` of UTF-8 on a character boundary, and whether it was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text, False
    return encoded[:max_bytes].decode("utf-8", errors="ignore"), True


def _cut(max_bytes: int) -> Any:
    return AfterValidator(lambda value: value if value is None else truncate_utf8(value, max_bytes)[0])


LongText = Annotated[str, _cut(MAX_TEXT_BYTES)]
ShortText = Annotated[str, _cut(MAX_SHORT_TEXT_BYTES)]


# Step outputs and stored JSON that cross the wire like event data: camelCase there, snake_case in
# Python, and dumped by alias wherever they are dumped (the client's serializer passes no `by_alias`).
CAMEL_CASE = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class EventData(BaseModel):
    """Base for event payloads: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


D = TypeVar("D", bound=EventData)


@dataclass(frozen=True)
class EventSpec(Generic[D]):
    name: str
    data: type[D]

    def parse(self, raw: Mapping[str, Any]) -> D:
        """Validate an incoming event's `data`."""
        return self.data.model_validate(raw)

    def build(self, data: D, *, id: str | None = None) -> "inngest.Event":
        """An `inngest.Event` ready to send; `id` makes sending idempotent for 24 h."""
        import inngest

        if not isinstance(data, self.data):
            raise TypeError(f"{self.name} carries {self.data.__name__}, not {type(data).__name__}")
        wire = data.wire()
        size = len(json.dumps({"name": self.name, "data": wire, "id": id or "", "ts": 0}).encode())  # escaped ASCII: the longest form
        if size > MAX_EVENT_BYTES:
            raise EventTooLarge(f"{self.name} would be {size} bytes; Inngest takes at most {MAX_EVENT_BYTES}")
        return inngest.Event(name=self.name, data=wire, id=id or "")


# -- Front ------------------------------------------------------------------


class InboundReceived(EventData):
    """A customer wrote in. Previews may carry neither body nor sender.

    `body` holds at most `MAX_TEXT_BYTES` of the message's text; when the message was longer it is
    cut there and `body_truncated` is set, and `gather-context` reads the whole text from Front.
    """

    conversation_id: str
    message_id: str
    inbox_id: str
    app_id: str = Field(description="the app's slug, resolved from the inbox")
    subject: ShortText | None = None
    body: str | None = None
    body_truncated: bool = False
    sender_email: ShortText | None = None
    sender_name: ShortText | None = None
    front_event_id: str
    emitted_at: float | None = None

    @model_validator(mode="after")
    def _bound_body(self) -> "InboundReceived":
        if self.body is not None:
            self.body, cut = truncate_utf8(self.body, MAX_TEXT_BYTES)
            self.body_truncated = self.body_truncated or cut
        return self


class OutboundSent(EventData):
    """A teammate replied in Front: cancels a pending auto-send for the conversation."""

    conversation_id: str
    message_id: str
    inbox_id: str | None = None
    app_id: str | None = None
    author_email: ShortText | None = None
    front_event_id: str


# -- Approvals and actions ---------------------------------------------------


class ActionSpec(EventData):
    type: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class ApprovalRequested(EventData):
    action_id: str
    conversation_id: str
    app_id: str
    action: ActionSpec
    agent_reasoning: LongText = Field(description="cut to MAX_TEXT_BYTES; the stored action keeps it whole")
    customer_email: ShortText | None = None


class ApprovalDecided(EventData):
    """A human decided. `response_url` is the Slack click's (valid 30 min, 5 uses): the workflow replaces the message through it."""

    action_id: str
    decision: Literal["approved", "rejected"]
    decided_by: ShortText
    channel: Literal["slack", "web", "api"] = "web"
    reason: LongText | None = None
    response_url: str | None = None


class ActionApproved(EventData):
    action_id: str
    conversation_id: str
    app_id: str
    decided_by: ShortText


class ActionRejected(EventData):
    action_id: str
    conversation_id: str
    app_id: str
    decided_by: ShortText
    reason: LongText | None = None


class RefundRequested(EventData):
    """Input of `process-refund`. The parent invokes it with `step.invoke`; the event also lets an operator start one by hand."""

    purchase_id: str
    reason: LongText
    action_id: str


class RefundCompleted(EventData):
    action_id: str
    purchase_id: str
    refund_id: str
    amount: int | None = None
    currency: str | None = None
    app_id: str | None = None


class RefundUpdated(EventData):
    """Stripe told us (signed webhook `refund.updated` / `charge.refund.updated`) a refund of one of our actions changed.

    Sent with the Inngest event id `stripe-{stripeEventId}`, so Stripe's redeliveries of one event count once.
    """

    action_id: str = Field(description="from the refund's metadata `action_id`")
    refund_id: str
    status: str = Field(description="pending | requires_action | succeeded | failed | canceled")
    failure_reason: str | None = None
    amount: int | None = None
    currency: str | None = None
    stripe_event_id: str
    stripe_event_type: str


FRONT_INBOUND_RECEIVED = EventSpec("front/inbound_received", InboundReceived)
FRONT_OUTBOUND_SENT = EventSpec("front/outbound_sent", OutboundSent)
APPROVAL_REQUESTED = EventSpec("support/approval.requested", ApprovalRequested)
APPROVAL_DECIDED = EventSpec("support/approval.decided", ApprovalDecided)
ACTION_APPROVED = EventSpec("action/approved", ActionApproved)
ACTION_REJECTED = EventSpec("action/rejected", ActionRejected)
REFUND_REQUESTED = EventSpec("support/refund.requested", RefundRequested)
REFUND_COMPLETED = EventSpec("stripe/refund.completed", RefundCompleted)
REFUND_UPDATED = EventSpec("stripe/refund.updated", RefundUpdated)

CATALOGUE: dict[str, EventSpec[Any]] = {
    spec.name: spec
    for spec in (
        FRONT_INBOUND_RECEIVED,
        FRONT_OUTBOUND_SENT,
        APPROVAL_REQUESTED,
        APPROVAL_DECIDED,
        ACTION_APPROVED,
        ACTION_REJECTED,
        REFUND_REQUESTED,
        REFUND_COMPLETED,
        REFUND_UPDATED,
    )
}


@dataclass(frozen=True)
class Match:
    """`async.data.<field> == event.data.<field>` between a run's trigger and a later event."""

    trigger: EventSpec[Any]
    awaited: EventSpec[Any]
    field: str  # wire (camelCase) name
    kind: Literal["wait", "cancel"]

    @property
    def expression(self) -> str:
        return f"async.data.{self.field} == event.data.{self.field}"


APPROVAL_DECISION_MATCH = Match(APPROVAL_REQUESTED, APPROVAL_DECIDED, "actionId", "wait")
HUMAN_REPLY_CANCELS_AUTO_SEND = Match(FRONT_INBOUND_RECEIVED, FRONT_OUTBOUND_SENT, "conversationId", "cancel")

REFUND_UPDATE_MATCH = Match(REFUND_REQUESTED, REFUND_UPDATED, "actionId", "wait")

MATCHES: tuple[Match, ...] = (APPROVAL_DECISION_MATCH, HUMAN_REPLY_CANCELS_AUTO_SEND, REFUND_UPDATE_MATCH)

