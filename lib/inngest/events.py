"""Every event the service sends or waits for: its name and the schema of its data, once.

Names follow `{source}/{entity}.{action}`; Front's own event types keep Front's
spelling after the source (`front/inbound_received`). Data fields are snake_case
in Python and camelCase on the wire (`action_id` <-> `actionId`), because the
wire names are what Inngest expressions such as
`async.data.actionId == event.data.actionId` refer to.

`MATCHES` lists every place one event is matched against another (waits and
cancellations), so a test can prove the matched field exists on both sides.
This module imports pydantic only; the Inngest SDK is imported when an event is
actually built, so the webhook function stays light.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Mapping, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:
    import inngest

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*/[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


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
        return inngest.Event(name=self.name, data=data.wire(), id=id or "")


# -- Front ------------------------------------------------------------------


class InboundReceived(EventData):
    """A customer wrote in. Previews may carry neither body nor sender."""

    conversation_id: str
    message_id: str
    inbox_id: str
    app_id: str = Field(description="the app's slug, resolved from the inbox")
    subject: str | None = None
    body: str | None = None
    sender_email: str | None = None
    sender_name: str | None = None
    front_event_id: str
    emitted_at: float | None = None


class OutboundSent(EventData):
    """A teammate replied in Front: cancels a pending auto-send for the conversation."""

    conversation_id: str
    message_id: str
    inbox_id: str | None = None
    app_id: str | None = None
    author_email: str | None = None
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
    agent_reasoning: str
    customer_email: str | None = None


class ApprovalDecided(EventData):
    action_id: str
    decision: Literal["approved", "rejected"]
    decided_by: str
    channel: Literal["slack", "web", "api"] = "web"
    reason: str | None = None


class ActionApproved(EventData):
    action_id: str
    conversation_id: str
    app_id: str
    decided_by: str


class ActionRejected(EventData):
    action_id: str
    conversation_id: str
    app_id: str
    decided_by: str
    reason: str | None = None


class RefundRequested(EventData):
    """Input of `process-refund`. The parent invokes it with `step.invoke`; the event also lets an operator start one by hand."""

    purchase_id: str
    reason: str
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


def wire_fields(spec: EventSpec[Any]) -> set[str]:
    """The camelCase field names an event's data carries on the wire."""
    return {field.alias or name for name, field in spec.data.model_fields.items()}
